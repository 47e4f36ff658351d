"""The embedded store: versions, aliases, dedupe, verified reads, clear errors, registry links, recovery."""

import json
import os
import re
from datetime import datetime, timedelta

import pytest

from tests._package import digests, integration, local_store, store_base, verification

ArtifactDraft, ArtifactId, ManifestEntry = (
    store_base.ArtifactDraft,
    store_base.ArtifactId,
    store_base.ManifestEntry,
)
DATA = ArtifactId("team", "proj", "dataset")


@pytest.fixture
def store(base_dir):
    return local_store.LocalArtifactStore(base_dir / "wandb" / "artifacts")


@pytest.fixture
def files(tmp_path):
    """Write ``{entry path: bytes}`` as the caller's own files; return ``{entry path: local path}``."""

    def write(contents, folder="user"):
        paths = {}
        for entry, data in contents.items():
            path = tmp_path / folder / entry
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths[entry] = path
        return paths

    return write


def commit(store, files, contents, artifact=DATA, **fields):
    return store.commit(ArtifactDraft(id=artifact, type=fields.pop("type", "dataset"), files=files(contents), **fields))


def test_round_trip_keeps_files_and_descriptive_fields(store, files):
    version = commit(
        store,
        files,
        {"train.csv": b"a,b\n1,2\n", "nested/deep/x.bin": bytes(range(256))},
        description="**Wine** data",
        metadata={"rows": 1, "nested": {"k": [1, 2]}},
        lineage={"dagster_run_id": "abc", "used": ["team/proj/raw:v0"]},
        aliases=["best"],
    )
    resolved = store.resolve(DATA)
    assert resolved == version
    assert (resolved.version_tag, resolved.qualified_name, resolved.type) == ("v0", "dataset:v0", "dataset")
    assert resolved.aliases == ("latest", "best")
    assert resolved.description == "**Wine** data"
    assert resolved.metadata == {"rows": 1, "nested": {"k": [1, 2]}}
    assert resolved.lineage == {"dagster_run_id": "abc", "used": ["team/proj/raw:v0"]}
    assert datetime.fromisoformat(resolved.created_at).utcoffset() == timedelta(0)
    assert resolved.size == 8 + 256
    assert store.local_path(resolved, "nested/deep/x.bin").read_bytes() == bytes(range(256))
    assert store.location(resolved) == {"wandb_artifact_path": str(store.local_path(resolved, "train.csv").parent)}


def test_callers_files_are_copied_and_stored_files_are_read_only(store, files, tmp_path):
    version = commit(store, files, {"a.txt": b"mine"})
    user_file = tmp_path / "user" / "a.txt"
    assert user_file.read_bytes() == b"mine" and os.access(user_file, os.W_OK)
    stored = store.local_path(version, "a.txt")
    assert stored.stat().st_ino != user_file.stat().st_ino
    assert not stored.stat().st_mode & 0o222


def test_files_in_a_staging_dir_are_moved_not_copied(store):
    with store.staging_dir() as staging:
        big = staging / "model.bin"
        big.write_bytes(b"x" * 3_000_000)
        inode = big.stat().st_ino
        version = store.commit(ArtifactDraft(id=DATA, type="model", files={"model.bin": big, "copy.bin": big}))
        assert not big.exists()
    assert not staging.exists()
    assert store.local_path(version, "model.bin").stat().st_ino == inode
    assert store.local_path(version, "copy.bin").stat().st_ino == inode  # a second entry shares the bytes


def test_equal_content_reuses_the_latest_version_and_adds_aliases(store, files):
    first = commit(store, files, {"a.txt": b"same"}, metadata={"run": 1}, aliases=["one"])
    again = commit(store, files, {"a.txt": b"same"}, metadata={"run": 2}, aliases=["two"])
    assert again.version == first.version == 0
    assert again.aliases == ("latest", "one", "two")
    assert again.metadata == {"run": 1}  # the reused version keeps what it was written with
    assert [v.version for v in store.versions(DATA)] == [0]


