"""End to end online: Dagster materializations through the IO manager, the real wandb SDK, the W&B stand-in.

What the stand-in holds afterwards is checked, not just what Dagster reports: each artifact's name, type,
aliases, metadata and files, the inputs each W&B run used (lineage) and the registry links. The resource
gets the host and key from its own config; the fixture's ``WANDB_BASE_URL`` / ``WANDB_API_KEY`` are
removed so nothing can reach the stand-in by the environment alone.
"""

import json
import os
from importlib import import_module

import dagster as dg
import pandas as pd
import pytest
import wandb

from tests._package import (
    PACKAGE_NAME,
    TRAINING_ASSETS,
    advanced_assets,
    dataset_assets,
    external_artifact,
    integration,
)

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
wandb_reader_cache = fixtures.wandb_reader_cache
constants = import_module(f"{PACKAGE_NAME}.defs.constants")

ENTITY = fixtures.ENTITY
PROJECT = "online-e2e"
pytestmark = pytest.mark.online


@pytest.fixture
def online(wandb_server, base_dir, monkeypatch):
    """The resource and IO manager online against the stand-in, configured only through their fields."""
    monkeypatch.delenv("WANDB_BASE_URL")
    monkeypatch.delenv("WANDB_API_KEY")
    resource = fixtures.online_resource(wandb_server, base_dir, project=PROJECT)
    manager = integration.WandbArtifactsIOManager(wandb_resource=resource, run_tags=["e2e"])
    # One IO manager key per test: each key is its own worker in the step process, so its own W&B run.
    return {"wandb_resource": resource, "io_manager": manager}


def stored(server, name, selector="latest", entity=ENTITY, project=PROJECT):
    found = server.state.find(entity, project, f"{name}:{selector}")
    assert found is not None, f"the stand-in has no {entity}/{project}/{name}:{selector}"
    return found


def metadata_of(result, node):
    return {key: value.value for key, value in result.asset_materializations_for_node(node)[0].metadata.items()}


def resume_checks(server, run_id):
    """``wandb.init(id=..., resume="allow")`` calls for ``run_id``: one per W&B run opened with that id."""
    return [v for v in server.calls("RunResumeStatus") if v["name"] == run_id]


def assert_no_key_leaks(server, *values):
    assert server.key_leaks(fixtures.DUMMY_API_KEY) == []
    for value in values:
        assert fixtures.DUMMY_API_KEY not in json.dumps(value, default=str)


def test_small_graph_writes_reads_and_lineage(online, wandb_server, wandb_reader_cache, tmp_path):
    extra = tmp_path / "notes.txt"
    extra.write_text("hand-written notes")

    @dg.asset(
        metadata={
            "wandb_artifact_configuration": {
                "type": "dataset",
                "description": "three rows",
                "aliases": ["golden"],
                "add_files": [{"local_path": str(extra), "name": "notes.txt"}],
            }
        }
    )
    def table() -> pd.DataFrame:
        return pd.DataFrame({"a": [1, 2, 3]})

    @dg.asset(metadata={"wandb_artifact_configuration": {"type": "evaluation"}})
    def scores() -> wandb.Table:
        return wandb.Table(columns=["k", "v"], data=[["x", 1], ["y", 2]])

    result = dg.materialize([table, scores], resources=online)
    assert result.success
    # In process: both steps' inputs and outputs go through one W&B run.
    assert len(resume_checks(wandb_server, result.run_id)) == 1
    run_alias = f"dagster-run-{result.run_id[:8]}"
    collection, artifact = stored(wandb_server, "table")
    assert (artifact.type, artifact.description, artifact.index) == ("dataset", "three rows", 0)
    assert collection.aliases_of(artifact.id) == sorted(["golden", "latest", run_alias])
    assert set(artifact.files) == {"output.parquet", "notes.txt"}
    saved = artifact.metadata_dict()
    assert saved["source_serialization_module"] == "parquet"
    assert saved["dagster_lineage"]["dagster_run_id"] == result.run_id
    meta = metadata_of(result, "table")
    assert (meta["wandb_artifact_id"], meta["wandb_artifact_version"], meta["wandb_mode"]) == (
        artifact.id,
        "v0",
        "online",
    )
    assert meta["wandb_artifact_url"].startswith("http") and meta["wandb_run_url"].startswith("http")
    assert run_alias in meta["wandb_artifact_aliases"]
    assert "Table.table.json" in stored(wandb_server, "scores")[1].files

    # Dagster allows one input per upstream asset, so each way of reading ``table`` gets its own asset.
    def reads(key, config):
        return dg.AssetIn(key, metadata={"wandb_artifact_configuration": config})

    @dg.asset(ins={"frame": reads("table", {"version": "v0"}), "rows": reads("scores", {"get": "Table"})})
    def by_version(frame: pd.DataFrame, rows: wandb.Table) -> list:
        return [int(frame["a"].sum()), len(rows.data)]

    @dg.asset(ins={"frame": reads("table", {"alias": "golden"})})
    def by_alias(frame: pd.DataFrame) -> int:
        return int(frame["a"].sum())

    @dg.asset(ins={"notes": reads("table", {"get_path": "notes.txt"})})
    def by_path(notes: str) -> str:
        with open(notes) as handle:
            return handle.read()

    wandb_reader_cache()  # the reading run downloads from the stand-in, as a second machine would
    before = len(wandb_server.requests)
    readers = [by_version, by_alias, by_path]
    reader = dg.materialize([table, scores, *readers], selection=readers, resources=online)
    assert reader.output_for_node("by_version") == [6, 2]
    assert reader.output_for_node("by_alias") == 6
    assert reader.output_for_node("by_path") == "hand-written notes"
    downloads = [r.path for r in wandb_server.requests[before:] if r.method == "GET" and r.status == 200]
    assert any(path.endswith("/output.parquet") for path in downloads)
    # Every read went through use_artifact, so the server knows which versions the reading run used.
    used = wandb_server.state.runs[(ENTITY, PROJECT, reader.run_id)].used
    assert set(used) == {artifact.id, stored(wandb_server, "scores")[1].id}
    assert reader.run_id in artifact.used_by
    # materialize() runs every step in this one process: one W&B run per Dagster run, opened once.
    for dagster_run in (result, reader):
        assert len(resume_checks(wandb_server, dagster_run.run_id)) == 1
    assert set(wandb_server.state.runs[(ENTITY, PROJECT, result.run_id)].tags) == {"e2e", "dagster_wandb"}
    assert_no_key_leaks(wandb_server, meta, metadata_of(reader, "by_version"))


