"""W&B-compatible digests.

A file digest is the base64 of the raw MD5 of its bytes; an artifact digest is the hex MD5 of
``wandb-artifact-manifest-v1\\n`` followed by one ``<path>:<file digest>\\n`` line per entry, sorted by
path. Both match what W&B computes, so a version published later keeps its digest.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_MANIFEST_HEADER = "wandb-artifact-manifest-v1\n"
_CHUNK = 1024 * 1024


def file_digest(path: str | Path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            md5.update(chunk)
    return base64.b64encode(md5.digest()).decode("ascii")


def artifact_digest(entries: Iterable[tuple[str, str]]) -> str:
    """Digest of ``(path, file digest)`` pairs; independent of name, type and metadata."""
    md5 = hashlib.md5(usedforsecurity=False)
    md5.update(_MANIFEST_HEADER.encode())
    for path, digest in sorted(entries):
        md5.update(f"{path}:{digest}\n".encode())
    return md5.hexdigest()


class DigestingWriter:
    """A new file opened for binary writing whose W&B file digest is computed as the bytes are written,
    so nobody reads the file again to hash it. ``close()`` fsyncs it; ``digest`` and ``size`` then hold."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "xb")  # noqa: SIM115 - closed in close(), which every caller reaches
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, data: Any) -> int:
        written = self._file.write(data)
        self._md5.update(data)
        self.size += written
        return written

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    @property
    def digest(self) -> str:
        return base64.b64encode(self._md5.digest()).decode("ascii")

    def __enter__(self) -> DigestingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is None:
            self.close()
        else:
            self._file.close()  # failed: the caller discards the file; no fsync
