"""Paths handed to user code (``get_path``, ``get_entry(p).download()``, ``download()``): the user may move,
edit or delete them and the version survives; a crash, a fault during the copy, a read-only store, a full
disk or something planted in the checkout folder never hands out wrong or half bytes. Each test checks
what survived in the store, byte for byte."""

import errno
import json
import multiprocessing
import os
import shutil
import signal
import time
from importlib import import_module
from pathlib import Path

import pytest

from tests._package import PACKAGE_NAME, integration, local_store, store_base
from tests.wandb_integration.stores.test_store_guarantees import DATA, ArtifactDraft, name_dir, read, write

checkout = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.checkout")
OTHER_CHECKOUT = store_base.ArtifactId("team", "proj", "other")
Integrity, Storage = integration.ArtifactIntegrityError, integration.ArtifactStorageError


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


def stored_file(root, version=0):
    return name_dir(root) / "versions" / f"v{version}" / "files" / "a.txt"


def files_under(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


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


def test_a_download_into_the_checkout_folder_itself_keeps_the_large_files_link(root, monkeypatch):
    monkeypatch.setattr(checkout, "COPY_LIMIT", 2)  # every file counts as large: the checkout is a hard link
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    artifact = store.open(store.resolve(DATA))
    folder = artifact.download()
    assert artifact.download(root=folder) == folder  # copying a file onto itself: nothing to do
    assert (Path(folder) / "a.txt").read_bytes() == b"zero" and read(root) == b"zero"
    artifact.verify(root=folder)


@pytest.mark.parametrize("change", ["a file removed", "a folder in its place", "an extra file"])
def test_verify_of_a_download_folder_names_what_does_not_belong_as_wandbs_does(root, tmp_path, change):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    artifact = store.open(store.resolve(DATA))
    folder = Path(artifact.download(root=str(tmp_path / "copy")))
    artifact.verify(root=str(folder))
    if change == "an extra file":
        odd = folder / "notes" / "extra.txt"
        odd.parent.mkdir()
        odd.write_bytes(b"mine")
    else:
        (folder / "a.txt").unlink()
        odd = folder / "a.txt"
        if change == "a folder in its place":
            odd.mkdir()
    with pytest.raises(Integrity, match="not a member" if change == "an extra file" else "cannot be read") as info:
        artifact.verify(root=str(folder))
    assert str(odd) in str(info.value)
    assert read(root) == b"zero"


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


def _checkout_and_die(root):
    """In a child: start a checkout and be killed after its first bytes, as kill -9 would."""

    def dying(source, copy_to=None):
        with open(copy_to, "wb") as handle:
            handle.write(b"ha")
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    checkout.hash_file = dying
    store = local_store.LocalArtifactStore(root)
    store.checkout(store.resolve(DATA), "a.txt")


def test_a_checkout_killed_midway_leaves_no_half_file_where_readers_look(root):
    write(root, b"a" * 5000)
    child = multiprocessing.get_context("fork").Process(target=_checkout_and_die, args=(root,))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    store = local_store.LocalArtifactStore(root)
    folder = Path(store.open(store.resolve(DATA)).download())
    assert files_under(folder) == {"a.txt": b"a" * 5000}
    assert [p.name for p in (root / ".checkouts" / ".partial").iterdir()] != []  # this process's own
    store.close()
    assert list((root / ".checkouts" / ".partial").iterdir()) == []  # the dead child's was swept too


def test_a_copy_that_does_not_match_its_digest_is_never_handed_out(root, monkeypatch):
    write(root, b"good bytes")

    def faulty(source, copy_to=None):  # the disk returned other bytes, or the file changed mid-copy
        Path(copy_to).write_bytes(b"evil bytes")
        return "not-the-digest", 10

    monkeypatch.setattr(checkout, "hash_file", faulty)
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)
    with pytest.raises(Integrity, match=r"the copy of entry 'a.txt'.*has digest not-the-digest"):
        store.checkout(version, "a.txt")
    assert not (checkout_folder(root) / "a.txt").exists()
    monkeypatch.undo()
    assert store.checkout(version, "a.txt").read_bytes() == b"good bytes"


def checkout_folder(root):
    return root / ".checkouts" / str(DATA) / "v0"


def test_an_entry_name_of_the_longest_allowed_part_can_be_checked_out(root):
    name = "a" * 251 + ".txt"  # 255 bytes, what the entry-path rule allows
    store = local_store.LocalArtifactStore(root)
    with store.staging_dir() as staging:
        (staging / name).write_bytes(b"long")
        version = store.commit(ArtifactDraft(DATA, "dataset", files={name: staging / name}))
    assert store.checkout(version, name).read_bytes() == b"long"


def test_a_read_only_store_hands_out_its_own_files_since_nothing_can_change_them(root, monkeypatch):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)
    real_access = os.access
    # What a read-only mount answers (chmod would not stop root, who runs this suite in CI).
    monkeypatch.setattr(checkout.os, "access", lambda path, mode: mode != os.W_OK and real_access(path, mode))
    handed = store.checkout(version, "a.txt")
    assert handed == stored_file(root) and handed.read_bytes() == b"zero"
    assert Path(store.open(version).download()).is_dir() and not (root / ".checkouts" / ".partial").exists()


