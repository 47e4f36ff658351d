"""The integration's version (dagster-wandb's ``dagster_wandb.version`` path); artifacts it writes record it
as ``source_integration_version``."""

__version__ = "0.1.0"
