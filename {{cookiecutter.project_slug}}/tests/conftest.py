"""Test-wide setup: wandb stays offline and writes only into a temporary folder.

The environment is set at import time, before any test module can import wandb: passing
``mode="offline"`` to ``wandb.init`` alone still lets wandb post error reports to the network at exit.
"""

import os
import tempfile
from pathlib import Path

import pytest

_WANDB_SCRATCH = Path(tempfile.mkdtemp(prefix="wandb-tests-"))
os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_ERROR_REPORTING"] = "false"
os.environ["WANDB_SILENT"] = "true"
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "1"
for _name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
    os.environ[_name] = str(_WANDB_SCRATCH / _name.lower())
os.environ.pop("WANDB_API_KEY", None)


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    """A fresh ``base_dir`` for the integration's store and cache."""
    path = tmp_path / "dagster_home"
    path.mkdir()
    return path
