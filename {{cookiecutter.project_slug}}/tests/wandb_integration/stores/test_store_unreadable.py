"""Versions that cannot be read: a stored folder that became a file, a manifest or folder nobody may read,
entry paths the store could commit but never open again. Every read, verify and repair names the path in an
``ArtifactStorageError`` (or refuses the entry up front), one such version or artifact never hides the
others, and writing the value again makes a new version past the damage. An index nobody may read is only a
cache: rebuilt. Each test checks what survived."""

import os
import shutil
import subprocess
import sys

import pytest

from tests._package import PACKAGE_NAME, integration, local_store, store_base
from tests.wandb_integration.stores.test_store_guarantees import DATA, name_dir, read, write

Storage, Configuration = integration.ArtifactStorageError, integration.WandbConfigurationError
OTHER = store_base.ArtifactId("team", "proj", "other")


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


def files_folder_made_a_file(root, number=0):
    files = name_dir(root) / "versions" / f"v{number}" / "files"
    shutil.rmtree(files, onerror=lambda f, p, e: (os.chmod(p, 0o700), f(p)))
    files.write_bytes(b"someone's file")
    return files


def test_a_files_folder_that_became_a_file_is_a_storage_error_and_hides_nothing_else(root):
    write(root, b"zero")
    write(root, b"one")
    write(root, b"x", artifact=OTHER)
    (name_dir(root, OTHER) / "index.json").unlink()  # repair must still get to it
    files = files_folder_made_a_file(root, 1)
    store = local_store.LocalArtifactStore(root)
    with pytest.raises(Storage, match="not a folder") as info:
        read(root)
    assert str(files) in str(info.value)
    with pytest.raises(Storage, match="could not verify"):
        store.verify(store.resolve(DATA))
    assert [v.version for v in store.scan(DATA)[0]] == [0, 1] and read(root, version=0) == b"zero"
    report = store.repair()
    assert f"{DATA}:v1" in report.damaged and str(OTHER) in report.rebuilt
    assert read(root, artifact=OTHER) == b"x" and files.read_bytes() == b"someone's file"  # nothing deleted


def test_writing_equal_content_again_makes_a_new_version_past_an_unreadable_latest(root):
    write(root, b"payload")
    files = files_folder_made_a_file(root)
    assert write(root, b"payload").version == 1
    assert read(root) == b"payload" and files.read_bytes() == b"someone's file"


