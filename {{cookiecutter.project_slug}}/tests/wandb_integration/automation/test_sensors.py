"""The W&B artifact sensor: one run per new version or moved alias, a cursor that remembers, no duplicates."""

import json

import dagster as dg
import pytest

from tests._package import integration
from tests.conftest import ENTITY

from .helpers import ArtifactId, automation, open_store, publish


@dg.asset
def retrained() -> int:
    return 1


job = dg.define_asset_job("retrain", selection=[retrained])


def tick(sensor, wandb_resource, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"wandb_resource": wandb_resource})
    return sensor.evaluate_tick(context)


def test_a_new_version_requests_exactly_one_run_and_the_next_tick_nothing(wandb_resource):
    store = open_store(wandb_resource)
    first = publish(store, "labels", "1")
    sensor = automation.wandb_artifact_sensor("labels_sensor", ["labels"], target=job)
    with dg.DagsterInstance.ephemeral() as instance:
        data = tick(sensor, wandb_resource, instance)
        [request] = data.run_requests
        assert request.run_key == f"labels_sensor:{first.id}:v0:{first.digest}"
        assert request.tags["wandb/artifact_version"] == "v0"
        assert request.tags["wandb/artifact_digest"] == first.digest

        again = tick(sensor, wandb_resource, instance, data.cursor)
        assert again.run_requests == [] and "no new artifact versions" in again.skip_message

        publish(store, "labels", "1")  # the same content: W&B and the store keep v0
        assert tick(sensor, wandb_resource, instance, again.cursor).run_requests == []

        second = publish(store, "labels", "2")
        [request] = tick(sensor, wandb_resource, instance, again.cursor).run_requests
        assert request.run_key.endswith(f":v1:{second.digest}")
        assert json.loads(data.cursor) == {"labels": f"{first.id}:v0:{first.digest}"}


def test_the_cursor_survives_a_restart_of_the_sensor(wandb_resource):
    publish(open_store(wandb_resource), "labels", "1")
    with dg.DagsterInstance.ephemeral() as instance:
        cursor = tick(automation.wandb_artifact_sensor("s", ["labels"], target=job), wandb_resource, instance).cursor
        rebuilt = automation.wandb_artifact_sensor("s", ["labels"], target=job)  # a new code server, same cursor
        assert tick(rebuilt, wandb_resource, instance, cursor).run_requests == []


def test_a_moving_registry_alias_requests_a_run_per_move(wandb_resource):
    store = open_store(wandb_resource)
    model_v0, model_v1 = publish(store, "model", "a"), publish(store, "model", "b")
    registry = ArtifactId(ENTITY, "wandb-registry-model", "classifier")
    store.link(model_v0, registry, aliases=["production"])
    sensor = automation.wandb_artifact_sensor(
        "production_sensor", ["wandb-registry-model/classifier:production"], target=job
    )
    with dg.DagsterInstance.ephemeral() as instance:
        first = tick(sensor, wandb_resource, instance)
        assert [r.tags["wandb/artifact_version"] for r in first.run_requests] == ["v0"]
        store.link(model_v1, registry, aliases=["production"])  # promotion moves the alias to v1
        moved = tick(sensor, wandb_resource, instance, first.cursor)
        assert [r.tags["wandb/artifact_digest"] for r in moved.run_requests] == [model_v1.digest]
        assert tick(sensor, wandb_resource, instance, moved.cursor).run_requests == []


def test_an_artifact_not_published_yet_is_skipped_and_named(wandb_resource):
    sensor = automation.wandb_artifact_sensor("s", ["labels"], target=job)
    with dg.DagsterInstance.ephemeral() as instance:
        data = tick(sensor, wandb_resource, instance)
    assert data.run_requests == []
    assert "not published yet: labels" in data.skip_message


def test_observe_records_the_digest_as_the_observed_data_version(wandb_resource):
    version = publish(open_store(wandb_resource), "labels", "1")
    sensor = automation.wandb_artifact_sensor("s", ["labels"], target=job, observe={"labels": "labels"})
    with dg.DagsterInstance.ephemeral() as instance:
        data = tick(sensor, wandb_resource, instance)
    [event] = data.asset_events
    assert event.asset_key == dg.AssetKey("labels")
    assert event.tags["dagster/data_version"] == version.digest


@pytest.mark.parametrize(
    ("artifacts", "observe", "fragment"),
    [([], None, "give one or more distinct"), (["a", "a"], None, "distinct"), (["a"], {"b": "b"}, "does not watch")],
)
def test_a_sensor_watching_nothing_or_observing_what_it_does_not_watch_is_refused(artifacts, observe, fragment):
    with pytest.raises(integration.WandbConfigurationError, match=fragment):
        automation.wandb_artifact_sensor("s", artifacts, target=job, observe=observe)


def test_the_sensor_is_stopped_until_someone_starts_it():
    sensor = automation.wandb_artifact_sensor("s", ["labels"], target=job)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
