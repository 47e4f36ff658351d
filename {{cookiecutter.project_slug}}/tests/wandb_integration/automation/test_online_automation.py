"""Observations, the artifact sensor, the integrity check and run metrics online, through the real wandb SDK
against the W&B stand-in: the digest W&B holds is the data version, a new version requests one run."""

from importlib import import_module

import dagster as dg
import pytest
import wandb

from tests._package import PACKAGE_NAME, integration

from .helpers import automation

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
ENTITY, PROJECT = fixtures.ENTITY, "automation"
pytestmark = pytest.mark.online


@pytest.fixture
def resource(wandb_server, base_dir):
    return fixtures.online_resource(wandb_server, base_dir, project=PROJECT)


def publish(name, text, tmp_path, link_to=None):
    """Log ``labels.json`` holding ``text`` as W&B would from any script; optionally link it to a registry."""
    run = wandb.init(entity=ENTITY, project=PROJECT, dir=str(tmp_path), reinit="create_new", job_type="publish")
    try:
        artifact = wandb.Artifact(name, "labels")
        with artifact.new_file("labels.json") as handle:
            handle.write(text)
        logged = run.log_artifact(artifact).wait()
        if link_to:
            run.link_artifact(logged, link_to, aliases=["production"])
        return logged
    finally:
        run.finish()


def test_the_observation_reports_the_digest_w_and_b_holds(resource, tmp_path):
    logged = publish("labels", '{"0": "barolo"}', tmp_path)
    spec = dg.AssetSpec("labels")
    with dg.instance_for_test() as instance:
        observable = automation.observable_artifact(spec)
        result = dg.materialize(
            [observable], selection=[observable], resources={"wandb_resource": resource}, instance=instance
        )
        assert result.success
        observation = instance.fetch_observations(spec.key, limit=1).records[0].asset_observation
    assert observation.data_version == logged.digest
    metadata = {key: value.value for key, value in observation.metadata.items()}
    assert metadata["wandb_artifact_version"] == "v0"
    assert metadata["wandb_artifact_url"].startswith("http")


def test_the_sensor_requests_one_run_per_new_version_online(resource, tmp_path):
    first = publish("labels", "1", tmp_path)

    @dg.asset
    def retrained() -> int:
        return 1

    sensor = automation.wandb_artifact_sensor(
        "labels_sensor", ["labels"], target=dg.define_asset_job("retrain", selection=[retrained])
    )
    with dg.instance_for_test() as instance:

        def tick(cursor=None):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"wandb_resource": resource})
            return sensor.evaluate_tick(context)

        data = tick()
        assert [r.tags["wandb/artifact_digest"] for r in data.run_requests] == [first.digest]
        assert tick(data.cursor).run_requests == []
        second = publish("labels", "2", tmp_path)
        assert [r.tags["wandb/artifact_version"] for r in tick(data.cursor).run_requests] == [second.version]


def test_a_registry_alias_is_watched_online(resource, tmp_path):
    publish("model", "a", tmp_path, link_to="wandb-registry-model/classifier")
    current = automation.current_version(resource, "wandb-registry-model/classifier:production")
    assert current.version == "v0" and "production" in current.aliases


def test_a_path_w_and_b_does_not_know_is_not_found_naming_it(resource):
    with pytest.raises(integration.ArtifactNotFoundError, match="automation/missing:latest"):
        automation.current_version(resource, "missing")


def test_the_integrity_check_compares_the_recorded_digest_with_w_and_b(resource, wandb_server):
    @dg.asset
    def table() -> dict:
        return {"rows": [1, 2]}

    [check] = automation.artifact_integrity_checks([table])
    resources = {"wandb_resource": resource, "io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)}
    with dg.instance_for_test() as instance:
        result = dg.materialize([table, check], resources=resources, instance=instance)
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert metadata["stored_digest"] == metadata["recorded_digest"]


def test_run_metrics_online_link_the_w_and_b_run(resource):
    @dg.asset
    def model(wandb_resource: integration.WandbResource) -> int:
        with wandb_resource.run() as run:
            run.log({"loss": 0.5})
        return 1

    result = dg.materialize([model], resources={"wandb_resource": resource, "io_manager": dg.mem_io_manager})
    [event] = result.get_asset_materialization_events()
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert metadata["wandb_summary/loss"] == 0.5
    assert metadata["wandb_run_url"].startswith("http") and result.run_id in metadata["wandb_run_url"]
