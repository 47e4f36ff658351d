"""What the store may touch and how it fails at the edges: nothing written outside it, a read-only store
still readable, a full disk or an unusable folder reported as what it is, with earlier versions intact."""

import errno
import os
from pathlib import Path

import dagster as dg
import pytest

from tests._package import integration, store_base
from tests._package import store_files as files
from tests.conftest import ENTITY, PROJECT
from tests.wandb_integration.stores import isolated

needs_mounts = pytest.mark.skipif(not isolated.AVAILABLE, reason="needs a private mount namespace (Linux unshare)")
Config, Storage = integration.WandbConfigurationError, integration.ArtifactStorageError


def everything_under(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


def write_with(resources, configuration, value=None):
    @dg.asset(metadata={"wandb_artifact_configuration": configuration})
    def bundle():
        return value if value is not None else {"k": 1}

    return dg.materialize([bundle], resources=resources)


@pytest.mark.parametrize(
    "name",
    [
        "/tmp/escape-{tag}.txt",
        "../../escape-{tag}.txt",
        "docs/../../../escape-{tag}.txt",
        "a\0b",
        "../",
        "./x",
        "docs/" + "x" * 256,
        "a\\..\\b",
    ],
    ids=["absolute", "dotdot", "nested-dotdot", "nul", "bare-dotdot", "dot", "part-too-long", "backslash"],
)
@pytest.mark.parametrize("key", ["add_files", "add_dirs"])
def test_entry_names_that_leave_the_artifact_are_refused_before_anything_is_copied(
    resources, base_dir, tmp_path, name, key
):
    tag = f"{key}-{os.getpid()}"
    name = name.format(tag=tag)
    source = tmp_path / "source"
    source.mkdir()
    (source / "data.txt").write_text("payload")
    item = {"local_path": str(source / "data.txt") if key == "add_files" else str(source), "name": name}
    watched = tmp_path.parent
    before = everything_under(watched) | set(Path("/tmp").glob("escape-*"))
    with pytest.raises(Config) as info:
        write_with(resources, {key: [item]})
    assert repr(name) in str(info.value) and "relative path" in str(info.value)
    created = (everything_under(watched) | set(Path("/tmp").glob("escape-*"))) - before
    assert {path for path in created if not path.is_relative_to(base_dir)} == set()
    assert not any(tag in str(path) for path in created)


def test_add_dirs_refuses_links_out_of_the_folder_and_stores_links_inside_as_bytes(resources, store, tmp_path):
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "real.txt").write_text("inside")
    (source / "inside-link.txt").symlink_to(source / "sub" / "real.txt")
    write_with(resources, {"add_dirs": [{"local_path": str(source)}]})
    version = store.resolve(store_base.ArtifactId(ENTITY, PROJECT, "bundle"))
    assert store.local_path(version, "inside-link.txt").read_text() == "inside"
    assert not store.local_path(version, "inside-link.txt").is_symlink()

    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not for the artifact")
    (source / "outside-link.txt").symlink_to(secret)
    with pytest.raises(Config, match=r"outside-link\.txt.*secret\.txt.*outside"):
        write_with(resources, {"add_dirs": [{"local_path": str(source)}]}, value={"k": 2})
    (source / "outside-link.txt").unlink()
    (source / "folder-link").symlink_to(secret.parent)
    with pytest.raises(Config, match=r"folder-link.*link to the folder.*own add_dirs entry"):
        write_with(resources, {"add_dirs": [{"local_path": str(source)}]}, value={"k": 3})
    assert [v.version for v in store.versions(version.id)] == [0]


@pytest.mark.parametrize("order", [["a", "a/b"], ["a/b", "a"]])
def test_a_file_named_like_another_entrys_folder_is_refused_before_anything_is_copied(
    resources, store, base_dir, tmp_path, order
):
    (tmp_path / "one.txt").write_text("1")
    (tmp_path / "two.txt").write_text("2")
    items = [{"local_path": str(tmp_path / f), "name": n} for f, n in zip(["one.txt", "two.txt"], order, strict=True)]
    with pytest.raises(Config, match=r"entry path 'a' of artifact '.*bundle' is used twice \(as a file and a folder"):
        write_with(resources, {"add_files": items})
    staging = base_dir / "wandb" / "artifacts" / ".staging"
    assert not [p for p in staging.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


@pytest.mark.parametrize("loop", ["self", "pair"])
def test_a_link_loop_in_add_dirs_is_refused_naming_the_link(resources, tmp_path, loop):
    source = tmp_path / "source"
    source.mkdir()
    (source / "data.txt").write_text("payload")
    if loop == "self":
        (source / "me").symlink_to(source / "me")
    else:
        (source / "ping").symlink_to(source / "pong")
        (source / "pong").symlink_to(source / "ping")
    with pytest.raises(Config, match=r"is a link that loops"):
        write_with(resources, {"add_dirs": [{"local_path": str(source)}]})


def test_a_base_dir_that_is_a_file_is_a_configuration_error_naming_it(tmp_path):
    not_a_folder = tmp_path / "base_dir.txt"
    not_a_folder.write_text("")
    resource = integration.WandbResource(entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(not_a_folder))

    @dg.asset
    def anything() -> int:
        return 1

    with pytest.raises(dg.DagsterResourceFunctionError) as info:  # Dagster wraps errors of resource setup
        dg.materialize(
            [anything], resources={"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)}
        )
    assert isinstance(info.value.__cause__, Config)
    assert f"base_dir {not_a_folder} is a file, not a folder" in str(info.value.__cause__)


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        (errno.ENOSPC, ["the disk is full", "ENOSPC", "larger disk"]),
        (errno.EDQUOT, ["quota", "EDQUOT"]),
        (errno.EROFS, ["read-only", "EROFS", "writable base_dir"]),
        (errno.EACCES, ["permission is denied", "EACCES"]),
        (errno.ENOTDIR, ["is a file, not a folder", "ENOTDIR"]),
        (errno.EISDIR, ["a folder is where the store keeps a file", "EISDIR", "repair"]),
        (errno.EEXIST, ["a file is where the store keeps a folder", "EEXIST", "repair"]),
        (errno.ELOOP, ["a symbolic link", "ELOOP", "remove the link"]),
        (errno.ENAMETOOLONG, ["too long", "ENAMETOOLONG", "255 bytes"]),
    ],
)
def test_each_storage_errno_names_the_artifact_the_path_and_the_way_out(tmp_path, code, fragments):
    """The translation every write goes through (the tmpfs and read-only tests below hit it for real)."""
    where = tmp_path / "store" / "where"
    with pytest.raises(Storage) as info, files.storage_errors("artifact 'e/p/model'", tmp_path):
        raise OSError(code, os.strerror(code), str(where))
    for fragment in [*fragments, "'e/p/model'", str(where), "Nothing was committed"]:
        assert fragment in str(info.value)
    with pytest.raises(FileNotFoundError), files.storage_errors("artifact 'e/p/model'", tmp_path):
        raise FileNotFoundError(errno.ENOENT, "gone")  # not a storage condition: left as it is
    assert files.storage_errno(OSError("[errno 28] Error writing bytes to file")) == errno.ENOSPC  # pyarrow's form


