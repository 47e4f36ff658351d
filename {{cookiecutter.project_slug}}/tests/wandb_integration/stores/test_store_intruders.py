"""What others leave in the store's folders: copied version folders with the index lost, torn journal lines,
forged manifest paths, links planted where the store keeps its own files, and things of the wrong kind
(a folder for a file, a file for a folder). Each test checks what survived and what was never touched."""

import json
import os
import shutil

import pytest

from tests._package import digests, integration, local_store
from tests.wandb_integration.stores.test_store_guarantees import DATA, ArtifactDraft, name_dir, read, snapshot, write

ArtifactId = DATA.__class__
Integrity, Storage = integration.ArtifactIntegrityError, integration.ArtifactStorageError
OTHER = ArtifactId("team", "proj", "other")


@pytest.fixture
def root(base_dir):
    return base_dir / "wandb" / "artifacts"


@pytest.fixture
def victim(tmp_path):
    """Someone else's folder, with names that look like the store's own (a lock, a scratch token)."""
    folder = tmp_path / "victim"
    (folder / "results").mkdir(parents=True)
    (folder / "thesis.tex").write_text("years of work")
    (folder / "results" / "table.csv").write_text("a,b\n")
    (folder / "notes.lock").write_text("")
    (folder / f"{os.getpid()}-{'0' * 32}").mkdir()
    return folder


def everything(folder):
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("source", ["an older version", "another artifact's version"])
def test_a_copied_version_folder_with_the_index_lost_is_never_read_as_that_version(root, source):
    for data in (b"zero", b"one", b"two"):
        write(root, data)
    write(root, b"BETA", artifact=OTHER)
    versions = name_dir(root) / "versions"
    shutil.rmtree(versions / "v2")
    origin = versions / "v1" if source == "an older version" else name_dir(root, OTHER) / "versions" / "v0"
    shutil.copytree(origin, versions / "v2")
    (name_dir(root) / "index.json").unlink()
    with pytest.raises(Integrity, match=r"dataset:v2'.*committed as '.*:v[01]'.*copied or moved"):
        read(root, version=2)
    assert [read(root, version=n) for n in (0, 1)] == [b"zero", b"one"]
    report = local_store.LocalArtifactStore(root).repair()
    assert "team/proj/dataset:v2" in report.damaged and "committed as" in report.damaged["team/proj/dataset:v2"]
    assert write(root, b"three").version == 3  # the copy keeps its number; nothing is renumbered onto it


def test_a_torn_alias_journal_line_never_swallows_the_next_alias_move(root):
    for data in (b"zero", b"one", b"two"):
        write(root, data)
    journal = name_dir(root) / "aliases.jsonl"
    with open(journal, "ab") as handle:
        handle.write(b'{"version": 1, "ali')  # a writer killed in the middle of its append
    assert write(root, b"two", aliases=["prod"]).version == 2  # equal content: the alias moves, journaled
    (name_dir(root) / "index.json").unlink()
    assert read(root, alias="prod") == b"two"
    assert local_store.LocalArtifactStore(root).resolve(DATA, alias="prod").version == 2


def test_a_manifest_entry_leading_out_of_the_version_folder_is_refused(root, tmp_path):
    write(root, b"zero")
    write(root, b"one")
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"not for readers")
    manifest_path = name_dir(root) / "versions" / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    forged = "../" * 8 + str(outside).lstrip("/")
    digest = digests.file_digest(outside)
    manifest["entries"] = {forged: {"digest": digest, "size": outside.stat().st_size, "ref": None}}
    manifest["digest"] = digests.artifact_digest([(forged, digest)])
    os.chmod(manifest_path, 0o644)
    manifest_path.write_text(json.dumps(manifest))
    (name_dir(root) / "index.json").unlink()
    store = local_store.LocalArtifactStore(root)
    with pytest.raises(Integrity, match=r"dataset:v1'.*lists entry '\.\./.*lead out of the version folder"):
        store.resolve(DATA, version=1)
    assert read(root, version=0) == b"zero"


def test_a_link_planted_as_the_scratch_folder_is_refused_and_what_it_points_to_untouched(root, victim):
    write(root, b"zero")
    before, kept = everything(victim), snapshot(name_dir(root))
    shutil.rmtree(root / ".staging")
    (root / ".staging").symlink_to(victim)
    with pytest.raises(Storage, match=r"\.staging is a link or a file.*never follows links.*Remove it"):
        write(root, b"one")
    assert everything(victim) == before
    assert snapshot(name_dir(root)) == kept and read(root) == b"zero"


def test_a_sweep_removes_only_the_scratch_folders_the_store_made(root, victim):
    write(root, b"zero")
    strays = root / ".staging"
    made = set(everything(strays))  # the first store object's own scratch folder, no longer held
    shutil.copytree(victim, strays, dirs_exist_ok=True)  # foreign files, one named like a token but not held
    foreign = {
        name: data
        for name, data in everything(strays).items()
        if name not in made and not name.startswith(f"{os.getpid()}-0")
    }
    assert write(root, b"one").version == 1  # a fresh store object sweeps once
    left = everything(strays)
    assert {name: left.get(name) for name in foreign} == foreign