def test_partitions_online_as_offline(online, wandb_server):
    parts = dg.StaticPartitionsDefinition(["red", "white"])

    @dg.asset(partitions_def=parts, metadata={"wandb_artifact_configuration": {"type": "dataset"}})
    def wines(context: dg.AssetExecutionContext) -> list:
        return [context.partition_key] * 2

    @dg.asset
    def both(wines: dict) -> dict:
        return {key: len(value) for key, value in wines.items()}

    for key in ("red", "white"):
        assert dg.materialize([wines], partition_key=key, resources=online).success
    result = dg.materialize([wines, both], selection=[both], resources=online)
    assert result.output_for_node("both") == {"red": 2, "white": 2}
    for key in ("red", "white"):
        _, artifact = stored(wandb_server, f"wines.{key}")
        assert artifact.metadata_dict()["dagster_lineage"]["dagster_partition_key"] == key
    assert len(wandb_server.state.runs[(ENTITY, PROJECT, result.run_id)].used) == 2


def test_a_misspelled_alias_online_names_the_versions_and_aliases_that_exist(online, wandb_server):
    @dg.asset(metadata={"wandb_artifact_configuration": {"aliases": ["production"]}})
    def model() -> dict:
        return {"w": 1}

    @dg.asset(ins={"model": dg.AssetIn(metadata={"wandb_artifact_configuration": {"alias": "prodution"}})})
    def scored(model: dict) -> dict:
        return model

    assert dg.materialize([model], resources=online).success
    with pytest.raises(integration.ArtifactNotFoundError) as raised:
        dg.materialize([model, scored], selection=[scored], resources=online)
    message = str(raised.value)
    assert "prodution" in message and "Versions: v0; aliases:" in message and "production" in message
    assert "Listing its versions failed" not in message and "unsupported operation" not in message


EXAMPLE_ASSETS = [
    *TRAINING_ASSETS,
    advanced_assets.dataset_bundle,
    advanced_assets.first_bundle_classes,
    advanced_assets.reference_bundle_schema,
    dataset_assets.wine_labels,
    advanced_assets.label_names,
]


