"""Artifact stores: the interface, the embedded local store and the W&B back end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion, ManifestEntry

if TYPE_CHECKING:
    from ..runs import RunOptions
    from ..settings import WandbSettings

__all__ = ["ArtifactDraft", "ArtifactId", "ArtifactStore", "ArtifactVersion", "ManifestEntry", "open_store"]


def open_store(settings: WandbSettings, options: RunOptions, cache_duration_in_minutes: int) -> ArtifactStore:
    """The back end for the resolved mode; the W&B one (and wandb itself) is imported only online."""
    if settings.mode == "offline":
        from .local import LocalArtifactStore

        # Copies handed to user code expire like the online cache's downloads.
        return LocalArtifactStore(settings.store_dir, checkout_minutes=cache_duration_in_minutes)
    from .online import WandbArtifactStore

    return WandbArtifactStore(settings, options, cache_duration_in_minutes)
