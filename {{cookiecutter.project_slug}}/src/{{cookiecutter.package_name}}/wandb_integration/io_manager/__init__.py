"""The artifacts IO manager: its config in both styles (``manager.py``), the worker that reads and writes
(``worker.py``), artifact names (``naming.py``) and readers of Dagster's contexts (``context.py``)."""

from .manager import WandbArtifactsIOManager, wandb_artifacts_io_manager

__all__ = ["WandbArtifactsIOManager", "wandb_artifacts_io_manager"]
