"""Files handed to user code, so that nothing a user does to a path breaks a version.

A stored file is the version itself: moving, deleting or editing it would destroy a committed version
(read-only modes do not stop root, or a ``chmod``). So a path asked for by user code (``get_path``,
``get_entry(...).download()``, ``download()``) is in the store's checkout folder, like the
``./artifacts/<name>:<version>`` folder wandb downloads into:

- a file up to ``COPY_LIMIT`` is a copy: the caller may keep, move, edit or delete it;
- a larger one is a hard link (no bytes copied, the same read-only file): moving or deleting it leaves the
  version intact; editing it in place (after a ``chmod``, or as root) changes the version's bytes, which
  the next read reports as an ``ArtifactIntegrityError`` (write the value again to repair). Copy it first
  to change it.

A checkout that still matches its digest is handed out again; a changed, moved or replaced one is made
afresh. It is made beside its target and renamed into place, so no reader sees half a file, and never
through a link planted in the checkout folder.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArtifactIntegrityError, ArtifactStorageError
from .files import storage_errors
from .staging import link_or_copy
from .verification import Verifier

if TYPE_CHECKING:
    from .base import ArtifactVersion, ManifestEntry

CHECKOUTS = ".checkouts"
COPY_LIMIT = 64 * 2**20  # bytes; copying more per read would cost seconds and disk space per checkout


class Checkouts:
    def __init__(self, root: Path, verifier: Verifier) -> None:
        self.root = root
        self._verifier = verifier

    def folder(self, version: ArtifactVersion) -> Path:
        return self.root / str(version.id) / version.version_tag

    def provide(self, source: Path, version: ArtifactVersion, entry: ManifestEntry) -> Path:
        """A file with ``source``'s verified bytes, at ``<root>/<artifact>/v<N>/<entry path>``, for the caller."""
        where = f"entry {entry.path!r} of artifact '{version.id}:{version.version_tag}'"
        target = self.folder(version) / entry.path
        self._check_inside(target, where)
        if target.is_file() and not target.is_symlink():
            if os.path.samefile(target, source):
                return target  # the hard link of a large file, verified with its source
            try:
                return self._verifier.check(target, entry, where)
            except ArtifactIntegrityError:
                pass  # changed by its user since: make it afresh
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        with storage_errors(where, self.root):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                # A large file is hard-linked (where the filesystem allows), a small one copied.
                (link_or_copy if source.stat().st_size > COPY_LIMIT else shutil.copyfile)(source, partial)
                os.replace(partial, target)
            finally:
                if os.path.lexists(partial):
                    os.unlink(partial)
        self._verifier.remember(target, entry.digest)
        return target

    def _check_inside(self, target: Path, where: str) -> None:
        for folder in reversed([target.parent, *target.parent.parents]):
            if not folder.is_relative_to(self.root):
                continue
            if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
                raise ArtifactStorageError(
                    f"{folder} is a link or a file, but the store keeps its checkout folders there and never "
                    f"writes through links, so the copy of {where} was not made. Remove it; nothing was written."
                )
