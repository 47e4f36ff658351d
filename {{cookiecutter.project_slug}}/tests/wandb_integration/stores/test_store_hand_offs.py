"""What passes between user code and the store: drafts that differ from a version only in ways W&B's
digest does not see, metadata JSON would lose, staged links, unreadable files, and what repair finds
around the artifact folders (paths handed out: test_store_checkouts.py). Each test checks what survived in
the store, byte for byte."""

import os
from importlib import import_module

import pytest

from tests._package import PACKAGE_NAME, digests, integration, local_store, store_base
from tests.wandb_integration.stores.test_store_guarantees import DATA, ArtifactDraft, name_dir, read, write

ManifestEntry = store_base.ManifestEntry
checkout = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.checkout")
Config, Storage = integration.WandbConfigurationError, integration.ArtifactStorageError


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


def nested(depth):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def stored_file(root, version=0):
    return name_dir(root) / "versions" / f"v{version}" / "files" / "a.txt"


def test_a_stored_file_where_the_latest_held_a_reference_with_that_digest_is_a_new_version(root):
    """W&B's digest sums (path, digest) only: a reference and a stored file with equal digests look alike."""
    digest = digests.bytes_digest(b"zero")
    store = local_store.LocalArtifactStore(root)
    reference = ManifestEntry("a.txt", digest, 4, "s3://bucket/a.txt")
    assert store.commit(ArtifactDraft(DATA, "dataset", references=[reference])).version == 0
    stored = write(root, b"zero")
    assert stored.version == 1 and stored.entries["a.txt"].ref is None
    assert read(root) == b"zero"
    assert local_store.LocalArtifactStore(root).resolve(DATA, version=0).entries["a.txt"].ref == "s3://bucket/a.txt"


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({1: "one", "1": "uno"}, r"keys 1 and '1'.*same key '1'"),
        ({"outer": {True: "a", "true": "b"}}, r"keys True and 'true'"),
        ({"deep": nested(5000)}, r"nested more than \d+ levels"),
    ],
    ids=["int and str keys", "bool and str keys, nested", "5000 levels deep"],
)
def test_metadata_json_would_change_is_refused_before_anything_is_written(root, metadata, message):
    write(root, b"zero")
    with pytest.raises(Config, match=message):
        write(root, b"one", metadata=metadata)
    assert sorted(p.name for p in (name_dir(root) / "versions").iterdir()) == ["v0"]
    assert read(root) == b"zero"


@pytest.mark.parametrize("planted", ["a link named like the copy", "a linked folder"])
def test_links_staged_by_a_writer_never_lead_the_commit_outside_the_store(root, tmp_path, planted):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"mine")
    (tmp_path / "source.txt").write_bytes(b"staged bytes")
    store = local_store.LocalArtifactStore(root)
    with store.staging_dir() as staging:
        if planted == "a link named like the copy":
            (staging / "a.txt").symlink_to(tmp_path / "source.txt")
            (staging / "a.txt.copy").symlink_to(outside / "keep.txt")
            files = {path: staging / path for path in ("a.txt", "a.txt.copy")}
            version = store.commit(ArtifactDraft(DATA, "dataset", files=files))
            assert [store.local_path(version, path).read_bytes() for path in files] == [b"staged bytes", b"mine"]
            assert not any(store.local_path(version, path).is_symlink() for path in files)
        else:
            (staging / "sub").symlink_to(outside, target_is_directory=True)
            with pytest.raises(Config, match=r"entry 'sub/keep.txt'.*under 'sub', a link"):
                store.commit(ArtifactDraft(DATA, "dataset", files={"sub/keep.txt": staging / "sub" / "keep.txt"}))
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]
    assert (outside / "keep.txt").read_bytes() == b"mine"
    assert (tmp_path / "source.txt").read_bytes() == b"staged bytes"


def test_an_unreadable_stored_file_is_a_storage_error_naming_the_version(root, monkeypatch):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)

    def denying(real_open):  # what a non-root reader of a mode-000 file gets (root reads anyway)
        def denied(path, *args, **kwargs):
            if str(path) == str(stored_file(root)):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        return denied

    monkeypatch.setattr("builtins.open", denying(open))
    monkeypatch.setattr("os.open", denying(os.open))
    with pytest.raises(Storage, match=r"could not check out entry 'a.txt' of artifact 'team/proj/dataset:v0'.*denied"):
        store.checkout(version, "a.txt")  # a read of the bytes (local_path trusts the commit stamp unread)
    os.utime(stored_file(root))  # touched since the commit: local_path must hash it, and cannot read it
    with pytest.raises(Storage, match=r"could not read artifact 'team/proj/dataset:v0'.*permission is denied"):
        local_store.LocalArtifactStore(root).local_path(version, "a.txt")


def test_repair_walks_past_folders_the_store_cannot_hold_and_names_everything_it_did_not_make(root, tmp_path):
    write(root, b"zero")
    write(root, b"x", artifact=DATA.__class__("team", "proj", "other"))
    project = name_dir(root).parent
    strays = [
        project / ".hidden",  # a folder no artifact can be named
        project / "notes.txt",
        project / "empty",
        root / "team" / "readme.md",
        root / "stray.bin",
        name_dir(root) / "versions" / "v0" / "extra.bin",  # beside files/, inside a version
    ]
    (project / ".hidden" / "versions").mkdir(parents=True)
    (project / "empty").mkdir()
    for path in strays:
        if not path.exists():
            path.write_bytes(b"?")
    (project / "linked").symlink_to(tmp_path, target_is_directory=True)
    strays.append(project / "linked")
    report = local_store.LocalArtifactStore(root).repair()
    assert report.artifacts == 2 and report.damaged == {}
    assert sorted(report.unexplained) == sorted(str(path) for path in strays)
    assert all(os.path.lexists(path) for path in strays)
    assert read(root) == b"zero"
