"""W&B digests as Dagster data versions: observing an external artifact, and what turns downstream stale."""

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from tests._package import integration

from .helpers import automation, labels_graph, open_store, publish


def observe(graph, resources, instance):
    observable = graph[0]
    result = dg.materialize(list(graph), selection=[observable], resources=resources, instance=instance)
    assert result.success
    record = instance.fetch_observations(dg.AssetKey("labels"), limit=1).records[0]
    return record.asset_observation


def status(graph, resources, instance, key="label_count"):
    # A new resolver each time: it caches what it has read.
    defs = dg.Definitions(assets=list(graph), resources=resources)
    resolver = CachingStaleStatusResolver(instance, defs.resolve_asset_graph(), LoadingContextForTest(instance))
    return resolver.get_status(dg.AssetKey(key))


def test_the_observation_reports_the_digest_as_data_version_with_the_version_it_saw(resources, wandb_resource):
    version = publish(open_store(wandb_resource), "labels", '{"0": "barolo"}')
    graph = labels_graph()
    with dg.DagsterInstance.ephemeral() as instance:
        observation = observe(graph, resources, instance)
    assert observation.data_version == version.digest
    metadata = {key: value.value for key, value in observation.metadata.items()}
    assert metadata["wandb_artifact_version"] == "v0"
    assert metadata["wandb_artifact_digest"] == version.digest
    assert metadata["wandb_artifact_path"] == f"{version.id}:latest"


def test_a_new_version_makes_the_downstream_stale_and_the_same_content_does_not(resources, wandb_resource):
    store = open_store(wandb_resource)
    publish(store, "labels", '{"0": "barolo"}')
    graph = labels_graph()
    with dg.DagsterInstance.ephemeral() as instance:
        observe(graph, resources, instance)
        assert dg.materialize(list(graph), selection=[graph[1]], resources=resources, instance=instance).success
        assert status(graph, resources, instance) == StaleStatus.FRESH

        unchanged = publish(store, "labels", '{"0": "barolo"}')  # uploaded again, same bytes
        assert unchanged.version == 0
        observe(graph, resources, instance)
        assert status(graph, resources, instance) == StaleStatus.FRESH

        changed = publish(store, "labels", '{"0": "nebbiolo"}')
        assert changed.version == 1
        assert observe(graph, resources, instance).data_version == changed.digest
        assert status(graph, resources, instance) == StaleStatus.STALE

        assert dg.materialize(list(graph), selection=[graph[1]], resources=resources, instance=instance).success
        assert status(graph, resources, instance) == StaleStatus.FRESH


def test_an_alias_or_a_pinned_version_is_observed_as_named(resources, wandb_resource):
    store = open_store(wandb_resource)
    first = publish(store, "labels", "1", aliases=["reviewed"])
    publish(store, "labels", "2")
    for path, expected in (("labels:reviewed", first), ("labels:v0", first)):
        spec = dg.AssetSpec("labels")
        observable = automation.observable_artifact(spec, path)
        with dg.DagsterInstance.ephemeral() as instance:
            assert dg.materialize([observable], selection=[observable], resources=resources, instance=instance).success
            observation = instance.fetch_observations(spec.key, limit=1).records[0].asset_observation
        assert observation.data_version == expected.digest, path


def test_an_artifact_that_was_never_published_fails_the_observation_naming_it(resources):
    graph = labels_graph()
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            list(graph), selection=[graph[0]], resources=resources, instance=instance, raise_on_error=False
        )
    assert not result.success
    [failure] = [event for event in result.all_events if event.is_step_failure]
    message = failure.event_specific_data.error.message
    assert ("labels" in message and "no alias 'latest'" not in message) or "has no" in message


@pytest.mark.parametrize(
    ("path", "fragment"),
    [("", "is not"), ("a/b/c/d", "4 '/'-separated parts"), ("a:b:c", "is not"), ("e/p/../x", "..")],
)
def test_a_bad_artifact_path_is_a_configuration_error_naming_it(wandb_resource, path, fragment):
    with pytest.raises(integration.WandbConfigurationError, match=None) as info:
        automation.current_version(wandb_resource, path)
    assert repr(path) in str(info.value) or path in str(info.value)
    assert fragment in str(info.value)
