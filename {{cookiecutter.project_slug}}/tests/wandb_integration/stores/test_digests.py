"""Digests follow the W&B formula and equal what ``wandb.Artifact`` computes, so published versions match."""

import base64
import hashlib
import os
import threading

import pytest

from tests._package import digests, local_store, store_base

CONTENTS = {
    "empty.txt": b"",
    "data/train.csv": b"fixed acidity,quality\n7.4,5\n",
    "data/big.bin": bytes(range(256)) * 8200,  # crosses the 1 MiB read chunk
    "ünïcode name.txt": "héllo".encode(),
}


@pytest.fixture
def sample(tmp_path):
    paths = {}
    for entry, data in CONTENTS.items():
        path = tmp_path / "src" / entry
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[entry] = path
    return paths


def by_formula(contents):
    """The W&B formula, written out independently of the package."""
    lines = "".join(
        f"{entry}:{base64.b64encode(hashlib.md5(data).digest()).decode()}\n" for entry, data in sorted(contents.items())
    )
    return hashlib.md5(("wandb-artifact-manifest-v1\n" + lines).encode()).hexdigest()


def test_file_digest_is_base64_of_md5(sample):
    for entry, path in sample.items():
        assert digests.file_digest(path) == base64.b64encode(hashlib.md5(CONTENTS[entry]).digest()).decode()


def test_artifact_digest_follows_the_formula_and_ignores_entry_order(sample):
    pairs = [(entry, digests.file_digest(path)) for entry, path in sample.items()]
    assert digests.artifact_digest(pairs) == digests.artifact_digest(reversed(pairs)) == by_formula(CONTENTS)


def test_stored_version_digest_equals_the_formula_and_covers_files_only(sample, base_dir):
    store = local_store.LocalArtifactStore(base_dir / "store")
    draft = store_base.ArtifactDraft(
        id=store_base.ArtifactId("e", "p", "a"), type="dataset", files=dict(sample), metadata={"run": "x"}
    )
    version = store.commit(draft)
    assert version.digest == by_formula(CONTENTS)
    other = store.commit(
        store_base.ArtifactDraft(id=store_base.ArtifactId("e", "p", "b"), type="model", files=dict(sample))
    )
    assert other.digest == version.digest


def test_digests_equal_what_wandb_computes(sample, base_dir):
    import wandb  # imported here: ~0.75 s, and only this test needs it

    artifact = wandb.Artifact("sample", "dataset")
    for entry, path in sample.items():
        artifact.add_file(str(path), name=entry)
    artifact.add_reference("https://example.com/remote.csv", checksum=False)

    store = local_store.LocalArtifactStore(base_dir / "store")
    ref = store_base.ManifestEntry("remote.csv", "https://example.com/remote.csv", 0, "https://example.com/remote.csv")
    draft = store_base.ArtifactDraft(
        id=store_base.ArtifactId("e", "p", "sample"), type="dataset", files=dict(sample), references=[ref]
    )
    version = store.commit(draft)

    assert version.digest == artifact.digest
    theirs = artifact.manifest.entries
    assert set(version.entries) == set(theirs)
    for entry in CONTENTS:
        assert (version.entries[entry].digest, version.entries[entry].size) == (
            theirs[entry].digest,
            theirs[entry].size,
        )


def test_a_digest_taken_while_a_native_writer_writes_is_the_digest_of_the_finished_file(tmp_path):
    data = bytes(range(256)) * 40_000  # ~10 MB, written in pieces with pauses so the follower catches up

    def appending(path):
        with open(path, "wb") as handle:
            for start in range(0, len(data), 1 << 20):
                handle.write(data[start : start + (1 << 20)])
                handle.flush()

    def replacing(path):  # writes elsewhere, then renames over the file the follower opened
        temporary = path.with_name("tmp")
        temporary.write_bytes(data[: len(data) // 2])
        os.replace(temporary, path)

    for name, write in (("appended", appending), ("replaced", replacing)):
        path = tmp_path / name
        digest, size = digests.written_with_digest(path, write)
        assert (digest, size) == (digests.file_digest(path), path.stat().st_size), name


def test_a_failed_native_write_raises_its_own_error_and_stops_the_follower(tmp_path):
    def failing(path):
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    before = threading.active_count()
    with pytest.raises(OSError, match="No space"):
        digests.written_with_digest(tmp_path / "out", failing)
    assert threading.active_count() == before
