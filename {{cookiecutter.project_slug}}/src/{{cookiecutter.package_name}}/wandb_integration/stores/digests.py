"""W&B-compatible digests.

A file digest is the base64 of the raw MD5 of its bytes; an artifact digest is the hex MD5 of
``wandb-artifact-manifest-v1\\n`` followed by one ``<path>:<file digest>\\n`` line per entry, sorted by
path. Both match what W&B computes, so a version published later keeps its digest.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path

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