def test_something_planted_at_a_checkout_target_is_named_with_the_real_repair_command(root):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    (checkout_folder(root) / "a.txt" / "keep").mkdir(parents=True)
    with pytest.raises(Storage) as info:
        store.checkout(store.resolve(DATA), "a.txt")
    assert str(checkout_folder(root) / "a.txt") in str(info.value) and "Move it away" in str(info.value)
    assert (checkout_folder(root) / "a.txt" / "keep").is_dir()


def test_a_full_disk_while_checking_out_or_downloading_names_the_target_and_the_command(root, monkeypatch, tmp_path):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkout, "hash_file", full)
    with pytest.raises(Storage, match=r"could not check out entry 'a.txt'.*disk is full at .*\.checkouts"):
        store.checkout(version, "a.txt")
    monkeypatch.setattr(shutil, "copyfile", full)
    target = tmp_path / "out"
    with pytest.raises(Storage, match=rf"could not download entry 'a.txt'.*disk is full at {target}/a.txt"):
        store.open(version).download(root=str(target))
    assert read(root) == b"zero"


def test_store_errors_name_the_packages_own_repair_command():
    files = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.files")
    advice = " ".join(text for _, text in files._STORAGE_PROBLEMS.values())
    assert "<package>" not in advice and f"python -m {PACKAGE_NAME}.wandb_integration repair" in advice


def test_a_version_folder_no_one_could_ask_for_never_sets_the_next_number(root):
    write(root, b"zero")
    huge = name_dir(root) / "versions" / ("v" + "9" * 30)
    huge.mkdir()
    version = write(root, b"one")
    assert version.version == 1 and read(root, version="v1") == b"one"
    assert str(huge) in local_store.LocalArtifactStore(root).repair().unexplained


def test_a_journal_line_whose_version_is_not_a_number_is_ignored_as_torn(root):
    write(root, b"zero")
    write(root, b"one")
    with open(name_dir(root) / "aliases.jsonl", "ab") as handle:
        handle.write(json.dumps({"version": True, "aliases": ["prod"]}).encode() + b"\n")
    (name_dir(root) / "index.json").unlink()
    with pytest.raises(integration.ArtifactNotFoundError, match="no alias 'prod'"):
        local_store.LocalArtifactStore(root).resolve(DATA, alias="prod")
    assert read(root) == b"one"


def run_a_step(base_dir, cache_duration_in_minutes):
    """One step through the IO manager on ``base_dir``'s store: its end is when unused copies expire."""
    import dagster as dg

    resource = integration.WandbResource(entity="team", project="proj", mode="offline", base_dir=str(base_dir))
    manager = integration.WandbArtifactsIOManager(
        wandb_resource=resource, cache_duration_in_minutes=cache_duration_in_minutes
    )

    @dg.asset
    def anything() -> int:
        return 1

    assert dg.materialize([anything], resources={"io_manager": manager}).success


def test_copies_unused_for_the_cache_duration_are_removed_when_a_step_ends_and_the_versions_survive(root, base_dir):
    write(root, b"zero")
    write(root, b"one", artifact=OTHER_CHECKOUT)
    store = local_store.LocalArtifactStore(root)
    old = store.checkout(store.resolve(DATA), "a.txt").parent
    recent = store.checkout(store.resolve(OTHER_CHECKOUT), "a.txt").parent
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    run_a_step(base_dir, cache_duration_in_minutes=60)
    assert not old.exists() and recent.exists()  # unused for two days: gone; just used: kept
    assert read(root) == b"zero" and read(root, artifact=OTHER_CHECKOUT) == b"one"  # the versions are intact
    again = local_store.LocalArtifactStore(root).checkout(local_store.LocalArtifactStore(root).resolve(DATA), "a.txt")
    assert again.read_bytes() == b"zero"  # made afresh on the next read


def test_a_copy_used_within_the_hour_is_kept_even_with_caching_off(root, base_dir):
    write(root, b"zero")
    store = local_store.LocalArtifactStore(root)
    handed = store.checkout(store.resolve(DATA), "a.txt")
    run_a_step(base_dir, cache_duration_in_minutes=0)
    assert handed.read_bytes() == b"zero"  # another process may still be reading it


def test_a_copy_read_again_by_a_step_still_running_is_kept_by_another_processs_pass(root, base_dir):
    write(root, b"zero")
    made = local_store.LocalArtifactStore(root)
    folder = made.checkout(made.resolve(DATA), "a.txt").parent
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder, (two_days_ago, two_days_ago))  # made long ago, by a process now gone
    still_running = local_store.LocalArtifactStore(root)  # never closed: its step goes on
    handed = still_running.checkout(still_running.resolve(DATA), "a.txt")
    run_a_step(base_dir, cache_duration_in_minutes=60)  # another process's step ends: its pass runs
    assert handed.read_bytes() == b"zero"
