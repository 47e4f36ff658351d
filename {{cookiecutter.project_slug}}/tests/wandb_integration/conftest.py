"""Fixtures for the integration tests: the IO manager on the offline store of ``tests/conftest.py``."""

from pathlib import Path

import pytest

from tests._package import integration
from tests.conftest import ENTITY, PROJECT

__all__ = ["ENTITY", "PROJECT"]
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    """Mark this folder's tests ``wandb_integration``; ``pytest -m "not wandb_integration"`` skips them."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.wandb_integration)


@pytest.fixture
def io_manager(wandb_resource):
    return integration.WandbArtifactsIOManager(wandb_resource=wandb_resource)


@pytest.fixture
def resources(wandb_resource, io_manager):
    return {"wandb_resource": wandb_resource, "io_manager": io_manager}
