"""Fixtures for the integration tests: the IO manager on the offline store of ``tests/conftest.py``."""

import pytest

from tests._package import integration
from tests.conftest import ENTITY, PROJECT

__all__ = ["ENTITY", "PROJECT"]


@pytest.fixture
def io_manager(wandb_resource):
    return integration.WandbArtifactsIOManager(wandb_resource=wandb_resource)


@pytest.fixture
def resources(wandb_resource, io_manager):
    return {"wandb_resource": wandb_resource, "io_manager": io_manager}
