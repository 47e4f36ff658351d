"""Concurrent writers and killed writers: nothing lost, no half versions, no leftovers (bounded in time).

Processes are forked so that they start in milliseconds with the package already imported.
"""

import multiprocessing
import os
import random
import signal
import time
from functools import partial

import pytest

from tests._package import artifact_cache, local_store, store_base

pytestmark = [
    pytest.mark.stress,
    pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"),
]
FORK = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
DATA = store_base.ArtifactId("team", "proj", "contended")
WRITERS, WRITES = 8, 25


def _commit(store, payload, **fields):
    with store.staging_dir() as staging:
        (staging / "payload.txt").write_text(payload)
        draft = store_base.ArtifactDraft(DATA, "dataset", files={"payload.txt": staging / "payload.txt"}, **fields)
        return store.commit(draft)


def _writer(root, writer, start):
    store = local_store.LocalArtifactStore(root)
    start.wait()
    for i in range(WRITES):
        _commit(store, f"{writer}:{i}", aliases=[f"writer-{writer}"], lineage={"writer": writer, "i": i})
    store.close()


def _reader(root, stop, results):
    store, reads, errors = local_store.LocalArtifactStore(root), 0, []
    while not stop.is_set():
        try:
            version = store.resolve(DATA)
        except local_store.ArtifactNotFoundError:
            continue
        try:
            text = store.local_path(version, "payload.txt").read_text()
            lineage = version.lineage
            assert list(version.entries) == ["payload.txt"] and text == f"{lineage['writer']}:{lineage['i']}"
            reads += 1
        except Exception as exc:  # reported to the test process, which fails on any
            errors.append(repr(exc))
    results.put((reads, errors))


def test_concurrent_writers_lose_nothing_and_readers_never_see_partial_versions(base_dir):
    root = base_dir / "store"
    start, stop, results = FORK.Event(), FORK.Event(), FORK.Queue()
    writers = [FORK.Process(target=_writer, args=(root, w, start)) for w in range(WRITERS)]
    reader = FORK.Process(target=_reader, args=(root, stop, results))
    for process in [*writers, reader]:
        process.start()
    start.set()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0
    stop.set()
    reads, errors = results.get(timeout=30)
    reader.join(10)
    assert errors == [] and reads > 0

    store = local_store.LocalArtifactStore(root)
    versions = store.versions(DATA)
    assert [v.version for v in versions] == list(range(WRITERS * WRITES))  # gap-free
    assert {(v.lineage["writer"], v.lineage["i"]) for v in versions} == {
        (w, i) for w in range(WRITERS) for i in range(WRITES)
    }
    assert store.resolve(DATA).version == WRITERS * WRITES - 1 == versions[-1].version
    for w in range(WRITERS):  # every alias move landed on that writer's last version
        assert store.resolve(DATA, alias=f"writer-{w}").lineage == {"writer": w, "i": WRITES - 1}
    for version in versions:
        store.verify(version)
    assert list((root / ".staging").iterdir()) == []


def _write_until_killed(root, seed):
    store, rnd = local_store.LocalArtifactStore(root), random.Random(seed)
    own = root.parent / f"user-{os.getpid()}"
    own.mkdir()
    for i in range(10**6):
        blob = rnd.randbytes(rnd.choice([10, 5_000, 300_000]))
        if i % 2:
            _commit(store, f"{seed}:{i}:{blob.hex()[:40]}", aliases=[f"a{i % 3}"])
        else:  # the caller's own files, which are copied
            (own / "blob.bin").write_bytes(blob)
            store.commit(store_base.ArtifactDraft(DATA, "dataset", files={"blob.bin": own / "blob.bin"}))


def _leftovers(root):
    name_dir = root / "team" / "proj" / "contended"
    count = len(local_store.LocalArtifactStore(root).versions(DATA))
    unindexed = [p.name for p in (name_dir / "versions").iterdir() if int(p.name[1:]) >= count]
    temp = [p.name for p in name_dir.iterdir() if p.name.endswith(".tmp")]
    return unindexed + temp + [p.name for p in (root / ".staging").iterdir()]


def test_writers_killed_at_random_points_leave_no_visible_damage(base_dir):
    root, rnd, verified = base_dir / "store", random.Random(1234), 0
    deadline = time.monotonic() + 40
    for trial in range(100):
        writer = FORK.Process(target=_write_until_killed, args=(root, trial))
        writer.start()
        time.sleep(rnd.uniform(0.0, 0.04))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join()

        store = local_store.LocalArtifactStore(root)  # a fresh process's view: nothing cached
        if (root / "team" / "proj" / "contended" / "index.json").exists():
            versions = store.versions(DATA)
            for version in versions[verified:]:
                store.verify(version)
            verified = len(versions)
        after = _commit(store, f"after trial {trial}")
        assert after.version == verified and store.resolve(DATA).version == after.version
        verified += 1
        store.close()  # the killed writer's scratch folder was swept by this write, this one's goes now
        assert _leftovers(root) == []
        assert time.monotonic() < deadline, f"only {trial} trials fit in the time budget"


def _populate_slowly(folder, log):
    with open(log, "a") as handle:  # counts downloads
        handle.write("x")
    for i in range(5):
        (folder / f"part{i}.txt").write_text(str(i) * 1000)
        time.sleep(0.01)


def _use_cache(root, results):
    with artifact_cache.ArtifactCache(root) as cache:
        path = cache.get_or_populate("team/proj/shared:v0", partial(_populate_slowly, log=root.parent / "log"))
        results.put(sorted((p.name, p.read_text()) for p in path.iterdir()))


def test_concurrent_cache_population_never_shows_half_an_entry(base_dir):
    root, results = base_dir / "cache", FORK.Queue()
    users = [FORK.Process(target=_use_cache, args=(root, results)) for _ in range(6)]
    for process in users:
        process.start()
    seen = [results.get(timeout=30) for _ in users]
    for process in users:
        process.join(10)
    expected = [(f"part{i}.txt", str(i) * 1000) for i in range(5)]
    assert seen == [expected] * len(users)
    assert len(list((root / "entries").iterdir())) == 1
    assert (base_dir / "log").read_text() == "x"  # the others waited for the one download
    with artifact_cache.ArtifactCache(root) as cache:
        killed = FORK.Process(target=_use_cache, args=(root, FORK.Queue()))
        killed.start()
        time.sleep(0.02)
        os.kill(killed.pid, signal.SIGKILL)
        killed.join()
        cache.expire()  # sweeps what dead processes left in .tmp
        assert [p for p in (root / ".tmp").iterdir() if not p.name.startswith(f"{os.getpid()}-")] == []
