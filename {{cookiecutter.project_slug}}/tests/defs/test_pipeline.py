"""The whole example graph materialized into a temporary offline store: versions, aliases, lineage, metrics."""

from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest

from tests._package import (
    TRAINING_ASSETS,
    advanced_assets,
    checks,
    dataset_assets,
    external_artifact,
    integration,
    local_store,
)
from tests.conftest import ENTITY, PROJECT

ArtifactId = integration.stores.ArtifactId
ACCURACY_FLOOR = 0.9  # logistic regression on standardized wine measurements scores ~0.97

ASSETS = [
    *TRAINING_ASSETS,
    advanced_assets.dataset_bundle,
    advanced_assets.first_bundle_classes,
    advanced_assets.reference_bundle_schema,
    dataset_assets.wine_labels,
    advanced_assets.label_names,
    checks.model_meets_thresholds,
]


def ids(name, project=PROJECT):
    return ArtifactId(ENTITY, project, name)


def run(resources, instance, **run_config):
    result = dg.materialize(ASSETS, resources=resources, instance=instance, run_config=run_config or None)
    assert result.success
    return result


@dataclass
class Pipeline:
    result: dg.ExecuteInProcessResult
    store: Any


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """One materialization of the whole graph into a fresh store, shared by the tests that only read it."""
    resource = integration.WandbResource(
        entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(tmp_path_factory.mktemp("pipeline"))
    )
    manager = integration.WandbArtifactsIOManager(wandb_resource=resource)
    resources = {"wandb_resource": resource, "wandb_artifacts_manager": manager, "io_manager": manager}
    external_artifact.seed_external_artifact(resource.settings())
    with dg.DagsterInstance.ephemeral() as instance:
        yield Pipeline(run(resources, instance), local_store.LocalArtifactStore(resource.settings().store_dir))


def test_every_asset_becomes_a_versioned_artifact_with_lineage(pipeline):
    store, result = pipeline.store, pipeline.result
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
        version = store.resolve(ids(name))
        assert (version.version, version.type) == (0, artifact_type), name
        assert {"latest", f"dagster-run-{result.run_id[:8]}"} <= set(version.aliases), name
        assert version.lineage["dagster_run_id"] == result.run_id
    model = store.resolve(ids("trained_model"))
    # dagster-wandb's keys, so code still on it reads the model too
    assert model.metadata["source_serialization_module"] == "joblib"
    assert model.metadata["source_serialization_parameters"] == {"compress": 3}
    assert model.metadata["source_pickle_protocol_used"] == 5
    assert model.metadata["source_joblib_version_used"]
    assert "test-entity/test-project/training_dataset:v0" in model.lineage["used"]
    assert "reference" in store.resolve(ids("dataset_bundle")).aliases


def test_the_model_is_good_and_promoted_to_the_local_registry(pipeline):
    store, result = pipeline.store, pipeline.result
    metadata = result.asset_materializations_for_node("model_evaluation")[0].metadata
    assert metadata["accuracy"].value >= ACCURACY_FLOOR
    assert "| accuracy |" in metadata["metrics"].value
    assert metadata["wandb_artifact_version"].value == "v0"
    decision = result.output_for_node("registered_model")
    assert decision["promoted"] is True
    collection = ArtifactId(
        ENTITY, "wandb-registry-model", decision["wandb_registry_path"].split("/")[-1].split(":")[0]
    )
    registered = store.resolve(collection, alias="production")
    assert registered.digest == store.resolve(ids("trained_model")).digest
    assert registered.lineage["linked_from"] == "test-entity/test-project/trained_model:v0"


def test_reads_by_get_path_version_alias_and_external(pipeline):
    result = pipeline.result
    assert result.output_for_node("evaluation_report").startswith("# Per-class recall")
    assert result.output_for_node("first_bundle_classes").startswith("class,cultivar")
    assert result.output_for_node("reference_bundle_schema") == {"target": "int", "features": 13}
    assert result.output_for_node("label_names") == external_artifact.LABELS


def test_unchanged_rematerialization_adds_no_versions_but_a_new_hyperparameter_does(
    resources, instance, store, wandb_resource
):
    external_artifact.seed_external_artifact(wandb_resource.settings())
    run(resources, instance)
    run(resources, instance)
    for name in ("raw_dataset", "training_dataset", "trained_model", "dataset_bundle"):
        assert [v.version for v in store.versions(ids(name))] == [0], name
    run(resources, instance, ops={"trained_model": {"config": {"regularization": 0.05}}})
    assert [v.version for v in store.versions(ids("trained_model"))] == [0, 1]
    assert [v.version for v in store.versions(ids("raw_dataset"))] == [0]