def test_content_equal_to_an_older_version_is_a_new_version(store, files):
    commit(store, files, {"a.txt": b"A"})
    commit(store, files, {"a.txt": b"B"})
    third = commit(store, files, {"a.txt": b"A"})
    assert third.version == 2 and third.digest == store.resolve(DATA, version=0).digest


def test_aliases_move_and_latest_follows_the_newest(store, files):
    commit(store, files, {"a.txt": b"0"}, aliases=["best", "prod"])
    commit(store, files, {"a.txt": b"1"}, aliases=["best"])
    v0, v1 = store.versions(DATA)
    assert v0.aliases == ("prod",) and v1.aliases == ("latest", "best")
    assert store.resolve(DATA, alias="best").version == 1
    assert store.resolve(DATA, alias="prod").version == 0
    assert store.resolve(DATA, alias="v0").version == 0  # a version tag given as alias resolves the version
    assert store.resolve(DATA, version="v1").version == 1


@pytest.mark.parametrize("alias", ["a/b", "x:y", "v3", "", "   ", "tab\tbed"])
def test_invalid_aliases_are_refused_naming_the_alias(store, files, alias):
    with pytest.raises(integration.WandbConfigurationError, match=re.escape(repr(alias))):
        commit(store, files, {"a.txt": b"x"}, aliases=[alias])
    assert store.list_artifacts("team", "proj") == []


def test_resolve_errors_name_what_was_asked_and_what_exists(store, files):
    commit(store, files, {"a.txt": b"0"}, aliases=["v3-prod"])
    commit(store, files, {"a.txt": b"1"})
    with pytest.raises(integration.ArtifactNotFoundError) as info:
        store.resolve(DATA, alias="best")
    assert str(info.value) == "artifact 'team/proj/dataset' has no alias 'best'; aliases: latest, v3-prod."
    with pytest.raises(integration.ArtifactNotFoundError, match=r"has no version v7; versions: v0 to v1"):
        store.resolve(DATA, version=7)
    with pytest.raises(integration.ArtifactNotFoundError, match=r"'team/proj/other' does not exist.*: dataset\."):
        store.resolve(ArtifactId("team", "proj", "other"))
    with pytest.raises(integration.WandbConfigurationError, match="both version 1 and alias 'latest'"):
        store.resolve(DATA, version=1, alias="latest")
    with pytest.raises(integration.WandbConfigurationError, match="version 'seven'"):
        store.resolve(DATA, version="seven")


def test_missing_and_reference_entries_are_not_found(store, files):
    ref = ManifestEntry("remote.csv", "https://example.com/r.csv", 0, "https://example.com/r.csv")
    version = store.commit(ArtifactDraft(DATA, "dataset", files=files({"a.txt": b"x"}), references=[ref]))
    with pytest.raises(integration.ArtifactNotFoundError, match=r"no entry 'b\.txt'; entries: a\.txt, remote\.csv"):
        store.local_path(version, "b.txt")
    with pytest.raises(integration.ArtifactNotFoundError, match=re.escape("reference to https://example.com/r.csv")):
        store.local_path(version, "remote.csv")


@pytest.mark.parametrize(
    ("artifact", "bad"),
    [
        (ArtifactId("team", "proj", ".."), "'..'"),
        (ArtifactId("team", "a/b", "n"), "'a/b'"),
        (ArtifactId("", "p", "n"), "''"),
    ],
)
def test_ids_that_would_escape_the_store_are_refused(store, files, artifact, bad):
    with pytest.raises(integration.WandbConfigurationError, match=re.escape(bad)):
        commit(store, files, {"a.txt": b"x"}, artifact=artifact)


@pytest.mark.parametrize(("entries", "bad"), [(["../x"], "'../x'"), (["a//b"], "'a//b'"), (["d", "d/x"], "'d'")])
def test_bad_entry_paths_are_refused(store, files, entries, bad):
    with pytest.raises(integration.WandbConfigurationError, match=re.escape(bad)):
        store.commit(ArtifactDraft(DATA, "dataset", files=dict.fromkeys(entries, files({"f": b"x"})["f"])))


