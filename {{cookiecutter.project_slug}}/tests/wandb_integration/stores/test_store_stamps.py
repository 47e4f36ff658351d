"""Commit stamps: a stored file is hashed as it is committed, and its manifest entry keeps its stat then
(size, mtime, ctime, inode). A later process trusts a file whose stat still equals the stamp, so reads
in fresh step processes do not hash their inputs again; anything that touched the file since makes it
hashed, and damage is caught. Each store object shares nothing with another, as two processes would not.
"""

import json
import os
import shutil
import threading
import time

import pytest

from tests._package import digests, integration, local_store, store_base, verification
from tests.wandb_integration.stores.test_store_guarantees import DATA, ArtifactDraft, name_dir, read, write

Integrity = integration.ArtifactIntegrityError


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


@pytest.fixture
def hashed(monkeypatch):
    """The files hashed from here on."""
    calls = []
    real = verification.file_digest
    monkeypatch.setattr(verification, "file_digest", lambda path: calls.append(path) or real(path))
    return calls


def stored(root, number=0):
    return name_dir(root) / "versions" / f"v{number}" / "files" / "a.txt"


def test_a_later_process_reads_an_untouched_file_without_hashing_it(root, hashed):
    write(root, b"zero" * 1000)
    assert read(root) == b"zero" * 1000
    assert hashed == []


def edited_in_place(root):
    path = stored(root)
    info = path.stat()
    os.chmod(path, 0o644)
    with open(path, "r+b") as handle:
        handle.write(b"Z")  # same size
    os.chmod(path, 0o444)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))  # mtime restored: only ctime tells


def replaced_by_a_look_alike(root):
    path, fake = stored(root), stored(root).with_name("fake")
    fake.write_bytes(b"Zero" * 1000)
    shutil.copystat(path, fake)
    os.replace(fake, path)


def swapped_with_the_other_version(root):
    path, other = stored(root), stored(root, 1)
    shutil.copystat(path, other)
    os.replace(other, path)


@pytest.mark.parametrize("damage", [edited_in_place, replaced_by_a_look_alike, swapped_with_the_other_version])
def test_a_file_damaged_after_its_commit_is_hashed_and_caught(root, hashed, damage):
    write(root, b"zero" * 1000)
    write(root, b"ones" * 1000)
    damage(root)
    with pytest.raises(Integrity, match="it was changed or corrupted"):
        read(root, version=0)
    assert hashed == [stored(root)]


def linked(root):
    os.link(stored(root), root.parent / "a-link.txt")  # what a checkout of a big file does


def restored_from_an_identical_copy(root):
    copy = root.parent / "backup.txt"
    shutil.copy2(stored(root), copy)
    os.replace(copy, stored(root))


@pytest.mark.parametrize("touch", [linked, restored_from_an_identical_copy])
def test_a_file_touched_but_intact_is_hashed_once_and_read(root, hashed, touch):
    write(root, b"zero" * 1000)
    touch(root)
    assert read(root) == b"zero" * 1000
    assert hashed == [stored(root)]


def test_verify_and_repair_trust_no_stamp(root, hashed):
    version = write(root, b"zero" * 1000)
    local_store.LocalArtifactStore(root).verify(version)
    assert hashed == [stored(root)]
    report = local_store.LocalArtifactStore(root).repair()
    assert report.damaged == {} and hashed == [stored(root)] * 2


@pytest.mark.parametrize("stamp", ["x", [1, 2, 3], [True, 0, 0, 0], None])
def test_an_odd_stamp_in_a_manifest_only_means_the_file_is_hashed(root, hashed, stamp):
    write(root, b"zero" * 1000)
    manifest = name_dir(root) / "versions" / "v0" / "manifest.json"
    record = json.loads(manifest.read_text())
    record["entries"]["a.txt"]["stamp"] = stamp
    manifest.write_text(json.dumps(record))
    assert read(root) == b"zero" * 1000
    assert hashed == [stored(root)]


def test_what_the_io_manager_writes_is_stamped_and_read_by_a_later_process_unhashed(wandb_resource, root, hashed):
    import dagster as dg
    import pandas as pd

    frame = pd.DataFrame({"x": [1.5, 2.5], "name": ["a", "b"]})

    @dg.asset
    def table() -> pd.DataFrame:
        return frame

    @dg.asset
    def settings() -> dict:
        return {"depth": 3}

    manager = integration.WandbArtifactsIOManager(wandb_resource=wandb_resource)
    assert dg.materialize([table, settings], resources={"io_manager": manager}).success
    later = local_store.LocalArtifactStore(root)
    for name, entry in (("table", "output.parquet"), ("settings", "output.pickle")):
        version = later.resolve(store_base.ArtifactId(wandb_resource.entity, wandb_resource.project, name))
        assert version.entries[entry].stamp is not None
        later.local_path(version, entry)
    assert hashed == []


def changed_behind_its_hash(path):
    """An adversary's edit of a file the store has hashed but not committed yet: same size, times kept."""
    info = path.stat()
    os.chmod(path, 0o644)
    with open(path, "r+b") as handle:
        handle.write(b"Z")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def committed_bytes_or_caught(root, version):
    """What a later process reads of ``version``: its committed bytes, or an integrity error."""
    try:
        data = read(root, version=version.version)
    except Integrity:
        return True
    return digests.bytes_digest(data) == version.entries["a.txt"].digest


def test_a_staged_file_changed_while_the_commit_waits_for_the_lock_is_never_stamped(root):
    holder = local_store.LocalArtifactStore(root)
    write(root, b"seed")  # the name and its lock exist
    store = local_store.LocalArtifactStore(root)
    result = {}
    with store.staging_dir() as staging:
        staged = staging / "a.txt"
        staged.write_bytes(b"zero" * 1000)
        draft = ArtifactDraft(DATA, "dataset", files={"a.txt": staged})
        with holder.lock(DATA):
            committer = threading.Thread(target=lambda: result.setdefault("version", store.commit(draft)))
            committer.start()
            deadline = time.monotonic() + 10
            while staged.stat().st_mode & 0o222 and time.monotonic() < deadline:
                time.sleep(0.001)  # sealed (read-only) just before the store hashes it
            time.sleep(0.05)  # hashed by now; the commit waits for the lock
            changed_behind_its_hash(staged)
        committer.join(10)
    version = result["version"]
    assert version.entries["a.txt"].stamp is None
    assert committed_bytes_or_caught(root, version)


@pytest.mark.parametrize("stamped_by_writer", [True, False])
def test_a_file_changed_after_its_writer_hashed_it_is_never_stamped(root, stamped_by_writer):
    store = local_store.LocalArtifactStore(root)
    with store.staging_dir() as staging:
        staged = staging / "a.txt"
        staged.write_bytes(b"zero" * 1000)
        draft = ArtifactDraft(DATA, "dataset", files={"a.txt": staged})
        draft.digests["a.txt"] = (digests.file_digest(staged), 4000)  # what a serializer hands over
        if stamped_by_writer:
            draft.stamps["a.txt"] = verification.seal(staged)
        changed_behind_its_hash(staged)
        version = store.commit(draft)
    assert version.entries["a.txt"].stamp is None
    with pytest.raises(Integrity, match="it was changed or corrupted"):
        read(root)
