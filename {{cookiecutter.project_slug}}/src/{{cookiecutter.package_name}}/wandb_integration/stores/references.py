"""``file://`` references read as wandb's download reads them: the file the URL names, on this machine, checked
against the digest it was logged with (one logged with ``checksum=False`` has a digest of its URL: nothing to
check). References of other schemes keep their bytes elsewhere: reading one through a store is an error."""

from __future__ import annotations

from pathlib import Path

from ..errors import ArtifactIntegrityError, ArtifactNotFoundError
from .base import ManifestEntry
from .files import file_url_path, storage_errors
from .verification import Verifier


def referenced_file(entry: ManifestEntry, where: str, kept: str, verifier: Verifier) -> Path:
    """The checked file of reference ``entry`` of ``where``; ``kept`` says where the store keeps bytes."""
    if not entry.ref.startswith("file://"):
        raise ArtifactNotFoundError(
            f"entry {entry.path!r} of {where} is a reference to {entry.ref}; its bytes are not stored {kept}. "
            "Read it from the reference."
        )
    path = file_url_path(entry.ref)
    if not path.is_file():
        raise ArtifactNotFoundError(
            f"entry {entry.path!r} of {where} refers to {path}, which is not a file on this machine now; "
            "put it back there, or read the artifact where it was logged."
        )
    if entry.unchecked:
        return path
    try:
        with storage_errors(where, path, action="read"):
            return verifier.check(path, entry, where)
    except ArtifactIntegrityError as exc:
        raise ArtifactIntegrityError(
            f"referenced file {path} (entry {entry.path!r} of {where}) is not the file that was logged: its "
            f"bytes changed since (logged digest {entry.digest}). Put the logged file back, or log the artifact "
            "again to refer to the file as it is now."
        ) from exc
