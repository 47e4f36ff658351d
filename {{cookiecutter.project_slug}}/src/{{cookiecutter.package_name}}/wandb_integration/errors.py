"""One exception family for the integration, and its one warning.

Every message says what was wrong, which value, and what to do about it. Callers chain the original
exception with ``raise ... from exc`` so the cause stays visible under the headline.
"""

from __future__ import annotations


class WandbArtifactsIOManagerError(Exception):
    """Base class of every error the W&B integration raises on purpose."""


class WandbConfigurationError(WandbArtifactsIOManagerError):
    """A config value (resource, IO manager, output or input metadata, Launch op) is invalid."""


class ArtifactNotFoundError(WandbArtifactsIOManagerError):
    """An artifact, version, alias or entry that was asked for does not exist."""


class ArtifactIntegrityError(WandbArtifactsIOManagerError):
    """Stored bytes do not match the manifest digest, or a store file is truncated or unreadable."""


class ArtifactStorageError(WandbArtifactsIOManagerError):
    """The store's folder cannot be written: the disk is full, the filesystem is read-only, permission is
    denied, or a part of the path is a file. Nothing was committed; earlier versions are intact."""


class SerializationError(WandbArtifactsIOManagerError):
    """An object could not be written or read with the requested serialization module."""


class UnsafeDeserializationError(SerializationError):
    """Unpickling was refused because the integration cannot vouch for the file's origin."""


class WandbModeError(WandbConfigurationError):
    """The mode and what is available disagree: W&B online is needed (or asked for) but there is no key,
    the mode is offline, or the server cannot be reached."""


class SharedRunWarning(UserWarning):
    """A ``wandb.init`` argument was not applied: the run was already open in this process (see ``runs.py``)."""
