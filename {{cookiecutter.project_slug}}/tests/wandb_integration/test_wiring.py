"""Both wiring styles reach the same worker: the W&B guide's classic code runs unchanged but for the import."""

from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration
from tests.conftest import ENTITY, PROJECT


def classic_resources(base_dir, **io_config):
    return {
        "wandb_config": dg.make_values_resource(entity=str, project=str),
        "wandb_resource": integration.wandb_resource.configured({"api_key": {"env": "WANDB_API_KEY"}}),
        "io_manager": integration.wandb_artifacts_io_manager.configured({"base_dir": str(base_dir), **io_config}),
    }


def run_config(entity=ENTITY, project=PROJECT):
    return {"resources": {"wandb_config": {"config": {"entity": entity, "project": project}}}}


def test_guide_job_runs_offline_with_wandb_mode_offline(base_dir, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)  # a key is set, but WANDB_MODE=offline wins

    @dg.op(out=dg.Out(metadata={"wandb_artifact_configuration": {"name": "my_artifact", "type": "dataset"}}))
    def create_dataset() -> list:
        return [1, 2, 3]

    @dg.op(out=dg.Out(metadata={"wandb_artifact_configuration": {"name": "dataset_size"}}))
    def read_dataset(my_artifact: list) -> int:
        return len(my_artifact)

    @dg.job(resource_defs=classic_resources(base_dir, cache_duration_in_minutes=60))
    def simple_job_example():
        read_dataset(create_dataset())

    result = simple_job_example.execute_in_process(run_config=run_config())
    assert result.success
    assert result.output_for_node("read_dataset") == 3
    store = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.local").LocalArtifactStore(
        base_dir / "wandb" / "artifacts"
    )
    version = store.resolve(integration.stores.ArtifactId(ENTITY, PROJECT, "my_artifact"))
    assert version.type == "dataset"


def test_guide_asset_with_legacy_metadata_key_and_values_resource(base_dir, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)

    @dg.asset(
        name="my_artifact",
        metadata={"wandb_artifact_arguments": {"type": "dataset"}},
        io_manager_key="wandb_artifacts_manager",
    )
    def create_dataset():
        return [1, 2, 3]

    resources = classic_resources(base_dir)
    resources["wandb_artifacts_manager"] = resources.pop("io_manager")
    with pytest.warns(DeprecationWarning, match="wandb_artifact_arguments"):
        result = dg.materialize([create_dataset], resources=resources, run_config=run_config())
    assert result.success


def test_empty_entity_in_wandb_config_is_a_clear_error(base_dir, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)

    @dg.asset
    def value() -> int:
        return 1

    with pytest.raises(dg.DagsterResourceFunctionError) as excinfo:
        dg.materialize([value], resources=classic_resources(base_dir), run_config=run_config(entity=""))
    cause = excinfo.value.__cause__
    assert isinstance(cause, integration.WandbConfigurationError)
    assert "wandb_config entity is empty" in str(cause)


def test_pythonic_io_manager_reads_entity_and_project_from_the_resource(base_dir):
    resource = integration.WandbResource(entity="pythonic", project="style", mode="offline")
    manager = integration.WandbArtifactsIOManager(wandb_resource=resource, base_dir=str(base_dir))

    @dg.asset
    def value() -> int:
        return 1

    assert dg.materialize([value], resources={"io_manager": manager}).success
    store = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.local").LocalArtifactStore(
        base_dir / "wandb" / "artifacts"
    )
    assert store.resolve(integration.stores.ArtifactId("pythonic", "style", "value")).version == 0


@pytest.mark.parametrize(
    ("options", "named"),
    [({"run_id": "a", "wandb_run_id": "b"}, "'b'"), ({"cache_duration_in_minutes": -5}, "-5")],
)
def test_io_manager_config_is_validated_at_construction(options, named):
    resource = integration.WandbResource(entity="e", project="p", mode="offline")
    with pytest.raises(integration.WandbConfigurationError, match=named):
        integration.WandbArtifactsIOManager(wandb_resource=resource, **options)


@pytest.mark.parametrize(("fields", "named"), [({"entity": "my team"}, "'my team'"), ({"project": "a:b"}, "'a:b'")])
def test_resource_config_is_validated_at_construction(fields, named):
    with pytest.raises(integration.WandbConfigurationError, match=named):
        integration.WandbResource(**fields)


def test_resource_run_shares_the_io_manager_run_id_offline(base_dir):
    resource = integration.WandbResource(entity="e", project="p", mode="offline", base_dir=str(base_dir))

    @dg.asset
    def trained(context: dg.AssetExecutionContext, wandb_resource: integration.WandbResource) -> str:
        with wandb_resource.run(job_type="train") as run:
            run.log({"loss": 0.5})
            return run.id

    manager = integration.WandbArtifactsIOManager(wandb_resource=resource)
    result = dg.materialize([trained], resources={"wandb_resource": resource, "io_manager": manager})
    assert result.output_for_node("trained") == result.run_id
    assert list((base_dir / "wandb" / "runs").rglob(f"*{result.run_id}*"))
