"""Commit stamps: a stored file is hashed as it is committed, and its manifest entry keeps its stat then
(size, mtime, ctime, inode). A later process trusts a file whose stat still equals the stamp, so reads
in fresh step processes do not hash their inputs again; anything that touched the file since makes it
hashed, and damage is caught. Each store object shares nothing with another, as two processes would not.
"""

import json
import os
import shutil

import pytest

from tests._package import integration, local_store, verification
from tests.wandb_integration.stores.test_store_guarantees import name_dir, read, write

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
