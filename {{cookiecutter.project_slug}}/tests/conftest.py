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


ENTITY = "test-entity"
PROJECT = "test-project"


@pytest.fixture
def base_dir(tmp_path: Path) -> Path:
    """A fresh ``base_dir`` for the integration's store and cache."""
    path = tmp_path / "dagster_home"
    path.mkdir()
    return path


@pytest.fixture
def wandb_resource(base_dir: Path):
    """An offline ``WandbResource`` whose store lives under ``base_dir``."""
    from tests._package import integration

    return integration.WandbResource(entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(base_dir))


@pytest.fixture
def store(wandb_resource):
    """The local store ``wandb_resource`` writes to, for assertions on versions, aliases and lineage."""
    from tests._package import local_store

    return local_store.LocalArtifactStore(wandb_resource.settings().store_dir)
