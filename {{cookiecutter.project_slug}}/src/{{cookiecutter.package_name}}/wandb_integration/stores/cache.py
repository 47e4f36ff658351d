"""A local cache of downloaded artifact versions, shared by processes and expired by last use.

Layout (``root`` is ``<base_dir>/wandb/cache``)::

    <root>/
      cache.sqlite3               entries(key, folder, last_used; indexed on last_used) and
                                  holds(key, owner): which live cache users hold which keys
      entries/<folder>/...        one complete entry per key, e.g. "entity/project/name:v3"
      locks/<folder>.lock         one download per key at a time; removed with the entry
      .tmp/<token>/ + .lock       downloads in progress, trash being deleted, one folder per live
                                  cache user (its owner token); swept when their process is gone

An entry appears by renaming a finished download into ``entries/``, so no process ever sees half of one.
Last use is recorded in SQLite (WAL, busy timeout), not in file access times. ``expire`` reads only the
entries older than the window through the index, so its cost follows what it removes, not the cache's
size. It never removes a key that a live process holds: ``get_or_populate`` holds the key until
``release`` (or ``close``), and the check and the removal happen in one write transaction.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from ..errors import ArtifactIntegrityError, WandbConfigurationError
from .scratch import ScratchArea, ScratchFolder, remove_if_unlocked

DEFAULT_DURATION_MINUTES = 30 * 24 * 60
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, folder TEXT NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS entries_last_used ON entries (last_used);
CREATE TABLE IF NOT EXISTS holds (key TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (key, owner));
"""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ArtifactCache:
    """Entries keyed by strings such as ``"entity/project/name:v3"``, each a folder of files."""

    def __init__(self, root: str | os.PathLike[str], duration_minutes: float = DEFAULT_DURATION_MINUTES) -> None:
        if duration_minutes < 0:
            raise WandbConfigurationError(
                f"cache duration {duration_minutes} minutes is negative; use 0 to disable the cache."
            )
        self.root = Path(root)
        self.duration_minutes = duration_minutes
        self._entries = self.root / "entries"
        self._locks = self.root / "locks"
        self._tmp = ScratchArea(self.root / ".tmp")
        self._held: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._owner: ScratchFolder | None = None
        self._db_handle: sqlite3.Connection | None = None
        self._pid = -1

    # ------------------------------------------------------------------ public API
    def get_or_populate(self, key: str, populate: Callable[[Path], None]) -> Path:
        """The entry's folder, filled by ``populate(empty_folder)`` on a miss; held until ``release(key)``.

        Processes that miss the same key at once download it once: the others wait on a per-key lock.
        """
        self.hold(key)
        try:
            path = self._entries / _folder_name(key)
            if self._hit(key, path):
                return path
            self._locks.mkdir(parents=True, exist_ok=True)
            with FileLock(self._locks / f"{path.name}.lock", thread_local=False):
                if self._hit(key, path):
                    return path
                with self._tmp.folder() as scratch:
                    content = scratch / "content"
                    content.mkdir()
                    populate(content)
                    self._entries.mkdir(parents=True, exist_ok=True)
                    with self._transaction() as db:
                        try:
                            os.rename(content, path)
                        except OSError:
                            if not path.is_dir():  # not a download that got there first
                                raise
                        _upsert(db, key, path.name)
            return path
        except BaseException:
            self.release(key)
            raise

    def touch(self, key: str) -> None:
        """Record a use of ``key`` now (a no-op for a key that is not cached)."""
        with self._transaction() as db:
            db.execute("UPDATE entries SET last_used = ? WHERE key = ?", (time.time(), key))

    def hold(self, key: str) -> None:
        """Protect ``key`` from expiry, in this and every other process, until the matching ``release``."""
        if not isinstance(key, str) or not key:
            raise WandbConfigurationError(f"cache key {key!r} is not a non-empty string like 'e/p/name:v3'.")
        with self._lock:
            if self._held[key] == 0:
                with self._transaction() as db:
                    db.execute("INSERT OR IGNORE INTO holds VALUES (?, ?)", (key, self._owner_token()))
            self._held[key] += 1

    def release(self, key: str) -> None:
        """Undo one ``hold``; with a duration of 0 the entry is removed once nobody holds it."""
        with self._lock:
            if self._held[key] == 0:
                return
            self._held[key] -= 1
            if self._held[key] > 0:
                return
            del self._held[key]
            with self._transaction() as db:
                db.execute("DELETE FROM holds WHERE key = ? AND owner = ?", (key, self._owner_token()))
        if self.duration_minutes == 0:
            self._remove_unheld("key = ?", (key,))

    def release_all(self) -> None:
        with self._lock:
            for key in list(self._held):
                self._held[key] = 1
                self.release(key)

    def expire(self, duration_minutes: float | None = None) -> list[str]:
        """Remove entries not used within the window (default: the cache's duration); return their keys."""
        minutes = self.duration_minutes if duration_minutes is None else duration_minutes
        self._tmp.sweep()
        return self._remove_unheld("last_used < ?", (time.time() - minutes * 60,))

    def close(self) -> None:
        """Release every key this object holds and let go of the database."""
        self.release_all()
        with self._lock:
            if self._db_handle is not None and self._pid == os.getpid():
                self._db_handle.close()
            self._db_handle = None
            if self._owner is not None:
                self._owner.close()
            self._owner = None

    def __enter__(self) -> ArtifactCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _remove_unheld(self, where: str, params: tuple[object, ...]) -> list[str]:
        removed: list[str] = []
        with self._tmp.folder() as trash:
            with self._transaction() as db:
                # Indexed range scan: only candidates are read, so expiring nothing costs nothing.
                query = f"SELECT key, folder FROM entries WHERE {where} ORDER BY last_used"
                candidates = db.execute(query, params).fetchall()
            for key, folder in candidates:
                # The row goes first, in its own transaction, then the folder: a kill between the two leaves
                # a complete folder without a row (found again by the next hit), never a row without a folder.
                with self._transaction() as db:
                    if key in self._held or self._held_elsewhere(db, key):
                        continue
                    if db.execute("DELETE FROM entries WHERE key = ? AND folder = ?", (key, folder)).rowcount == 0:
                        continue  # removed or replaced since the scan
                with self._transaction() as db:  # a hit in between brought the row back: keep the entry
                    path = self._entries / folder
                    if db.execute("SELECT 1 FROM entries WHERE key = ?", (key,)).fetchone() is None and path.exists():
                        os.rename(path, trash / folder)  # atomic; the trash is deleted after the loop
                removed.append(key)
                remove_if_unlocked(self._locks / f"{folder}.lock")  # unless a download of it is running
        return removed

    def _hit(self, key: str, path: Path) -> bool:
        """Whether ``path`` is a complete entry; records the use in the same transaction as the check."""
        with self._transaction() as db:
            if path.is_dir():
                _upsert(db, key, path.name)
                return True
        return False

    def _held_elsewhere(self, db: sqlite3.Connection, key: str) -> bool:
        for (owner,) in db.execute("SELECT owner FROM holds WHERE key = ?", (key,)).fetchall():
            if owner == self._owner_token() or self._tmp.is_alive(owner):
                return True
            db.execute("DELETE FROM holds WHERE owner = ?", (owner,))  # its process died holding keys
        return False

    def _owner_token(self) -> str:
        """This process's token: a ``.tmp`` folder it holds while alive, so others can tell if it died."""
        self._db()
        return self._owner.path.name if self._owner else ""

    def _db(self) -> sqlite3.Connection:
        with self._lock:
            if self._db_handle is None or self._pid != os.getpid():  # a forked child needs its own
                self._held.clear()
                self.root.mkdir(parents=True, exist_ok=True)
                path = self.root / "cache.sqlite3"
                try:
                    db = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
                    db.execute("PRAGMA busy_timeout = 60000")
                    db.execute("PRAGMA journal_mode = WAL")
                    db.execute("PRAGMA synchronous = NORMAL")
                    db.executescript(_SCHEMA)
                except sqlite3.DatabaseError as exc:
                    raise ArtifactIntegrityError(
                        f"the cache database {path} cannot be used ({exc}); delete the folder {self.root} "
                        "to reset the cache (it only holds copies of downloaded artifacts)."
                    ) from exc
                self._db_handle, self._pid = db, os.getpid()
                self._owner = self._tmp.folder()
            return self._db_handle

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")


def _upsert(db: sqlite3.Connection, key: str, folder: str) -> None:
    db.execute(
        "INSERT INTO entries VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET last_used = excluded.last_used",
        (key, folder, time.time()),
    )


def _folder_name(key: str) -> str:
    """Readable and collision-free: the key's safe characters plus a hash of the exact key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{_UNSAFE.sub('_', key)[:80]}-{digest}"
