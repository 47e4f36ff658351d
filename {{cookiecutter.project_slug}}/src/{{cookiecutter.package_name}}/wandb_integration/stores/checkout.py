"""Files handed to user code, so that nothing a user does to a path breaks a version.

A stored file is the version itself: moving, deleting or editing it would destroy a committed version
(read-only modes do not stop root, or a ``chmod``). So a path asked for by user code (``get_path``,
``get_entry(...).download()``, ``download()``) is in the store's checkout folder, like the
``./artifacts/<name>:<version>`` folder wandb downloads into:

- a file up to ``COPY_LIMIT`` is a copy, hashed as it is made: the caller may keep, move or delete it,
  and edit it until the next checkout of that entry, which restores the stored bytes (as wandb's
  ``download()`` does); copy it elsewhere to keep edits;
- a larger one is a hard link (no bytes copied, the same read-only file): moving or deleting it leaves the
  version intact; editing it in place (after a ``chmod``, or as root) changes the version's bytes, which
  the next read reports as an ``ArtifactIntegrityError`` (write the value again to repair);
- in a store this process cannot change (a read-only mount, no write permission) the stored file itself:
  nothing can move or edit it through that path either.

Under the IO manager, a version's copies are removed once no process has used them for
``cache_duration_in_minutes`` (but never within an hour of their last use, since another process may still
be reading them; at most one pass an hour, when a step ends): like the online cache, they are copies the
store can make again.

A checkout is assembled in a scratch folder of its own process (``.checkouts/.partial``, swept once the
process is gone) and renamed into place, so the checkout folders never hold half a file, and it is never
written through a link planted there.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArtifactIntegrityError, ArtifactStorageError
from .files import hash_file, remove_tree, storage_errors
from .scratch import ProcessScratch, ScratchArea
from .verification import Verifier

if TYPE_CHECKING:
    from .base import ArtifactVersion, ManifestEntry

CHECKOUTS = ".checkouts"
COPY_LIMIT = 64 * 2**20  # bytes; copying more per read would cost seconds and disk space per checkout


# Another process may still read a copy it was handed: none is removed sooner after its last use.
_LEAST_UNUSED_MINUTES = 60
_EXPIRY_MARK = ".expired"  # touched by each expiry pass: passes run at most once per _LEAST_UNUSED_MINUTES


class Checkouts:
    def __init__(self, root: Path, verifier: Verifier, unused_minutes: float | None = None) -> None:
        self.root = root
        self._verifier = verifier
        self._scratch = ProcessScratch(ScratchArea(root / ".partial"))
        # Version folders of copies unused this long are removed when the store closes (None: kept).
        self.unused_minutes = unused_minutes
        self._used: dict[Path, float] = {}  # version folder -> when this process last recorded its use

    def folder(self, version: ArtifactVersion) -> Path:
        return self.root / str(version.id) / version.version_tag

    def provide(self, source: Path, version: ArtifactVersion, entry: ManifestEntry) -> Path:
        """A file with ``source``'s verified bytes, at ``<root>/<artifact>/v<N>/<entry path>``, for the caller."""
        where = f"entry {entry.path!r} of artifact '{version.id}:{version.version_tag}'"
        target = self.folder(version) / entry.path
        self._check_inside(target, where)
        if target.is_file() and not target.is_symlink():
            if os.path.samefile(target, source):
                return self._record_use(target, version)  # the hard link of a large file, verified with its source
            try:
                return self._record_use(self._verifier.check(target, entry, where), version)
            except ArtifactIntegrityError:
                pass  # changed by its user since: make it afresh
        elif os.path.lexists(target):
            raise ArtifactStorageError(
                f"{target} is a folder or a special file, where the store puts the checkout of {where}; it is "
                "not the store's. Move it away and read again."
            )
        if not os.access(source.parent, os.W_OK):
            return source  # a store no one here can change: its own file is safe to hand out
        with storage_errors(where, target, action="check out"):
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = self._scratch.new_path()
            try:
                self._fill(source, partial, entry, where)
                os.replace(partial, target)
            finally:
                if os.path.lexists(partial):
                    os.unlink(partial)
        self._verifier.remember(target, entry.digest)
        return self._record_use(target, version)

    def _record_use(self, handed: Path, version: ArtifactVersion) -> Path:
        """Mark the version folder as used now, on disk and not only when this process ends: another
        process's expiry pass must not remove a copy a long step still reads. At most once a minute."""
        folder, now = self.folder(version), time.time()
        if now - self._used.get(folder, 0.0) > 60:
            with contextlib.suppress(OSError):
                os.utime(folder, (now, now))
            self._used[folder] = now
        return handed

    def close(self) -> None:
        """Record when this process last used its copies, remove those no one used within the window (at
        most one pass an hour), and let go of this process's scratch folder."""
        now = time.time()
        for folder in self._used:
            with contextlib.suppress(OSError):
                os.utime(folder, (now, now))
        self._used.clear()
        if self.unused_minutes is not None:
            with contextlib.suppress(OSError):  # best effort: a copy kept too long costs only disk
                self._expire(now)
        self._scratch.close()

    def _expire(self, now: float) -> None:
        mark = self.root / _EXPIRY_MARK
        if not self.root.is_dir() or (mark.exists() and mark.stat().st_mtime > now - 60 * _LEAST_UNUSED_MINUTES):
            return
        mark.touch()
        cutoff = now - 60 * max(self.unused_minutes, _LEAST_UNUSED_MINUTES)
        for folder in self.root.glob("*/*/*/v*"):  # <entity>/<project>/<name>/v<N>
            if folder.relative_to(self.root).parts[0].startswith("."):
                continue  # the scratch folder, not an artifact's
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                remove_tree(folder)

    def _fill(self, source: Path, partial: Path, entry: ManifestEntry, where: str) -> None:
        if entry.size > COPY_LIMIT:
            try:
                os.link(source, partial)
                return
            except OSError:
                pass  # a filesystem without hard links: copy
        digest, _ = hash_file(source, copy_to=partial)
        if digest != entry.digest and not entry.unchecked:  # changed while it was copied, or a faulty copy
            raise ArtifactIntegrityError(
                f"the copy of {where} has digest {digest}, not {entry.digest}; the stored file changed while "
                "it was copied or the disk returned other bytes. Read again; if it persists, run repair."
            )

    def _check_inside(self, target: Path, where: str) -> None:
        for folder in reversed([target.parent, *target.parent.parents]):
            if not folder.is_relative_to(self.root):
                continue
            if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
                raise ArtifactStorageError(
                    f"{folder} is a link or a file, but the store keeps its checkout folders there and never "
                    f"writes through links, so the copy of {where} was not made. Remove it; nothing was written."
                )
