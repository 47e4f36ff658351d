"""Fixtures for the example definitions: resources on a temporary offline store, small frames."""

import dagster as dg
import pandas as pd
import pytest

from tests._package import dataset_assets, external_artifact, integration
from tests.conftest import ENTITY, PROJECT

__all__ = ["ENTITY", "PROJECT"]


@pytest.fixture
def resources(wandb_resource):
    """The same keys as ``defs/resources.py``, pointed at ``base_dir``."""
    manager = integration.WandbArtifactsIOManager(wandb_resource=wandb_resource)
    return {"wandb_resource": wandb_resource, "wandb_artifacts_manager": manager, "io_manager": manager}


@pytest.fixture
def instance():
    """An in-memory instance: it keeps runs, events, cursors and check results like a SQLite one, and
    takes ~0.08 s to make against ~0.4 s for ``instance_for_test``'s on-disk schemas, on every test."""
    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance


@pytest.fixture(scope="session")
def wine() -> pd.DataFrame:
    """The wine data as raw_dataset makes it: with the cultivar names of the default labels."""
    return dataset_assets.with_cultivars(dataset_assets.load_wine(), external_artifact.LABELS)


@pytest.fixture
def small_wine(wine) -> pd.DataFrame:
    """Ten rows per cultivar: enough to fit and evaluate, small enough to be instant."""
    return wine.groupby(dataset_assets.TARGET, group_keys=False).head(10).reset_index(drop=True)
