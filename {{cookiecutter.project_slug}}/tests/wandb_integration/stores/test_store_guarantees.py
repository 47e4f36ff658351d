"""The local store's promises under attack: lost, stale or forged indexes, copied or swapped versions,
corrupted files. Each test damages the store from outside, then checks what survived, byte for byte.

The promises (stores/local.py): a committed version is never deleted or overwritten; numbers are never
reused; the index is a cache rebuilt from the version folders; a read never returns another version's
bytes; equal content never reuses a damaged version; repair rebuilds and deletes nothing.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests._package import PACKAGE_NAME, digests, integration, local_store, store_base

ArtifactDraft, ArtifactId = store_base.ArtifactDraft, store_base.ArtifactId
DATA = ArtifactId("team", "proj", "dataset")
Integrity = integration.ArtifactIntegrityError


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


def write(root, data: bytes, artifact=DATA, aliases=(), **fields):
    """Commit one version holding ``a.txt`` from a fresh store object (as a new process would)."""
    store = local_store.LocalArtifactStore(root)
    with store.staging_dir() as staging:
        (staging / "a.txt").write_bytes(data)
        draft = ArtifactDraft(artifact, "dataset", files={"a.txt": staging / "a.txt"}, aliases=list(aliases), **fields)
        return store.commit(draft)


def read(root, artifact=DATA, **selector) -> bytes:
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(artifact, **selector)
    return store.local_path(version, "a.txt").read_bytes()


def snapshot(folder) -> dict[str, bytes]:
    """Every version's files, byte for byte: what must survive."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "versions" in path.parts
    }


def name_dir(root, artifact=DATA):
    return root / artifact.entity / artifact.project / artifact.name


@pytest.mark.parametrize("damage", ["deleted", "truncated", "emptied", "another artifact's"])
def test_a_lost_or_damaged_index_loses_no_version_and_reuses_no_number(root, damage):
    write(root, b"zero", aliases=["first"])
    write(root, b"one", aliases=["second"])
    write(root, b"x", artifact=ArtifactId("team", "proj", "other"))
    before = snapshot(name_dir(root))
    index = name_dir(root) / "index.json"
    if damage == "deleted":
        index.unlink()
    elif damage == "truncated":
        index.write_bytes(index.read_bytes()[:30])
    elif damage == "emptied":
        index.write_bytes(b"")
    else:
        shutil.copyfile(name_dir(root, ArtifactId("team", "proj", "other")) / "index.json", index)
    # Reads work before any write repairs anything (a read-only reader rebuilds in memory) ...
    assert read(root, version=0) == b"zero" and read(root) == b"one"
    assert read(root, alias="first") == b"zero" and read(root, alias="second") == b"one"
    # ... and a write gets the next number, leaving both versions byte-identical.
    assert write(root, b"two").version == 2
    after = snapshot(name_dir(root))
    assert {path: data for path, data in after.items() if "/v2/" not in path} == before
    assert [read(root, version=n) for n in range(3)] == [b"zero", b"one", b"two"]


def test_an_index_restored_from_an_older_copy_loses_no_newer_version_or_alias(root):
    write(root, b"zero")
    backup = (name_dir(root) / "index.json").read_bytes()
    write(root, b"one", aliases=["best"])
    write(root, b"one", aliases=["prod"])  # equal content: "prod" moves onto v1 (the alias journal)
    before = snapshot(name_dir(root))
    (name_dir(root) / "index.json").write_bytes(backup)  # "restore it from a backup"
    assert read(root) == b"one" and read(root, alias="best") == b"one" and read(root, alias="prod") == b"one"
    assert write(root, b"two").version == 2
    assert {p: d for p, d in snapshot(name_dir(root)).items() if "/v2/" not in p} == before
    assert read(root, alias="prod") == b"one"


@pytest.mark.parametrize("damage", ["deleted", "truncated", "an older copy"])
def test_an_alias_journal_lost_or_put_back_older_loses_no_alias_move_the_index_holds(root, damage):
    write(root, b"zero")
    write(root, b"zero", aliases=["staging"])  # equal content: alias moves go to the alias journal
    journal = name_dir(root) / "aliases.jsonl"
    older = journal.read_bytes()
    write(root, b"zero", aliases=["prod"])
    if damage == "deleted":
        journal.unlink()
    else:
        journal.write_bytes(b"" if damage == "truncated" else older)
    assert read(root, alias="prod") == b"zero" and read(root, alias="staging") == b"zero"
    assert write(root, b"one").version == 1  # a writer rewrites the index: the moves must survive that too
    assert read(root, alias="prod") == b"zero" and read(root, alias="staging") == b"zero"
    local_store.LocalArtifactStore(root).repair()
    assert read(root, alias="prod") == b"zero" and read(root, alias="staging") == b"zero"