def test_a_link_planted_as_an_artifacts_lock_is_a_storage_error_and_its_target_untouched(root, victim):
    write(root, b"zero")
    lock = name_dir(root) / ".lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim / "thesis.tex")
    with pytest.raises(Storage, match=r"could not write artifact 'team/proj/dataset'.*symbolic link.*remove the link"):
        write(root, b"one")
    assert (victim / "thesis.tex").read_text() == "years of work"
    assert read(root) == b"zero"


def test_a_dangling_link_at_the_next_version_number_is_skipped_and_left_alone(root):
    for data in (b"zero", b"one", b"two"):
        write(root, data)
    (name_dir(root) / "versions" / "v3").symlink_to("/nowhere/at/all")
    assert write(root, b"four").version == 4
    assert os.readlink(name_dir(root) / "versions" / "v3") == "/nowhere/at/all"
    assert [read(root, version=n) for n in (0, 1, 2, 4)] == [b"zero", b"one", b"two", b"four"]


def test_a_folder_where_the_index_belongs_leaves_reads_and_writes_working_and_repair_names_it(root):
    write(root, b"zero")
    index = name_dir(root) / "index.json"
    index.unlink()
    index.mkdir()
    assert read(root) == b"zero"
    assert write(root, b"one").version == 1  # committed; the index cache just cannot be written
    with pytest.raises(Storage, match=r"could not repair artifact 'team/proj/dataset'.*a folder is where"):
        local_store.LocalArtifactStore(root).repair()
    assert index.is_dir() and [read(root, version=n) for n in (0, 1)] == [b"zero", b"one"]


def test_a_folder_where_the_alias_journal_belongs_is_a_storage_error_naming_it(root):
    write(root, b"zero", aliases=["prod"])
    journal = name_dir(root) / "aliases.jsonl"
    journal.unlink(missing_ok=True)
    journal.mkdir()
    (name_dir(root) / "index.json").unlink()
    with pytest.raises(Storage, match=r"could not read artifact 'team/proj/dataset'.*aliases\.jsonl"):
        read(root)
    assert journal.is_dir() and (name_dir(root) / "versions" / "v0" / "files" / "a.txt").read_bytes() == b"zero"


def test_a_file_where_the_versions_folder_belongs_is_a_storage_error_naming_it(root):
    write(root, b"zero", artifact=OTHER)
    (name_dir(root).parent).mkdir(parents=True, exist_ok=True)
    name_dir(root).mkdir()
    (name_dir(root) / "versions").write_text("not a folder")
    with pytest.raises(Storage, match=r"could not write artifact 'team/proj/dataset'.*a file is where.*versions"):
        write(root, b"one")
    assert (name_dir(root) / "versions").read_text() == "not a folder"
    assert read(root, artifact=OTHER) == b"zero"


@pytest.mark.parametrize("planted", ["versions", "aliases.jsonl", "name folder"])
def test_a_link_planted_as_an_artifacts_folder_or_journal_never_leads_writes_outside(root, tmp_path, planted):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    if planted == "name folder":
        name_dir(root).parent.mkdir(parents=True)
        name_dir(root).symlink_to(outside, target_is_directory=True)
    else:
        write(root, b"zero")
        if planted == "aliases.jsonl":
            (name_dir(root) / planted).unlink(missing_ok=True)
            (name_dir(root) / planted).symlink_to(outside / "keep.txt")
        else:
            shutil.rmtree(name_dir(root) / planted)
            (name_dir(root) / planted).symlink_to(outside, target_is_directory=True)
    with pytest.raises(Storage, match=r"is a link.*never writes through links.*Remove the link"):
        write(root, b"zero" if planted == "aliases.jsonl" else b"new", aliases=["prod"])
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"] and (outside / "keep.txt").read_text() == "mine"


def test_an_entry_name_that_would_forge_digest_lines_is_refused(root):
    """The artifact digest hashes ``path:digest`` lines: a newline in a name could make other content equal."""
    store = local_store.LocalArtifactStore(root)
    forged = f"a:{digests.bytes_digest(b'one')}\nb"  # with an entry 'a' of b"one", the lines of {a, b}
    with store.staging_dir() as staging:
        (staging / "x").write_bytes(b"two")
        draft = ArtifactDraft(DATA, "dataset", files={forged: staging / "x"})
        with pytest.raises(integration.WandbConfigurationError, match=r"entry path .* newline or other control"):
            store.commit(draft)


def test_names_that_only_look_like_versions_are_no_versions(root):
    write(root, b"zero")
    versions = name_dir(root) / "versions"
    shutil.copytree(versions / "v0", versions / "v1\n")  # a stray copy whose name ends in a newline
    (name_dir(root) / "index.json").unlink()
    assert read(root) == b"zero" and local_store.LocalArtifactStore(root).resolve(DATA).version == 0
    for huge in ("v" + "9" * 5000, "9" * 40):
        with pytest.raises(integration.WandbConfigurationError, match=r"is not like 'v3' or 3"):
            local_store.LocalArtifactStore(root).resolve(DATA, version=huge)
