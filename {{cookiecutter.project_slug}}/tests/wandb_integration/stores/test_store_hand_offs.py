"""What passes between user code and the store: paths handed out (moved, edited, deleted by their user),
drafts that differ from a version only in ways W&B's digest does not see, metadata JSON would change,
staged links, unreadable files, and what repair finds around the artifact folders. Each test checks what
survived in the store, byte for byte."""

import os
import shutil
from importlib import import_module
from pathlib import Path

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


@pytest.mark.parametrize("what_the_user_does", ["moves it", "deletes it", "edits it in place"])
def test_a_path_handed_to_user_code_is_the_users_to_change(root, what_the_user_does, tmp_path):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)
    handed = store.checkout(version, "a.txt")
    assert handed.read_bytes() == b"zero" and not handed.samefile(stored_file(root))
    if what_the_user_does == "moves it":
        shutil.move(handed, tmp_path / "mine.txt")
    elif what_the_user_does == "deletes it":
        handed.unlink()
    else:
        handed.write_bytes(b"ZERO")  # its mode lets its user write it (and root writes anyway)
    assert stored_file(root).read_bytes() == b"zero"
    local_store.LocalArtifactStore(root).verify(version)
    assert store.checkout(version, "a.txt").read_bytes() == b"zero"  # handed out afresh, intact


def test_a_large_file_is_handed_out_as_a_link_whose_move_or_edit_never_goes_unnoticed(root, monkeypatch, tmp_path):
    monkeypatch.setattr(checkout, "COPY_LIMIT", 2)  # every file counts as large
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)
    handed = store.checkout(version, "a.txt")
    assert handed.samefile(stored_file(root)) and store.checkout(version, "a.txt") == handed  # no bytes copied
    shutil.move(handed, tmp_path / "moved.txt")
    local_store.LocalArtifactStore(root).verify(version)
    handed = store.checkout(version, "a.txt")
    os.chmod(handed, 0o644)
    handed.write_bytes(b"ZERO")  # against the advice: the version's own bytes change ...
    with pytest.raises(integration.ArtifactIntegrityError, match="changed or corrupted"):
        read(root)  # ... and the next read says so
    assert write(root, b"zero").version == 1 and read(root) == b"zero"  # writing it again repairs


def test_whole_artifact_downloads_and_entry_downloads_are_copies_the_user_owns(root, tmp_path):
    write(root, b"zero")
    artifact = local_store.LocalArtifactStore(root).open(local_store.LocalArtifactStore(root).resolve(DATA))
    folder = artifact.download()
    shutil.rmtree(folder)
    entry_path = artifact.get_entry("a.txt").download()
    os.chmod(entry_path, 0o644)
    with open(entry_path, "wb") as handle:
        handle.write(b"mine now")
    assert artifact.get_path("a.txt").download() == entry_path
    assert Path(entry_path).read_bytes() == b"zero"  # a changed copy is replaced on the next download
    assert read(root) == b"zero"
    artifact.verify()


def test_a_link_planted_in_the_checkout_folder_is_never_written_through(root, tmp_path):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    checkouts = root / ".checkouts" / "team"
    checkouts.parent.mkdir(parents=True)
    checkouts.symlink_to(outside, target_is_directory=True)
    with pytest.raises(Storage, match=r"\.checkouts/team is a link.*Remove it"):
        store.checkout(store.resolve(DATA), "a.txt")
    assert list(outside.iterdir()) == []


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
    real_open = open

    def denied(path, *args, **kwargs):  # what a non-root reader of a mode-000 file gets (root reads anyway)
        if str(path) == str(stored_file(root)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", denied)
    with pytest.raises(Storage, match=r"could not read artifact 'team/proj/dataset:v0'.*permission is denied"):
        store.local_path(version, "a.txt")


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