def test_an_entry_path_too_long_to_open_once_stored_is_refused_before_anything_is_committed(root):
    write(root, b"zero")
    name = "n" * 120
    artifact = store_base.ArtifactId("team", "proj", name)
    # Fits below the scratch folder (about 80 bytes below the root), not below versions/vN/files (about 170).
    size = 4095 - len(os.fsencode(root)) - 120
    entry = "/".join(["d" * 200] * (size // 201)) + "/" + "a" * (size % 201 - 1)
    store = local_store.LocalArtifactStore(root)
    with store.staging_dir() as staging:
        source = staging.parent / "source.bin"
        source.write_bytes(b"long")
        with pytest.raises(Configuration, match="Shorten the entry path") as info:
            store.commit(store_base.ArtifactDraft(artifact, "dataset", files={entry: source}))
    assert "bytes" in str(info.value) and name in str(info.value)
    assert not (root / "team" / "proj" / name / "versions").exists() or not any(
        (root / "team" / "proj" / name / "versions").iterdir()
    )
    assert read(root) == b"zero"


def test_a_file_name_that_is_not_utf8_is_refused_naming_it(root, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    odd = os.fsdecode(b"caf\xe9.txt")
    (folder / odd).write_bytes(b"x")
    store = local_store.LocalArtifactStore(root)
    with pytest.raises(Configuration, match="UTF-8") as info:
        store.commit(store_base.ArtifactDraft(DATA, "dataset", files={odd: folder / odd}))
    assert repr(odd) in str(info.value)


SETPRIV = shutil.which("setpriv") if os.geteuid() == 0 else None
UNPRIVILEGED = os.geteuid() != 0 or SETPRIV is not None


def as_unprivileged(root, code: str) -> str:
    """Run ``code`` (with ``store`` and ``DATA`` defined) where file modes bind: as root, without capabilities."""
    script = (
        f"from {PACKAGE_NAME}.wandb_integration.stores.local import LocalArtifactStore\n"
        f"from {PACKAGE_NAME}.wandb_integration.stores.base import ArtifactId\n"
        f"store = LocalArtifactStore({str(root)!r})\n"
        f"DATA = ArtifactId({DATA.entity!r}, {DATA.project!r}, {DATA.name!r})\n"
        "try:\n" + "".join(f"    {line}\n" for line in code.splitlines()) + "except Exception as exc:\n"
        "    print(type(exc).__name__ + ': ' + str(exc))\n"
    )
    prefix = [SETPRIV, "--bounding-set=-all", "--inh-caps=-all"] if SETPRIV else []
    completed = subprocess.run(
        [*prefix, sys.executable, "-c", script], capture_output=True, text=True, env=os.environ, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


@pytest.mark.slow  # starts processes of its own
@pytest.mark.skipif(not UNPRIVILEGED, reason="file modes do not bind: root without setpriv to drop capabilities")
@pytest.mark.parametrize("target", ["versions/v0/manifest.json", "versions/v0", "versions/v0/files"])
def test_a_part_of_a_version_nobody_may_read_is_a_storage_error_naming_it(root, target):
    write(root, b"zero")
    write(root, b"one")
    path = name_dir(root) / target
    mode = path.stat().st_mode
    os.chmod(path, 0)
    try:
        outcomes = {
            "read": as_unprivileged(root, "store.local_path(store.resolve(DATA, version=0), 'a.txt')"),
            "verify": as_unprivileged(root, "store.verify(store.resolve(DATA, version=0))"),
            "other version": as_unprivileged(
                root, "print(store.local_path(store.resolve(DATA), 'a.txt').read_bytes())"
            ),
        }
    finally:
        os.chmod(path, mode)
    for action in ("read", "verify"):
        assert outcomes[action].startswith("ArtifactStorageError: ") and "permission is denied" in outcomes[action]
        assert str(name_dir(root) / "versions" / "v0") in outcomes[action], outcomes[action]
    assert outcomes["other version"] == "b'one'"
    assert read(root, version=0) == b"zero"


@pytest.mark.slow  # starts a process of its own
@pytest.mark.skipif(not UNPRIVILEGED, reason="file modes do not bind: root without setpriv to drop capabilities")
def test_repair_of_a_store_nobody_may_read_exits_2_with_a_message_not_a_traceback(root, base_dir):
    write(root, b"zero")
    mode = root.stat().st_mode
    os.chmod(root, 0)
    try:
        prefix = [SETPRIV, "--bounding-set=-all", "--inh-caps=-all"] if SETPRIV else []
        command = [sys.executable, "-m", f"{PACKAGE_NAME}.wandb_integration", "repair", "--base-dir", str(base_dir)]
        completed = subprocess.run([*prefix, *command], capture_output=True, text=True, check=False)
    finally:
        os.chmod(root, mode)
    assert completed.returncode == 2 and "Traceback" not in completed.stderr, completed.stderr
    assert "permission is denied" in completed.stderr and str(root) in completed.stderr
    assert read(root) == b"zero"


@pytest.mark.slow  # starts a process of its own
@pytest.mark.skipif(not UNPRIVILEGED, reason="file modes do not bind: root without setpriv to drop capabilities")
def test_an_index_nobody_may_read_is_rebuilt_for_readers_and_replaced_by_the_next_writer(root):
    write(root, b"zero", aliases=["prod"])
    write(root, b"one")
    index = name_dir(root) / "index.json"
    os.chmod(index, 0)
    outcome = as_unprivileged(
        root,
        "print(store.local_path(store.resolve(DATA, alias='prod'), 'a.txt').read_bytes())\n"
        f"from {PACKAGE_NAME}.wandb_integration.stores.base import ArtifactDraft\n"
        "with store.staging_dir() as staging:\n"
        "    (staging / 'a.txt').write_bytes(b'two')\n"
        "    print(store.commit(ArtifactDraft(DATA, 'dataset', files={'a.txt': staging / 'a.txt'})).version_tag)",
    )
    assert outcome.splitlines() == ["b'zero'", "v2"], outcome
    assert os.stat(index).st_mode & 0o444  # the index is the writer's new one
    assert [read(root, alias="prod"), read(root, version=1), read(root)] == [b"zero", b"one", b"two"]