def test_a_version_folder_copied_over_another_is_an_integrity_error_naming_both_digests(root):
    v0, v1 = write(root, b"zero"), write(root, b"one")
    v2 = write(root, b"two")
    versions = name_dir(root) / "versions"
    shutil.rmtree(versions / "v2", onerror=lambda f, p, e: (os.chmod(p, 0o700), f(p)))
    shutil.copytree(versions / "v1", versions / "v2")  # cp -r versions/v1 versions/v2
    store = local_store.LocalArtifactStore(root)
    with pytest.raises(Integrity) as info:
        store.resolve(DATA, version=2)
    assert v1.digest in str(info.value) and v2.digest in str(info.value)
    with pytest.raises(Integrity):
        store.resolve(DATA)  # latest is v2: never v1's bytes under v2's name
    assert read(root, version=0) == b"zero" and v0.version == 0


def test_swapped_manifests_are_caught_on_read_and_by_verify(root):
    v0, v1 = write(root, b"zero"), write(root, b"one")
    versions = name_dir(root) / "versions"
    m0, m1 = (versions / "v0" / "manifest.json"), (versions / "v1" / "manifest.json")
    a, b = m0.read_bytes(), m1.read_bytes()
    m0.write_bytes(b)
    m1.write_bytes(a)
    store = local_store.LocalArtifactStore(root)
    for number, version in ((0, v0), (1, v1)):
        with pytest.raises(Integrity, match=version.digest):
            store.resolve(DATA, version=number)
    with pytest.raises(Integrity):
        store.verify(v0)  # a version resolved before the swap: verify re-reads the manifest from disk


def test_a_manifest_edited_to_match_a_tampered_file_is_caught(root):
    version = write(root, b"good")
    folder = name_dir(root) / "versions" / "v0"
    stored = folder / "files" / "a.txt"
    os.chmod(stored, 0o644)
    stored.write_bytes(b"evil")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["entries"]["a.txt"]["digest"] = digests.file_digest(stored)  # entries match, total is stale
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(Integrity, match="entries add up to"):
        read(root)
    manifest["digest"] = digests.artifact_digest([("a.txt", digests.file_digest(stored))])  # total too
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(Integrity, match=version.digest):  # the index still knows the committed digest
        read(root)


def test_a_file_edited_in_place_with_its_times_restored_is_caught_by_the_process_that_read_it(root):
    write(root, b"good bytes")
    store = local_store.LocalArtifactStore(root)
    version = store.resolve(DATA)
    stored = store.local_path(version, "a.txt")
    info = stored.stat()
    os.chmod(stored, 0o644)
    with open(stored, "r+b") as handle:
        handle.write(b"evil")
    os.utime(stored, ns=(info.st_atime_ns, info.st_mtime_ns))
    os.chmod(stored, info.st_mode)
    with pytest.raises(Integrity, match="changed or corrupted"):
        store.local_path(version, "a.txt")


@pytest.mark.parametrize("damage", ["edited", "deleted"])
def test_writing_the_value_again_repairs_a_damaged_latest(root, damage):
    write(root, b"old")
    write(root, b"value")
    stored = name_dir(root) / "versions" / "v1" / "files" / "a.txt"
    if damage == "edited":
        os.chmod(stored, 0o644)
        stored.write_bytes(b"VALUE")
    else:
        stored.unlink()
    with pytest.raises(Integrity, match="writing the same value again"):
        read(root)
    again = write(root, b"value")  # what the message advises
    assert again.version == 2 and again.digest == local_store.LocalArtifactStore(root).versions(DATA)[1].digest
    assert read(root) == b"value" and read(root, version=0) == b"old"


def test_an_indexed_version_whose_folder_is_gone_is_named_and_its_number_kept(root):
    write(root, b"zero")
    write(root, b"one")
    shutil.rmtree(name_dir(root) / "versions" / "v1", onerror=lambda f, p, e: (os.chmod(p, 0o700), f(p)))
    with pytest.raises(Integrity, match=r"dataset:v1.*folder .* is gone"):
        read(root)
    assert read(root, version=0) == b"zero"
    assert write(root, b"two").version == 2  # v1 is not reused for other content


def test_a_version_folder_replaced_by_a_link_is_not_taken_for_the_version(root):
    write(root, b"mine")
    other = ArtifactId("team", "proj", "other")
    write(root, b"theirs", artifact=other)
    versions = name_dir(root) / "versions"
    shutil.rmtree(versions / "v0", onerror=lambda f, p, e: (os.chmod(p, 0o700), f(p)))
    (versions / "v0").symlink_to(name_dir(root, other) / "versions" / "v0")
    with pytest.raises(Integrity, match="gone"):
        read(root)
    assert read(root, artifact=other) == b"theirs"


def test_a_planted_link_at_the_index_temp_file_writes_nothing_outside(root, tmp_path):
    write(root, b"zero")
    outside = tmp_path / "outside.txt"
    outside.write_text("do not touch")
    (name_dir(root) / "index.json.tmp").symlink_to(outside)
    write(root, b"one")
    assert outside.read_text() == "do not touch"
    assert not (name_dir(root) / "index.json").is_symlink()


