"""Fixtures for the integration tests: an offline resource, IO manager and store under ``tmp_path``."""

from importlib import import_module

import pytest

from tests._package import PACKAGE_NAME, integration

ENTITY = "test-entity"
PROJECT = "test-project"


@pytest.fixture
def wandb_resource(base_dir):
    return integration.WandbResource(entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(base_dir))


@pytest.fixture
def io_manager(wandb_resource):
    return integration.WandbArtifactsIOManager(wandb_resource=wandb_resource)


@pytest.fixture
def resources(wandb_resource, io_manager):
    return {"wandb_resource": wandb_resource, "io_manager": io_manager}


@pytest.fixture
def store(base_dir):
    local_store = import_module(f"{PACKAGE_NAME}.wandb_integration.store.local")
    return local_store.LocalArtifactStore(base_dir / "wandb" / "artifacts")
