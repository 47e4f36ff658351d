"""Dagster's automation driven by W&B artifacts: data versions, sensors and checks.

- ``observable_artifact``: an external asset whose observation reports the W&B digest as its data version.
- ``wandb_artifact_sensor``: requests a run per new artifact version or moved alias (run key and cursor).
- ``artifact_integrity_checks``: asset checks that re-verify an asset's stored artifact version.
- ``current_version``: which version an artifact path names now, offline or online.
"""

from .checks import artifact_integrity_checks
from .observations import observable_artifact
from .sensors import wandb_artifact_sensor
from .versions import CurrentVersion, current_version, parse_artifact_path

__all__ = [
    "CurrentVersion",
    "artifact_integrity_checks",
    "current_version",
    "observable_artifact",
    "parse_artifact_path",
    "wandb_artifact_sensor",
]
