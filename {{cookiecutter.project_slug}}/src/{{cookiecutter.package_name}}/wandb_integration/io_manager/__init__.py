"""The artifacts IO manager: its config in both styles (``manager.py``), the worker that reads and writes
(``worker.py``), artifact names (``naming.py``), readers of Dagster's contexts (``context.py``) and of
what the run recorded (``run_outputs.py``), and the load-time check of every configuration (``validation.py``)."""

from ..errors import WandbArtifactsIOManagerError  # where dagster-wandb users import it from, too
from .manager import WandbArtifactsIOManager, wandb_artifacts_io_manager
from .validation import check_definitions

__all__ = ["WandbArtifactsIOManager", "WandbArtifactsIOManagerError", "check_definitions", "wandb_artifacts_io_manager"]
