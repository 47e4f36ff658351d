"""dagster-wandb's ``dagster_wandb.types`` path (the typed configuration dicts), kept so that code moved
over with one changed import keeps working; they live in ``artifact_configuration.py``."""

from .artifact_configuration import SerializationModule, WandbArtifactConfiguration

__all__ = ["SerializationModule", "WandbArtifactConfiguration"]