def test_type_is_fixed_per_artifact_and_metadata_must_be_json(store, files):
    commit(store, files, {"a.txt": b"x"})
    with pytest.raises(integration.WandbConfigurationError, match="type 'dataset'; a version of type 'model'"):
        commit(store, files, {"a.txt": b"y"}, type="model")
    with pytest.raises(integration.WandbConfigurationError, match="metadata of artifact 'team/proj/dataset'"):
        commit(store, files, {"a.txt": b"z"}, metadata={"obj": object()})


def test_repeated_reads_do_not_rehash(store, files, monkeypatch):
    version = commit(store, files, {"a.txt": b"x" * 10_000})
    calls = []
    real = verification.file_digest
    monkeypatch.setattr(verification, "file_digest", lambda path: calls.append(path) or real(path))
    for _ in range(50):
        store.local_path(version, "a.txt")
    assert len(calls) == 0, "the committing store hashed the file while writing it"
    fresh = local_store.LocalArtifactStore(store.root)  # a new process trusts the stat stamped at commit
    for _ in range(50):
        fresh.local_path(version, "a.txt")
    assert len(calls) == 0
    os.utime(fresh.local_path(version, "a.txt"))  # touched since: a new process hashes once, then trusts it
    touched = local_store.LocalArtifactStore(store.root)
    for _ in range(50):
        touched.local_path(version, "a.txt")
    assert len(calls) == 1


def test_corrupted_file_is_an_integrity_error_naming_file_and_digests(store, files):
    version = commit(store, files, {"a.txt": b"good bytes"})
    stored = store.local_path(version, "a.txt")
    os.chmod(stored, 0o644)
    stored.write_bytes(b"evil bytes")
    with pytest.raises(integration.ArtifactIntegrityError) as info:
        store.local_path(version, "a.txt")
    message = str(info.value)
    assert str(stored) in message and version.entries["a.txt"].digest in message
    assert digests.file_digest(stored) in message
    with pytest.raises(integration.ArtifactIntegrityError, match=re.escape(str(stored))):
        store.verify(version)


def test_a_truncated_index_is_rebuilt_and_a_truncated_manifest_damages_only_its_version(store, files):
    for data in (b"0", b"1", b"2"):
        commit(store, files, {"a.txt": data}, aliases=[f"a{data.decode()}"])
    name_dir = store.root / "team" / "proj" / "dataset"
    (name_dir / "index.json").write_bytes((name_dir / "index.json").read_bytes()[:20])
    fresh = local_store.LocalArtifactStore(store.root)
    assert [v.version for v in fresh.versions(DATA)] == [0, 1, 2]  # the index is a cache of the folders
    assert fresh.resolve(DATA, alias="a1").version == 1
    assert commit(fresh, files, {"a.txt": b"3"}).version == 3  # the writer rebuilds the index for good
    (name_dir / "versions" / "v1" / "manifest.json").write_text("{")
    fresh = local_store.LocalArtifactStore(store.root)
    readable, damaged = fresh.scan(DATA)
    assert [v.version for v in readable] == [0, 2, 3] and list(damaged) == ["v1"]
    with pytest.raises(integration.ArtifactIntegrityError, match=r"manifest of artifact 'team/proj/dataset:v1'"):
        fresh.resolve(DATA, version=1)
    assert commit(fresh, files, {"a.txt": b"4"}).version == 4  # numbers are never reused


def test_link_adds_a_registry_version_sharing_the_files(store, files):
    source = commit(store, files, {"model.pkl": b"weights"}, type="model", lineage={"dagster_run_id": "r1"})
    target = ArtifactId("team", local_store.MODEL_REGISTRY_PROJECT, "wine-model")
    linked = store.link(source, target, aliases=["staging"])
    assert (linked.id, linked.version, linked.aliases) == (target, 0, ("latest", "staging"))
    assert linked.digest == source.digest and linked.type == "model"
    assert linked.lineage["linked_from"] == "team/proj/dataset:v0"
    assert store.local_path(linked, "model.pkl").stat().st_ino == store.local_path(source, "model.pkl").stat().st_ino
    assert store.resolve(target, alias="staging") == linked
    again = store.link(source, target, aliases=["production"])
    assert again.version == 0 and again.aliases == ("latest", "production", "staging")
    assert store.list_artifacts("team", local_store.MODEL_REGISTRY_PROJECT) == [target]