def test_example_pipeline_online(online, wandb_server):
    external_artifact.seed_external_artifact(online["wandb_resource"].settings())
    # The keys of defs/resources.py; unkeyed outputs (first_bundle_classes) use Dagster's default.
    resources = {"wandb_resource": online["wandb_resource"], constants.ARTIFACTS_IO_MANAGER_KEY: online["io_manager"]}
    with dg.instance_for_test() as instance:
        result = dg.materialize(EXAMPLE_ASSETS, resources=resources, instance=instance)
    assert result.success
    # In process: the IO manager's store and trained_model's `wandb_resource.run()` share one W&B run.
    assert len(resume_checks(wandb_server, result.run_id)) == 1
    run_alias = f"dagster-run-{result.run_id[:8]}"
    expected_types = {
        "raw_dataset": "dataset",
        "training_dataset": "training_dataset",
        "validation_dataset": "validation_dataset",
        "trained_model": "model",
        "model_evaluation": "evaluation",
        "evaluation_report": "report",
        "registered_model": "registry_decision",
        "dataset_bundle": "dataset",
        "label_names": "artifact",
    }
    for name, artifact_type in expected_types.items():
        collection, artifact = stored(wandb_server, name)
        assert (artifact.type, artifact.index, artifact.state) == (artifact_type, 0, "COMMITTED"), name
        assert {"latest", run_alias} <= set(collection.aliases_of(artifact.id)), name
    model = stored(wandb_server, "trained_model")[1]
    assert set(model.files) == {"output.joblib"}
    assert model.metadata_dict()["source_serialization_module"] == "joblib"
    assert "reference" in stored(wandb_server, "dataset_bundle")[0].aliases
    # Reads by get_path, alias and get (the evaluation Table), and the external artifact, all online.
    assert result.output_for_node("evaluation_report").startswith("# Per-class recall")
    assert result.output_for_node("first_bundle_classes").startswith("class,cultivar")
    assert result.output_for_node("reference_bundle_schema") == {"target": "int", "features": 13}
    assert result.output_for_node("label_names") == external_artifact.LABELS
    used = wandb_server.state.runs[(ENTITY, PROJECT, result.run_id)].used
    assert stored(wandb_server, "training_dataset")[1].id in used
    assert stored(wandb_server, "wine_labels")[1].id in used
    # Registry promotion: the exact trained version, linked under the organization's registry project.
    decision = result.output_for_node("registered_model")
    assert decision["promoted"] is True
    portfolio, linked = stored(
        wandb_server,
        constants.REGISTRY_COLLECTION.split("/")[-1],
        entity=fixtures.ORG_ENTITY,
        project="wandb-registry-model",
    )
    assert (linked.id, portfolio.kind) == (model.id, "ArtifactPortfolio")
    assert "production" in portfolio.aliases_of(model.id)
    assert_no_key_leaks(wandb_server, *(metadata_of(result, n) for n in ("trained_model", "registered_model")))


def two_step_job() -> dg.JobDefinition:
    """Two assets for the multiprocess executor: each step runs in its own process."""

    @dg.asset
    def first() -> list:
        return [1, 2]

    @dg.asset
    def second(first: list) -> int:
        return sum(first)

    resource = integration.WandbResource(
        entity=ENTITY,
        project=PROJECT,
        mode="online",
        api_key=dg.EnvVar("E2E_WANDB_KEY"),
        host=os.environ["E2E_WANDB_HOST"],
        base_dir=os.environ["E2E_BASE_DIR"],
    )
    defs = dg.Definitions(
        assets=[first, second],
        resources={"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)},
        executor=dg.multiprocess_executor,
        jobs=[dg.define_asset_job("two_steps", selection="*")],
    )
    return defs.resolve_job_def("two_steps")


def test_one_w_and_b_run_per_step_process_resumed_with_the_run_id(online, wandb_server, base_dir, monkeypatch):
    monkeypatch.setenv("E2E_WANDB_KEY", fixtures.DUMMY_API_KEY)
    monkeypatch.setenv("E2E_WANDB_HOST", wandb_server.url)
    monkeypatch.setenv("E2E_BASE_DIR", str(base_dir))
    with (
        dg.instance_for_test() as instance,
        dg.execute_job(dg.reconstructable(two_step_job), instance=instance) as result,
    ):
        assert result.success
        run_id = result.run_id
        # Two step processes, each opening the W&B run with the Dagster run id: the second one resumed it.
        assert len(resume_checks(wandb_server, run_id)) == 2
        # Reading an output back here loads it through the IO manager: this process opens the run too.
        assert result.output_for_node("second") == 3
        assert len(resume_checks(wandb_server, run_id)) == 3
    assert [key for key in wandb_server.state.runs if key[2] == run_id] == [(ENTITY, PROJECT, run_id)]
    stored_run = wandb_server.state.runs[(ENTITY, PROJECT, run_id)]
    assert stored_run.used == [stored(wandb_server, "first")[1].id, stored(wandb_server, "second")[1].id]
    assert stored_run.logged == [stored(wandb_server, "first")[1].id, stored(wandb_server, "second")[1].id]
    assert_no_key_leaks(wandb_server)
