"""Publishing offline work to W&B, against ``FakeWandb`` (real wandb signatures, no network, no wandb run)."""

from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration
from tests.wandb_integration.fake_wandb import FakeWandb

publish = import_module(f"{PACKAGE_NAME}.wandb_integration.publishing.publish")
settings_module = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")
ArtifactId = integration.stores.ArtifactId
KEY = "k" * 40
SCORES = ArtifactId("acme", "models", "scores")


@pytest.fixture
def resource(base_dir):
    return integration.WandbResource(entity="acme", project="models", mode="offline", base_dir=str(base_dir))


@pytest.fixture
def sdk(tmp_path):
    return FakeWandb(tmp_path / "server")


def scores_asset(value: list) -> dg.AssetsDefinition:
    @dg.asset(name="scores", metadata={"wandb_artifact_configuration": {"type": "metrics", "aliases": ["best"]}})
    def scores() -> list:
        return value

    return scores


def materialize(resource, *values):
    """Offline runs (WANDB_MODE=offline from conftest) writing ``scores`` with alias ``best``."""
    manager = integration.WandbArtifactsIOManager(wandb_resource=resource)
    for value in values:
        assert dg.materialize([scores_asset(value)], resources={"io_manager": manager}).success


def online_settings(base_dir, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    return settings_module.WandbSettings.build(
        entity="acme", project="models", mode="online", api_key=KEY, base_dir=base_dir, connect_timeout=0
    )


def test_local_versions_are_replayed_in_one_run_with_aliases_metadata_and_files(resource, sdk, base_dir, monkeypatch):
    materialize(resource, [1], [1, 2], [1, 2])  # the third run reuses v1 (same digest) and adds its run alias
    store = publish.store_at(base_dir)
    local = store.versions(SCORES)
    report = publish.publish_store(online_settings(base_dir, monkeypatch), store, sdk, echo=lambda line: None)
    assert report.published == {f"{SCORES}:v{n}": f"{SCORES}:v{n}" for n in (0, 1)}
    assert [name for name, _ in sdk.calls if name in ("init", "log_artifact", "finish")] == [
        "init", "log_artifact", "log_artifact", "finish"
    ]  # fmt: skip
    init = sdk.named("init")[0]
    assert (init["entity"], init["project"], init["job_type"], init["mode"]) == (
        "acme", "models", "publish-offline-artifacts", "online"
    )  # fmt: skip
    assert sdk.named("finish")[0]["exit_code"] == 0
    collection = sdk.collections[("acme", "models", "scores")]
    assert [v.digest for v in collection.versions] == [v.digest for v in local], "W&B gets the same files"
    assert set(collection.aliases_of(1)) == {"latest", *local[1].aliases}
    assert "best" in collection.aliases_of(1) and "best" not in collection.aliases_of(0)
    assert len([a for a in collection.aliases_of(1) if a.startswith("dagster-run-")]) == 2
    remote = collection.versions[1]
    assert remote.type == "metrics" and remote.description == local[1].description
    assert remote.metadata["dagster_lineage"]["dagster_run_id"] == local[1].lineage["dagster_run_id"]
    assert remote.metadata["published_from"] == "acme/models/scores:v1"
    assert remote.metadata["source_integration"] == local[1].metadata["source_integration"]


def test_a_second_publish_uploads_nothing(resource, sdk, base_dir, monkeypatch):
    materialize(resource, [1], [2])
    store, settings = publish.store_at(base_dir), online_settings(base_dir, monkeypatch)
    publish.publish_store(settings, store, sdk, echo=lambda line: None)
    sdk.calls.clear()
    again = publish.publish_store(settings, store, sdk, echo=lambda line: None)
    assert again.published == {} and again.summary().startswith("0 version(s) published")
    assert sdk.calls == [], "no run, no upload, no API call"


def test_an_alias_that_moved_onto_a_published_version_is_added_without_an_upload(resource, sdk, base_dir, monkeypatch):
    materialize(resource, [1], [2])
    store, settings = publish.store_at(base_dir), online_settings(base_dir, monkeypatch)
    publish.publish_store(settings, store, sdk, echo=lambda line: None)
    monkeypatch.setenv("WANDB_MODE", "offline")
    materialize(resource, [2])  # same content as v1: no new version, one more dagster-run alias
    monkeypatch.delenv("WANDB_MODE", raising=False)
    sdk.calls.clear()
    report = publish.publish_store(settings, store, sdk, echo=lambda line: None)
    assert report.published == {} and list(report.aliases_added) == ["acme/models/scores:v1"]
    assert [name for name, _ in sdk.calls] == ["Api", "Api.artifact", "save"]
    assert set(sdk.collections[("acme", "models", "scores")].aliases_of(1)) >= set(store.versions(SCORES)[1].aliases)


def test_offline_registry_links_are_replayed_with_artifact_link(resource, sdk, base_dir, monkeypatch):
    materialize(resource, [1])
    resource.link_artifact("scores:v0", "wandb-registry-model/wine", aliases=["production"])
    store = publish.store_at(base_dir)
    report = publish.publish_store(online_settings(base_dir, monkeypatch), store, sdk, echo=lambda line: None)
    assert list(report.linked) == ["acme/wandb-registry-model/wine:v0"]
    assert sdk.named("Api.artifact")[0]["name"] == "acme/models/scores:v0"
    assert sdk.named("link")[0] == {"target_path": "wandb-registry-model/wine", "aliases": ["production"]}
    sdk.calls.clear()
    assert publish.publish_store(online_settings(base_dir, monkeypatch), store, sdk).linked == {}
    assert sdk.calls == []


def test_dry_run_lists_pending_versions_without_a_key(resource, base_dir, capsys):
    materialize(resource, [3])
    assert publish.main(["--base-dir", str(base_dir), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would publish acme/models/scores:v0" in out and "1 pending (dry run)" in out


def test_publishing_offline_fails_with_the_reason(resource, sdk, base_dir, capsys):
    materialize(resource, [3])
    assert publish.main(["--base-dir", str(base_dir)]) == 1
    assert "WANDB_MODE=offline" in capsys.readouterr().err
    assert publish.main(["--base-dir", str(base_dir / "elsewhere"), "--dry-run"]) == 1
    assert "no local artifact store" in capsys.readouterr().err
    assert sdk.calls == []


def test_the_publish_job_runs_the_op_with_the_wandb_resource(resource):
    materialize(resource, [4])
    job = publish.make_publish_job(resource_defs={"wandb_resource": resource})
    config = {"ops": {"publish_offline_artifacts": {"config": {"dry_run": True, "project": "models"}}}}
    assert job.execute_in_process(run_config=config).success
    failed = job.execute_in_process(raise_on_error=False)
    assert not failed.success
    assert "needs mode online" in failed.failure_data_for_node("publish_offline_artifacts").error.to_string()
