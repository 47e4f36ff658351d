"""dagster-wandb's ``dagster_wandb.utils.errors`` path, so code moved over with one changed import keeps
working; the exception family lives in ``errors.py``."""

from ..errors import WandbArtifactsIOManagerError

__all__ = ["WandbArtifactsIOManagerError"]
