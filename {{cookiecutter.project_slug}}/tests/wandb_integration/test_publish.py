"""Publishing offline work to W&B, through the real SDK against the loopback stand-in."""

from importlib import import_module

import dagster as dg

from tests._package import PACKAGE_NAME, integration

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
publish = import_module(f"{PACKAGE_NAME}.wandb_integration.publish")
settings_module = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")
local = import_module(f"{PACKAGE_NAME}.wandb_integration.store.local")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
PROJECT = "published"


def scores_asset(value: list) -> dg.AssetsDefinition:
    @dg.asset(name="scores", metadata={"wandb_artifact_configuration": {"type": "metrics", "aliases": ["best"]}})
    def scores() -> list:
        return value

    return scores


def materialize_offline(base_dir, monkeypatch, values):
    monkeypatch.setenv("WANDB_MODE", "offline")
    resource = integration.WandbResource(
        entity=fixtures.ENTITY, project=PROJECT, mode="offline", base_dir=str(base_dir)
    )
    manager = integration.WandbArtifactsIOManager(wandb_resource=resource)
    for value in values:
        assert dg.materialize([scores_asset(value)], resources={"io_manager": manager}).success
    monkeypatch.setenv("WANDB_MODE", "online")
    return local.LocalArtifactStore(resource.settings().store_dir)


def test_offline_versions_are_replayed_once_with_aliases_and_metadata(wandb_server, base_dir, monkeypatch):
    store = materialize_offline(base_dir, monkeypatch, [[1], [1, 2]])

    def settings_for(entity, project):
        return settings_module.WandbSettings.build(
            entity=entity,
            project=project,
            mode="online",
            base_dir=base_dir,
            host=wandb_server.url,
            api_key=fixtures.DUMMY_API_KEY,
        )

    lines = []
    first = publish.publish(store, settings_for, echo=lines.append)
    assert sorted(first) == [f"{fixtures.ENTITY}/{PROJECT}/scores:v0", f"{fixtures.ENTITY}/{PROJECT}/scores:v1"]
    collection, latest = wandb_server.state.find(fixtures.ENTITY, PROJECT, "scores:latest")
    assert "best" in collection.aliases_of(latest.id)
    assert len(collection.versions) == 2
    local_latest = store.resolve(integration.store.ArtifactId(fixtures.ENTITY, PROJECT, "scores"))
    assert latest.digest == local_latest.digest, "W&B computes the same digest as the local store"
    assert publish.publish(store, settings_for, echo=lines.append) == {}, "a second publish uploads nothing"
    assert len(collection.versions) == 2


def test_dry_run_lists_without_a_server(base_dir, monkeypatch):
    store = materialize_offline(base_dir, monkeypatch, [[3]])
    lines = []
    assert publish.publish(store, lambda e, p: None, dry_run=True, echo=lines.append) == {}
    assert lines == [f"would publish {fixtures.ENTITY}/{PROJECT}/scores:v0"]
