"""The IO manager online: the real wandb SDK against the loopback W&B stand-in (no internet)."""

import json
from importlib import import_module

import dagster as dg
import pandas as pd
import pytest

from tests._package import PACKAGE_NAME, integration

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
wandb_reader_cache = fixtures.wandb_reader_cache
PROJECT = "online-io"
pytestmark = pytest.mark.online


@pytest.fixture
def resources(wandb_server, base_dir):
    resource = fixtures.online_resource(wandb_server, base_dir, project=PROJECT)
    return {"wandb_resource": resource, "io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)}


def test_assets_round_trip_through_w_and_b_in_one_run_per_step(resources, wandb_server, wandb_reader_cache):
    frame = pd.DataFrame({"a": [1, 2, 3]})

    @dg.asset(metadata={"wandb_artifact_configuration": {"type": "dataset", "aliases": ["golden"]}})
    def table() -> pd.DataFrame:
        return frame

    @dg.asset
    def numbers() -> list:
        return [1, 2, 3]

    @dg.asset
    def combined(table: pd.DataFrame, numbers: list) -> int:
        return int(table["a"].sum()) + sum(numbers)

    result = dg.materialize([table, numbers], resources=resources)
    assert result.success
    metadata = result.asset_materializations_for_node("table")[0].metadata
    assert metadata["wandb_mode"].value == "online"
    assert metadata["wandb_artifact_version"].value == "v0"
    assert metadata["wandb_artifact_url"].value.startswith("http")
    collection, stored = wandb_server.state.find(fixtures.ENTITY, PROJECT, "table:v0")
    assert {"latest", "golden", f"dagster-run-{result.run_id[:8]}"} <= set(collection.aliases_of(stored.id))
    metadata_on_server = json.loads(stored.metadata) if isinstance(stored.metadata, str) else stored.metadata
    assert metadata_on_server["source_serialization_module"] == "parquet"

    wandb_reader_cache()  # the reading step downloads for real, as another process would
    reader = dg.materialize([table, numbers, combined], selection=[combined], resources=resources)
    assert reader.output_for_node("combined") == 12
    # materialize() runs every step in one process: one W&B run per process, not per input or output.
    assert wandb_server.count("UpsertBucket") >= 1
    assert len({run_id for (_, _, run_id) in wandb_server.state.runs}) == 2


def test_a_step_that_fails_after_the_run_was_opened_leaves_the_w_and_b_run_failed(resources, wandb_server):
    @dg.asset
    def numbers() -> list:
        return [1, 2, 3]

    @dg.asset
    def broken(numbers: list) -> int:  # the input opened the W&B run; then user code fails
        raise ValueError("the model diverged")

    good = dg.materialize([numbers], resources=resources)
    assert wandb_server.state.runs[(fixtures.ENTITY, PROJECT, good.run_id)].exit_code == 0
    bad = dg.materialize([numbers, broken], selection=[broken], resources=resources, raise_on_error=False)
    assert not bad.success
    run = wandb_server.state.runs[(fixtures.ENTITY, PROJECT, bad.run_id)]
    assert run.used, "the premise: the failing step read its input through W&B"
    assert run.exit_code == 1, "W&B must show the failed step's run as failed"
