"""Scratch folders that survive crashes only until the next sweep.

``ScratchArea`` hands out temporary folders: each folder ``<token>/`` has a sibling ``<token>.lock`` that
its process holds (an OS lock, released when the process dies, even by SIGKILL). The lock exists before
the folder, so a folder whose lock nobody holds belongs to a dead process and a sweep removes it without
waiting on anyone.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import uuid
from contextlib import suppress
from pathlib import Path

from filelock import FileLock, Timeout

from ..errors import ArtifactStorageError, WandbArtifactsIOManagerError
from .files import remove_tree

_LOCK = ".lock"
# The names a scratch area hands out (``<pid>-<uuid hex>``); a sweep removes nothing else.
_TOKEN = re.compile(r"^[0-9]+-[0-9a-f]{32}$")


class ScratchArea:
    """Crash-safe temporary folders under ``root`` (which must be on the filesystem they are published to)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _check_root(self) -> None:
        """The area must be a real folder: through a planted link, a sweep would delete someone else's files."""
        if self.root.is_symlink() or (self.root.exists() and not self.root.is_dir()):
            raise ArtifactStorageError(
                f"{self.root} is a link or a file, but the store keeps its own scratch folder there and never "
                "follows links in it. Remove it (the store makes a new folder); nothing was written."
            )

    def folder(self) -> ScratchFolder:
        """A new empty folder, removed by ``close()`` or on leaving ``with``; kept while its process lives."""
        self._check_root()
        self.root.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            path = self.root / f"{os.getpid()}-{uuid.uuid4().hex}"
            lock = FileLock(path.with_name(path.name + _LOCK), thread_local=False)
            try:
                lock.acquire(timeout=0)
            except Timeout:  # a sweeper took the brand-new lock file: use another name
                continue
            if Path(lock.lock_file).exists():  # not unlinked by a sweeper between our open and lock
                try:
                    path.mkdir()
                except OSError:  # a full disk, say: leave no lock file behind for the next sweep to find
                    with suppress(OSError):
                        Path(lock.lock_file).unlink()
                    lock.release()
                    raise
                return ScratchFolder(path, lock)
            lock.release()
        raise WandbArtifactsIOManagerError(
            f"could not create a temporary folder in {self.root}; check that it is writable."
        )

    def is_alive(self, token: str) -> bool:
        """Whether the process that made folder ``token`` still holds it (never waits); reaps it if not."""
        if not (self.root / (token + _LOCK)).exists():
            return False  # the lock is made before a token is handed out, so its owner is gone
        return not self._reap(token)

    def sweep(self) -> None:
        """Remove what dead processes left; a folder whose lock is held is skipped, never waited on. Only
        names this area hands out are touched: anything else found here is not the store's."""
        self._check_root()
        try:
            tokens = {path.name.removesuffix(_LOCK) for path in self.root.iterdir()}
        except FileNotFoundError:
            return
        for token in tokens:
            if _TOKEN.match(token):
                self._reap(token)

    def _reap(self, token: str) -> bool:
        """Remove ``token``'s folder and lock if no live process holds the lock; return whether it did."""
        return remove_if_unlocked(self.root / (token + _LOCK), self.root / token)


class ScratchFolder:
    """One folder of a ``ScratchArea``; ``with`` yields its path and removes it on exit."""

    def __init__(self, path: Path, lock: FileLock) -> None:
        self.path = path
        self._lock = lock
        self._pid = os.getpid()

    def close(self) -> None:
        if os.getpid() != self._pid or not self._lock.is_locked:
            return  # already closed, or a forked child, which must not remove its parent's folder
        remove_tree(self.path)
        with suppress(OSError):
            Path(self._lock.lock_file).unlink()  # while holding it, as sweepers do
        self._lock.release()

    def is_held(self) -> bool:
        """Whether this process still holds the folder: not closed, not a forked child, and neither the
        folder nor its lock file removed behind its back (a sweeper could then take it)."""
        return (
            os.getpid() == self._pid
            and self._lock.is_locked
            and self.path.is_dir()
            and os.path.exists(self._lock.lock_file)
        )

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def remove_if_unlocked(lock_path: Path, also: Path | None = None) -> bool:
    """If no process holds ``lock_path``, remove ``also`` and then the lock file; never waits.

    The lock file is unlinked while held, so a process that opened it before sees an unlinked inode (filelock
    retries on that) rather than a lock that two processes hold.
    """
    lock = FileLock(lock_path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except (Timeout, OSError):
        return False
    try:
        if also is not None:
            remove_tree(also)
        with suppress(OSError):
            lock_path.unlink()
    finally:
        lock.release()
    return True


class ProcessScratch:
    """This process's one folder of ``area``: made on first use (after a sweep of what dead processes left)
    and made again when it is lost (closed, a forked child, or its lock file taken), not once per use."""

    def __init__(self, area: ScratchArea) -> None:
        self._area = area
        self._own: ScratchFolder | None = None
        self._swept = False
        self._lock = threading.Lock()
        self._numbers = itertools.count()

    def new_path(self) -> Path:
        """A name inside the folder that was never handed out before (nothing is created there)."""
        with self._lock:
            if not self._swept:
                self._area.sweep()
                self._swept = True
            if self._own is None or not self._own.is_held():
                self._own = self._area.folder()
            return self._own.path / str(next(self._numbers))

    def close(self) -> None:
        """Remove the folder and let go of its lock (a later ``new_path`` makes a new one)."""
        with self._lock:
            if self._own is not None:
                self._own.close()
            self._own = None
