"""Verified reads of stored files: bytes checked against the manifest digest before they are handed out.

A file is hashed once per process and then trusted while its stat signature is unchanged: size, mtime,
ctime, inode and device. Any rewrite changes ctime, which (unlike mtime) cannot be set back, so a file
edited in place, even with its times restored, is hashed again and caught. A stored file is hashed as it
is written or committed (``seal`` makes it read-only then), and its manifest entry keeps its stat from then
(``stamp``: size, mtime, ctime, inode), if it still has it once durable:
any later process trusts a file whose stat still equals its stamp, so a step process of the multiprocess
executor does not hash its inputs again. Anything that touched the file (an edit, a copy or restore, a
replaced file, even a new hard link) changes one of them, and the file is hashed. Two ways around it
are left: where the kernel keeps coarse timestamps (Linux before 6.13), an edit within the same clock
tick as the commit (a few milliseconds) that keeps the size and restores mtime leaves ctime as stamped;
and on tmpfs, writes through a shared memory map made before the commit change no time at all. ``verify``
trusts no stamp: it hashes every file (what ``repair`` and the integrity checks run).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ArtifactIntegrityError
from .base import ManifestEntry
from .digests import file_digest
from .files import NotRegularFileError, make_read_only


class Verifier:
    def __init__(self) -> None:
        self._verified: dict[Path, tuple[Any, ...]] = {}

    def check(self, path: Path, entry: ManifestEntry, where: str, *, trust_stamp: bool = True) -> Path:
        """``path`` if its bytes match ``entry``; ``ArtifactIntegrityError`` naming both digests if not."""
        try:
            signature = _signature(path, entry.digest)
        except FileNotFoundError as exc:
            raise ArtifactIntegrityError(
                f"stored file {path} of {where} is missing; the store was changed by hand. Restore the version "
                "folder from a backup; writing the same value again stores it as a new version."
            ) from exc
        stamped = trust_stamp and entry.stamp is not None and entry.stamp == signature[:4]
        if self._verified.get(path) != signature and not stamped:
            try:
                actual = file_digest(path)
            except (IsADirectoryError, NotRegularFileError) as exc:
                raise ArtifactIntegrityError(
                    f"stored file {path} of {where} was replaced by {exc.strerror}; "
                    "the store was changed by hand. Restore the version folder from a backup."
                ) from exc
            if actual != entry.digest:
                raise ArtifactIntegrityError(
                    f"stored file {path} (entry {entry.path!r} of {where}) has digest {actual} but the manifest "
                    f"says {entry.digest}; it was changed or corrupted. Restore the version folder from a backup; "
                    "writing the same value again stores it as a new, intact version."
                )
            self._verified[path] = signature
        return path

    def remember(self, path: Path, digest: str) -> None:
        """``path`` was hashed while it was written: trust it as verified."""
        self._verified[path] = _signature(path, digest)

    def forget(self, folder: Path) -> None:
        """Hash the files under ``folder`` again on their next read."""
        self._verified = {p: s for p, s in self._verified.items() if not p.is_relative_to(folder)}


def seal(path: Path) -> tuple[int, ...]:
    """Make a staged file read-only and return its stamp. Called before the store hashes a file, or by a
    writer right after it hashed what it wrote: any change from then on shows in the stat."""
    make_read_only(path)
    return _stamp_of(os.stat(path))


def confirm_stamps(record: dict[str, Any], files_dir: Path) -> None:
    """Keep a manifest entry's stamp only if its file, now durable, still has that stat: a file changed
    between its hash and the commit is recorded unstamped, so every reader hashes it (and catches it)."""
    for path, entry in record["entries"].items():
        if entry.get("stamp") is not None and list(_stamp_of(os.stat(files_dir / path))) != entry["stamp"]:
            del entry["stamp"]


def _stamp_of(info: os.stat_result) -> tuple[int, ...]:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def _signature(path: Path, digest: str) -> tuple[Any, ...]:
    info = os.stat(path)
    return (*_stamp_of(info), info.st_dev, digest)
