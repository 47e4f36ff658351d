"""W&B-compatible digests.

A file digest is the base64 of the raw MD5 of its bytes; an artifact digest is the hex MD5 of
``wandb-artifact-manifest-v1\\n`` followed by one ``<path>:<file digest>\\n`` line per entry, sorted by
path. Both match what W&B computes, so a version published later keeps its digest.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .files import file_url_path, hash_file

_MANIFEST_HEADER = "wandb-artifact-manifest-v1\n"
_CHUNK = 1024 * 1024


def file_digest(path: str | Path) -> str:
    return hash_file(path)[0]


def bytes_digest(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")


def url_digest(ref: str) -> str:
    """wandb's digest of a ``file://`` reference logged with ``checksum=False``: the MD5 of the file's resolved
    URL, so that it stands for the place and not the bytes."""
    return bytes_digest(file_url_path(ref).resolve().as_uri().encode())


def artifact_digest(entries: Iterable[tuple[str, str]]) -> str:
    """Digest of ``(path, file digest)`` pairs; independent of name, type and metadata."""
    md5 = hashlib.md5(usedforsecurity=False)
    md5.update(_MANIFEST_HEADER.encode())
    for path, digest in sorted(entries):
        md5.update(f"{path}:{digest}\n".encode())
    return md5.hexdigest()


class DigestingWriter:
    """A new file opened for binary writing whose W&B file digest is computed as the bytes are written
    (pickle and its kin write through it); ``digest`` and ``size`` hold after ``close()``."""

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

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._file.close()

    @property
    def digest(self) -> str:
        return base64.b64encode(self._md5.digest()).decode("ascii")

    def __enter__(self) -> DigestingWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def written_with_digest(path: Path, write: Callable[[Path], None]) -> tuple[str, int]:
    """Run ``write(path)``, a native writer that creates ``path`` and only appends to it (pyarrow's Parquet
    writer: a Parquet file is written front to back, footer last), while a second thread hashes the bytes as
    they land: MD5 releases the GIL, so on two cores the digest costs little wall time instead of a second
    pass. Returns W&B's digest and the size; if the finished file's size is not what was hashed (a writer
    that replaced the file), it is hashed again from disk. Writers that may seek back use DigestingWriter."""
    path.touch(exist_ok=False)  # the follower opens it before the writer truncates and fills it
    done, result = threading.Event(), {}
    follower = threading.Thread(target=_follow, args=(path, done, result), daemon=True)
    follower.start()
    try:
        write(path)
    finally:
        done.set()
        follower.join()
    size = path.stat().st_size
    if result.get("size") != size:
        return file_digest(path), size
    return result["digest"], size


def _follow(path: Path, done: threading.Event, result: dict[str, Any]) -> None:
    md5, size = hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as handle:
        while True:
            finished = done.is_set()  # read before the chunk: bytes written before the flag are read after
            chunk = handle.read(_CHUNK)
            if chunk:
                md5.update(chunk)
                size += len(chunk)
            elif finished:
                break
            else:
                time.sleep(0.001)
    result["digest"], result["size"] = base64.b64encode(md5.digest()).decode("ascii"), size