@pytest.mark.stress
def test_a_writer_racing_a_process_that_deletes_the_index_loses_nothing(root):
    write(root, b"seed")
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "index = Path(sys.argv[1])\n"
        "end = time.monotonic() + 3\n"
        "while time.monotonic() < end:\n"
        "    index.unlink(missing_ok=True)\n"
    )
    deleter = subprocess.Popen([sys.executable, "-c", script, str(name_dir(root) / "index.json")])
    try:
        written = [write(root, f"payload {i}".encode()).version for i in range(20)]
    finally:
        deleter.wait(30)
    store = local_store.LocalArtifactStore(root)
    assert written == list(range(1, 21))
    assert [store.local_path(v, "a.txt").read_bytes() for v in store.versions(DATA)] == [
        b"seed",
        *(f"payload {i}".encode() for i in range(20)),
    ]


def test_one_bad_manifest_hides_no_other_version(root):
    for n in range(5):
        write(root, f"v{n}".encode())
    (name_dir(root) / "versions" / "v2" / "manifest.json").write_text('{"format": 1, "entr')
    store = local_store.LocalArtifactStore(root)
    readable, damaged = store.scan(DATA)
    assert [v.version for v in readable] == [0, 1, 3, 4]
    assert list(damaged) == ["v2"] and "manifest" in damaged["v2"]
    assert [store.local_path(v, "a.txt").read_bytes() for v in readable] == [b"v0", b"v1", b"v3", b"v4"]


def test_version_folders_without_an_index_are_found_not_reported_missing(root):
    write(root, b"zero")
    (name_dir(root) / "index.json").unlink()
    store = local_store.LocalArtifactStore(root)
    assert store.list_artifacts("team", "proj") == [DATA]
    assert store.resolve(DATA).version == 0


def test_repair_rebuilds_reports_and_deletes_nothing(root):
    write(root, b"zero", aliases=["first"])
    write(root, b"one", aliases=["best"])
    folder = name_dir(root)
    (folder / "index.json").unlink()
    (folder / "versions" / "v7-junk").mkdir()
    (folder / "versions" / "v3").mkdir()  # a number with no manifest: not a version
    (folder / "stray.txt").write_text("mine")
    (folder / "versions" / "v1" / "files" / "extra.bin").write_bytes(b"?")
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.name != "index.json"}
    report = local_store.LocalArtifactStore(root).repair()
    assert report.rebuilt == {str(DATA): "its index was missing"}
    assert report.damaged == {}
    assert sorted(report.unexplained) == sorted(
        str(folder / path) for path in ("versions/v3", "versions/v7-junk", "stray.txt", "versions/v1/files/extra.bin")
    )
    assert not report.clean
    assert all(path.exists() for path in before)  # nothing it did not create was deleted
    index = json.loads((folder / "index.json").read_text())
    assert [v["version"] for v in index["versions"]] == [0, 1]
    assert index["aliases"] == {"best": 1, "first": 0, "latest": 1}
    assert read(root, alias="first") == b"zero" and read(root, alias="best") == b"one"
    assert write(root, b"two").version == 4  # above the unexplained v3 too


def test_repair_finds_corrupted_files_and_a_dry_run_writes_nothing(root):
    write(root, b"zero")
    stored = name_dir(root) / "versions" / "v0" / "files" / "a.txt"
    os.chmod(stored, 0o644)
    stored.write_bytes(b"Zero")
    (name_dir(root) / "index.json").unlink()
    report = local_store.LocalArtifactStore(root).repair(dry_run=True)
    assert list(report.damaged) == [f"{DATA}:v0"] and "changed or corrupted" in report.damaged[f"{DATA}:v0"]
    assert report.rebuilt and not (name_dir(root) / "index.json").exists()
    quick = local_store.LocalArtifactStore(root).repair(verify_files=False)
    assert quick.damaged == {} and (name_dir(root) / "index.json").exists()


@pytest.mark.slow  # runs the command-line interface in processes of its own
def test_the_repair_command(base_dir, root):
    write(root, b"zero")
    (name_dir(root) / "index.json").unlink()
    command = [sys.executable, "-m", f"{PACKAGE_NAME}.wandb_integration", "repair", "--base-dir", str(base_dir)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert f"rebuilt the index of {DATA}: its index was missing" in completed.stdout
    assert (
        "1 artifact(s) checked: 1 index(es) rebuilt, 0 damaged version(s), 0 unexplained path(s)." in completed.stdout
    )
    (name_dir(root) / "versions" / "junk").mkdir()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 1 and "unexplained (left in place)" in completed.stdout
    missing = [*command[:-1], str(base_dir / "nowhere")]
    completed = subprocess.run(missing, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2 and "no local artifact store" in completed.stderr
