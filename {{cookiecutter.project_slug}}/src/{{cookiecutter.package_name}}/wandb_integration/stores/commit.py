"""The two steps that make a version of the local store durable and unique: the per-name write lock
(cross-process, never taken through a link) and the one committing rename into ``versions/v<N>``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import ArtifactStorageError, WandbArtifactsIOManagerError
from .base import ArtifactId
from .catalog import JOURNAL, LAST_VERSION, MANIFEST, VERSIONS
from .files import fsync_dir, write_json

LOCK = ".lock"


@contextmanager
def name_lock(name_dir: Path, artifact: ArtifactId, timeout: float) -> Iterator[None]:
    """Hold the write lock of ``artifact``, whose folder is ``name_dir``."""
    store_root, entity_dir = name_dir.parent.parent.parent, name_dir.parent.parent
    for path in (store_root, entity_dir, name_dir.parent, name_dir, name_dir / VERSIONS, name_dir / JOURNAL):
        if path.is_symlink():  # through it, versions and alias moves would land outside the store
            raise ArtifactStorageError(
                f"{path} is a link, but the store keeps its own folder or file there and never writes "
                f"through links (artifact '{artifact}'). Remove the link; nothing was written."
            )
    name_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(name_dir / LOCK, thread_local=False)
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise WandbArtifactsIOManagerError(
            f"waited {timeout:.0f} s for the write lock {name_dir / LOCK} of artifact "
            f"'{artifact}'; another live process holds it. Find and stop the stuck writer, then retry."
        ) from exc
    try:
        yield
    finally:
        lock.release()


def rename_into_place(versions_dir: Path, payload: Path, record: dict[str, Any], number: int) -> int:
    """Commit ``payload`` as the first free ``v<N>`` from ``number`` on: its manifest (naming the artifact
    and N, so a copied folder is told apart) is written durably, then one rename, made durable."""
    versions_dir.mkdir(exist_ok=True)
    for candidate in range(number, number + 1000):
        if candidate > LAST_VERSION:  # a folder named so could never be read back as a version
            raise ArtifactStorageError(
                f"no version number is left in {versions_dir}: an entry there that the store did not make holds "
                f"a number as high as v{LAST_VERSION} (see the unexplained entries `repair` lists). Remove it; "
                "nothing was written."
            )
        target = versions_dir / f"v{candidate}"
        if os.path.lexists(target):
            continue  # put there outside the store (even a dangling link): never replace it
        record["version"] = candidate
        write_json(payload / MANIFEST, record, atomic=False)
        try:
            os.rename(payload, target)
        except OSError:
            if not os.path.lexists(target):
                raise  # not a name clash (a disk or permission error): the caller reports it
            continue
        fsync_dir(versions_dir)
        return candidate
    raise WandbArtifactsIOManagerError(f"no free version number in {versions_dir} from v{number} on.")