def test_what_crashed_writers_leave_is_swept_or_kept_never_lost(store, files):
    commit(store, files, {"a.txt": b"0"})
    name_dir = store.root / "team" / "proj" / "dataset"
    # A writer that died after renaming its complete version into place, before updating the index: the
    # rename committed it, so it is a version (found through its manifest) ...
    other = local_store.LocalArtifactStore(store.root)
    committed = commit(other, files, {"a.txt": b"1"})
    stale = store.catalog(DATA).record()
    stale["versions"], stale["aliases"] = stale["versions"][:1], {"latest": 0}
    (name_dir / "index.json").write_text(json.dumps(stale))
    # ... a folder that is no version (no manifest) is left alone, and numbers skip it ...
    (name_dir / "versions" / "v2" / "files").mkdir(parents=True)
    (name_dir / "versions" / "v2" / "files" / "half.bin").write_bytes(b"half")
    (name_dir / "index.json.tmp").write_text("{")
    # ... and a writer that died while staging (its lock file is left, unheld) is swept.
    dead, lock_only = f"123-{'d' * 32}", f"456-{'e' * 32}"  # <pid>-<uuid hex>, as the store names them
    (store.root / ".staging" / dead / "payload").mkdir(parents=True)
    (store.root / ".staging" / f"{dead}.lock").touch()
    (store.root / ".staging" / f"{lock_only}.lock").touch()
    fresh = local_store.LocalArtifactStore(store.root)
    assert fresh.resolve(DATA).version == committed.version == 1
    version = commit(fresh, files, {"a.txt": b"3"})
    assert version.version == 3 and list(version.entries) == ["a.txt"]
    assert (name_dir / "versions" / "v2" / "files" / "half.bin").read_bytes() == b"half"
    assert fresh.local_path(fresh.resolve(DATA, version=1), "a.txt").read_bytes() == b"1"
    for live in (store, other, fresh):  # each holds its scratch folder until closed, as the IO manager does
        live.close()
    assert list((store.root / ".staging").iterdir()) == []
    assert not (name_dir / "index.json.tmp").exists()
    fresh.verify(version)


def test_a_live_writers_staging_dir_is_left_alone(store, files):
    with store.staging_dir() as staging:
        (staging / "big.bin").write_bytes(b"in progress")
        commit(store, files, {"a.txt": b"other"}, artifact=ArtifactId("team", "proj", "other"))
        assert (staging / "big.bin").read_bytes() == b"in progress"


def test_a_process_stages_in_one_scratch_folder_and_replaces_it_if_taken(store, files):
    for data in (b"1", b"2", b"3"):
        commit(store, files, {"a.txt": data})
    staging = store.root / ".staging"
    (token,) = [p for p in staging.iterdir() if p.is_dir()]
    assert list(token.iterdir()) == []  # each commit renamed its payload away
    # Its lock file deleted under the live process: another store's sweep may now take the folder, so
    # the next write must not stage there.
    (staging / f"{token.name}.lock").unlink()
    commit(local_store.LocalArtifactStore(store.root), files, {"b.txt": b"b"}, artifact=ArtifactId("team", "proj", "b"))
    version = commit(store, files, {"a.txt": b"4"})
    assert version.version == 3 and store.local_path(version, "a.txt").read_bytes() == b"4"
    assert not token.exists()  # swept as the other store's first write found it unheld


def test_listing_versions_and_artifacts(store, files):
    for data in (b"0", b"1", b"2"):
        commit(store, files, {"a.txt": data})
    commit(store, files, {"b.txt": b"b"}, artifact=ArtifactId("team", "proj", "another"))
    assert [v.version_tag for v in store.versions(DATA)] == ["v0", "v1", "v2"]
    assert [a.name for a in store.list_artifacts("team", "proj")] == ["another", "dataset"]
    assert store.list_artifacts("team", "nothing-here") == []
