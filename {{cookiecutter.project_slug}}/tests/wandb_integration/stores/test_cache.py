"""The download cache: atomic population, expiry by recorded last use, held entries never removed."""

import multiprocessing
import os
import signal
import sqlite3
import time

import pytest

from tests._package import artifact_cache, integration

KEY = "team/proj/dataset:v3"


@pytest.fixture
def cache(base_dir):
    with artifact_cache.ArtifactCache(base_dir / "cache") as opened:
        yield opened


def writer(text):
    calls = []

    def populate(folder):
        calls.append(folder)
        (folder / "data.csv").write_text(text)

    populate.calls = calls
    return populate


def age(cache, key, seconds):
    """Pretend ``key`` was last used ``seconds`` ago."""
    with sqlite3.connect(cache.root / "cache.sqlite3") as db:
        db.execute("UPDATE entries SET last_used = last_used - ? WHERE key = ?", (seconds, key))


def test_miss_populates_once_and_hits_reuse_the_entry(cache):
    populate = writer("a,b")
    first = cache.get_or_populate(KEY, populate)
    second = cache.get_or_populate(KEY, writer("never written"))
    assert first == second and (first / "data.csv").read_text() == "a,b"
    assert len(populate.calls) == 1
    assert first.parent == cache.root / "entries" and ":" not in first.name and "/" not in first.name
    assert list((cache.root / ".tmp").glob("*/content")) == []


def test_similar_keys_get_different_folders(cache):
    one = cache.get_or_populate("e/p/a:v1", writer("1"))
    two = cache.get_or_populate("e/p/a_v1", writer("2"))
    assert one != two and (one / "data.csv").read_text() == "1"


def test_failed_population_leaves_nothing_and_is_retried(cache):
    def broken(folder):
        (folder / "half.csv").write_text("half")
        raise RuntimeError("network down")

    with pytest.raises(RuntimeError, match="network down"):
        cache.get_or_populate(KEY, broken)
    assert not (cache.root / "entries").exists() or list((cache.root / "entries").iterdir()) == []
    assert list((cache.root / ".tmp").rglob("half.csv")) == []
    assert (cache.get_or_populate(KEY, writer("ok")) / "data.csv").read_text() == "ok"


def test_expire_removes_entries_unused_within_the_window(cache):
    for key in ("old", "recent", "touched"):
        cache.get_or_populate(key, writer(key))
        cache.release(key)
    age(cache, "old", 3600)
    age(cache, "touched", 3600)
    cache.touch("touched")
    assert cache.expire(30) == ["old"]
    assert sorted(p.name.split("-")[0] for p in (cache.root / "entries").iterdir()) == ["recent", "touched"]
    assert cache.expire(30) == []


def test_held_entries_are_never_expired(cache):
    path = cache.get_or_populate(KEY, writer("x"))  # held until released
    age(cache, KEY, 10**6)
    assert cache.expire(0) == [] and path.exists()
    cache.release(KEY)
    assert cache.expire(0) == [KEY] and not path.exists()
    assert list((cache.root / "locks").iterdir()) == []  # the download lock goes with the entry


def test_zero_duration_means_entries_go_when_released(base_dir):
    with artifact_cache.ArtifactCache(base_dir / "cache", duration_minutes=0) as cache:
        path = cache.get_or_populate(KEY, writer("x"))
        cache.hold(KEY)
        cache.release(KEY)
        assert path.exists()  # still held once
        cache.release(KEY)
        assert not path.exists()
    assert list((base_dir / "cache" / ".tmp").iterdir()) == []  # closing removed this user's token


def _hold_forever(root, key, ready):
    cache = artifact_cache.ArtifactCache(root)
    cache.get_or_populate(key, writer("child"))
    ready.set()
    time.sleep(60)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_keys_held_by_another_live_process_survive_until_it_dies(cache):
    ready = multiprocessing.get_context("fork").Event()
    child = multiprocessing.get_context("fork").Process(target=_hold_forever, args=(cache.root, KEY, ready))
    child.start()
    try:
        assert ready.wait(30)
        age(cache, KEY, 10**6)
        assert cache.expire(0) == []
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join()
    assert cache.expire(0) == [KEY]  # its hold died with it
    assert list((cache.root / ".tmp").iterdir()) != []  # only this cache's own owner folder is left
    assert all(p.name.startswith(f"{os.getpid()}-") for p in (cache.root / ".tmp").iterdir())


def test_expiry_with_10000_entries_and_nothing_to_expire_is_fast(cache):
    cache.get_or_populate("warm", writer("w"))  # creates the database
    now = time.time()
    with sqlite3.connect(cache.root / "cache.sqlite3") as db:
        db.executemany(
            "INSERT INTO entries VALUES (?, ?, ?)", [(f"e/p/a:v{i}", f"f{i}", now - i) for i in range(10_000)]
        )
    start = time.perf_counter()
    assert cache.expire(24 * 60) == []
    assert time.perf_counter() - start < 0.5
    for i in range(10):
        age(cache, f"e/p/a:v{i}", 10**6)
    start = time.perf_counter()
    assert len(cache.expire(24 * 60)) == 10
    assert time.perf_counter() - start < 0.5


def test_bad_settings_and_a_damaged_database_are_clear_errors(base_dir):
    with pytest.raises(integration.WandbConfigurationError, match="-1 minutes is negative"):
        artifact_cache.ArtifactCache(base_dir, duration_minutes=-1)
    root = base_dir / "damaged"
    root.mkdir()
    (root / "cache.sqlite3").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(integration.ArtifactIntegrityError, match=r"cache\.sqlite3 cannot be used.*delete the folder"):
        artifact_cache.ArtifactCache(root).get_or_populate(KEY, writer("x"))
    with pytest.raises(integration.WandbConfigurationError, match="cache key ''"):
        artifact_cache.ArtifactCache(base_dir / "c").hold("")


def _expire_until_killed(root, after):
    """Expire everything; SIGKILL this process in the middle, right after the ``after``-th folder moved."""
    moved = 0
    real_rename = os.rename

    def rename(source, target):
        nonlocal moved
        real_rename(source, target)
        moved += 1
        if moved == after:
            os.kill(os.getpid(), signal.SIGKILL)

    os.rename = rename
    artifact_cache.ArtifactCache(root).expire(0)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_an_expiry_killed_midway_leaves_every_entry_whole_or_gone(cache):
    keys = [f"e/p/a{i}:v0" for i in range(60)]
    for key in keys:
        cache.get_or_populate(key, writer(key))
        cache.release(key)
        age(cache, key, 10**6)
    killed = multiprocessing.get_context("fork").Process(target=_expire_until_killed, args=(cache.root, 25))
    killed.start()
    killed.join(60)
    assert killed.exitcode == -signal.SIGKILL
    with sqlite3.connect(cache.root / "cache.sqlite3") as db:
        rows = dict(db.execute("SELECT key, folder FROM entries").fetchall())
    assert 0 < len(rows) < len(keys)  # the premise: killed in the middle
    for key, folder in rows.items():  # no row points to a folder that is gone
        assert (cache.root / "entries" / folder / "data.csv").read_text() == key
    downloads = writer("again")
    for key in keys:
        path = cache.get_or_populate(key, downloads)
        assert (path / "data.csv").read_text() == (key if key in rows else "again")
    assert len(downloads.calls) == len(keys) - len(rows)  # only what was really expired comes again
