"""Things of the wrong kind: a pipe or a device where the store keeps a file, a planted name that takes the
last version number, links as the store's own top folders, and selectors that are not strings. Every read
here runs in a thread with a deadline, so a read that blocks fails the test instead of hanging the suite."""

import contextlib
import os
import socket
import threading

import dagster as dg
import pytest

from tests._package import integration, local_store
from tests.wandb_integration.stores.test_store_guarantees import DATA, name_dir, read, snapshot, write

Integrity, Storage = integration.ArtifactIntegrityError, integration.ArtifactStorageError
Configuration = integration.WandbConfigurationError


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


def outcome_within(seconds: float, action) -> BaseException | object:
    """What ``action()`` returned or raised, failing the test if it has not finished within ``seconds``."""
    result: list = []

    def target():
        try:
            result.append(action())
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    return result[0]


def replace_with_pipe(path):
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def replace_with_socket(path):
    path.unlink(missing_ok=True)
    with contextlib.chdir(path.parent), socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path.name)  # relative: socket paths are limited to ~100 bytes; the file stays after close


def replace_with_device_link(path):
    path.unlink()
    path.symlink_to("/dev/zero")


@pytest.mark.parametrize(
    "plant",
    [replace_with_pipe, replace_with_socket, replace_with_device_link],
    ids=["pipe", "socket", "link to /dev/zero"],
)
@pytest.mark.parametrize("where", ["stored file", "manifest"])
def test_a_pipe_or_device_in_place_of_a_version_file_is_an_integrity_error_and_other_versions_read(root, plant, where):
    write(root, b"zero")
    write(root, b"one")
    version_dir = name_dir(root) / "versions" / "v1"
    plant(version_dir / "files" / "a.txt" if where == "stored file" else version_dir / "manifest.json")
    raised = outcome_within(20, lambda: read(root, version=1))
    assert isinstance(raised, Integrity), raised
    assert "v1" in str(raised) and "backup" in str(raised)
    assert outcome_within(20, lambda: read(root, version=0)) == b"zero"


@pytest.mark.parametrize("plant", [replace_with_pipe, replace_with_device_link], ids=["pipe", "link to /dev/zero"])
def test_a_pipe_or_device_in_place_of_the_index_is_rebuilt_around_and_writes_go_on(root, plant):
    write(root, b"zero", aliases=["prod"])
    write(root, b"one")
    plant(name_dir(root) / "index.json")
    assert outcome_within(20, lambda: read(root, alias="prod")) == b"zero"
    assert outcome_within(20, lambda: write(root, b"two").version) == 2
    assert [read(root, version=n) for n in (0, 1, 2)] == [b"zero", b"one", b"two"]


def test_a_pipe_in_place_of_the_alias_journal_is_a_storage_error_naming_it(root):
    write(root, b"zero", aliases=["prod"])
    write(root, b"one", aliases=["next"])
    (name_dir(root) / "index.json").unlink()  # the journal must be read to rebuild the aliases
    replace_with_pipe(name_dir(root) / "aliases.jsonl")
    raised = outcome_within(20, lambda: read(root, alias="next"))
    assert isinstance(raised, Storage), raised
    assert "aliases.jsonl" in str(raised) and "a pipe, device or socket" in str(raised)
    assert (name_dir(root) / "versions" / "v1" / "files" / "a.txt").read_bytes() == b"one"


def test_a_planted_name_at_the_last_version_number_stops_commits_before_an_unreadable_version(root):
    write(root, b"zero")
    versions = name_dir(root) / "versions"
    (versions / ("v" + "9" * 18)).write_text("stray")
    before = snapshot(root)
    with pytest.raises(Storage, match=r"no version number is left in .*versions.*Remove it; nothing was written"):
        write(root, b"new")
    assert snapshot(root) == before and read(root) == b"zero"
    (versions / ("v" + "9" * 18)).unlink()
    assert write(root, b"new").version == 1 and read(root) == b"new"


@pytest.mark.parametrize("linked", ["store root", "integration folder"])
def test_a_link_as_the_stores_own_top_folder_is_refused_and_its_target_untouched(tmp_path, base_dir, linked):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    top = base_dir / "wandb" / "artifacts" if linked == "store root" else base_dir / "wandb"
    top.parent.mkdir(parents=True, exist_ok=True)
    top.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(Exception) as raised:
        if linked == "store root":
            write(base_dir / "wandb" / "artifacts", b"zero")
        else:
            materialize_into(base_dir)
    cause = raised.value
    while not isinstance(cause, Storage) and cause.__cause__ is not None:  # Dagster wraps resource errors
        cause = cause.__cause__
    assert isinstance(cause, Storage), raised.value
    assert "is a link" in str(cause) and "Remove the link" in str(cause)
    assert list(elsewhere.iterdir()) == []


def materialize_into(base_dir):
    @dg.asset
    def numbers() -> list:
        return [1, 2, 3]

    resource = integration.WandbResource(entity=DATA.entity, project=DATA.project, mode="offline")
    io_manager = integration.WandbArtifactsIOManager(wandb_resource=resource, base_dir=str(base_dir))
    dg.materialize([numbers], resources={"io_manager": io_manager}, instance=dg.DagsterInstance.ephemeral())


@pytest.mark.parametrize("alias", [3, ["prod"], ""])
def test_an_alias_that_is_not_a_non_empty_string_is_a_configuration_error_naming_it(root, alias):
    write(root, b"zero", aliases=["prod"])
    with pytest.raises(Configuration, match=rf"alias {alias!r}.*".replace("[", r"\[").replace("]", r"\]")):
        local_store.LocalArtifactStore(root).resolve(DATA, alias=alias)