def test_setting_the_io_manager_up_writes_nothing_and_runs_leave_no_files_behind(resources, base_dir):
    @dg.asset
    def tiny() -> int:
        return 1

    @dg.asset
    def nothing() -> None:
        return None

    for _ in range(3):
        dg.materialize([tiny, nothing], resources=resources)
    after_three = everything_under(base_dir)
    for _ in range(5):
        dg.materialize([tiny, nothing], resources=resources)
    assert everything_under(base_dir) == after_three  # equal values, no per-run markers: nothing new
    assert not (base_dir / "wandb" / "runs").exists()


@needs_mounts
@pytest.mark.slow
def test_a_full_disk_is_a_storage_error_and_every_earlier_version_survives(tmp_path):
    base = tmp_path / "small-disk"
    base.mkdir()
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2_000_000))
    result = isolated.run(
        tmp_path, "disk_full", [f"mount -t tmpfs -o size=1m tmpfs {base}"], STORE_BASE=str(base), BIG_FILE=str(big)
    )
    assert result["small"] == {"ok": True}
    for case in ("parquet", "streamed", "add_files", "records"):
        outcome = result[case]
        assert not outcome["ok"], case
        assert outcome["class"] == "ArtifactStorageError", outcome
        assert "SerializationError" not in outcome["bases"]
        assert "e/p/frame" in outcome["message"] and "the disk is full" in outcome["message"], outcome
        assert str(base) in outcome["message"], outcome
        after = result[f"{case}_after"]
        assert after["verified"] == [0], after  # the version written first is whole and verified
        assert after["staging_leftovers"] == [], after  # nothing half-written keeps the disk full
    repair = result["repair"]
    assert repair["status"] == 2, repair  # the store cannot be repaired here: not "a human has to look"
    assert "the disk is full" in repair["stderr"] and "e/p/frame" in repair["stderr"], repair
    assert "Traceback" not in repair["stderr"], repair
    assert result["repair_after"]["verified"] == [0]


@needs_mounts
@pytest.mark.slow
def test_a_read_only_store_is_readable_through_the_io_manager_and_refuses_writes_clearly(tmp_path, base_dir):
    @dg.asset
    def upstream() -> list:
        return [1, 2, 3]

    resource = integration.WandbResource(entity="e", project="p", mode="offline", base_dir=str(base_dir))
    dg.materialize([upstream], resources={"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = {path: path.stat().st_mtime_ns for path in everything_under(base_dir)}
    mounts = [f"mount --bind {base_dir} {base_dir}", f"mount -o remount,bind,ro {base_dir}"]
    result = isolated.run(tmp_path, "read_only", mounts, STORE_BASE=str(base_dir), OTHER_OUTPUTS=str(elsewhere))
    assert result["writable"] is False  # the premise: the store really is read-only in there
    assert result["read"] == {"ok": True} and result["seen"] == [[1, 2, 3]]
    # get_path and download() still work: nothing there can change the stored files, so they are handed out.
    assert result["handed_out"]["ok"] and result["handed_out"]["same_bytes"], result["handed_out"]
    assert len(result["handed_out"]["folder"]) == 1
    assert result["write"]["class"] == "ArtifactStorageError"
    assert "read-only" in result["write"]["message"] and "e/p/upstream" in result["write"]["message"]
    # A dry-run repair only reads, so it runs there; a real one says the store is read-only, no traceback.
    assert result["repair_dry_run"]["status"] == 0, result["repair_dry_run"]
    assert "1 artifact(s) checked" in result["repair_dry_run"]["stdout"]
    assert result["repair"]["status"] == 2 and "read-only" in result["repair"]["stderr"], result["repair"]
    assert "Traceback" not in result["repair"]["stderr"]
    assert {path: path.stat().st_mtime_ns for path in everything_under(base_dir)} == before
