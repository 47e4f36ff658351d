"""Publishing offline work through the real wandb SDK to the W&B stand-in (test_publish.py: the same, faked).

Versions are materialized offline into the local store, then replayed online; what the stand-in holds
afterwards is checked: versions in local order, their files' digests, aliases, metadata, registry links.
"""

from importlib import import_module

import pytest

from tests._package import PACKAGE_NAME, integration
from tests.wandb_integration.publishing.test_publish import materialize

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
publish = import_module(f"{PACKAGE_NAME}.wandb_integration.publishing.publish")
settings_module = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features

ENTITY, PROJECT = fixtures.ENTITY, "published"
SCORES = integration.stores.ArtifactId(ENTITY, PROJECT, "scores")
pytestmark = pytest.mark.online


@pytest.fixture
def offline(base_dir):
    """The resource offline on the test's store (materialize_offline also sets WANDB_MODE=offline: the
    environment wins over the configured mode, and the stand-in fixture sets it online)."""
    return integration.WandbResource(entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(base_dir))


def materialize_offline(resource, monkeypatch, *values):
    monkeypatch.setenv("WANDB_MODE", "offline")
    materialize(resource, *values)


def publish_now(server, base_dir, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "online")
    settings = settings_module.WandbSettings.build(
        entity=ENTITY,
        project=PROJECT,
        mode="online",
        api_key=fixtures.DUMMY_API_KEY,
        host=server.url,
        base_dir=base_dir,
        source="test",
    )
    return publish.publish_store(settings, publish.store_at(base_dir), echo=lambda line: None)


def uploads(server):
    return [r for r in list(server.requests) if r.method == "PUT"]


def test_offline_versions_reach_w_and_b_with_files_aliases_metadata_and_links(
    wandb_server, offline, base_dir, monkeypatch
):
    materialize_offline(
        offline, monkeypatch, [1], [1, 2], [1, 2]
    )  # the third run reuses v1 and adds its dagster-run alias to it
    offline.link_artifact("scores:v1", "wandb-registry-model/wine", aliases=["production"])
    local = publish.store_at(base_dir).versions(SCORES)
    report = publish_now(wandb_server, base_dir, monkeypatch)
    assert report.published == {f"{SCORES}:v{n}": f"{SCORES}:v{n}" for n in (0, 1)}
    for version in local:
        collection, remote = wandb_server.state.find(ENTITY, PROJECT, f"scores:{version.version_tag}")
        assert (remote.type, remote.state, remote.digest) == ("metrics", "COMMITTED", version.digest)
        assert set(collection.aliases_of(remote.id)) - {"latest"} == set(version.aliases) - {"latest"}
        metadata = remote.metadata_dict()
        assert metadata["published_from"] == f"{SCORES}:{version.version_tag}"
        assert metadata["dagster_lineage"]["dagster_run_id"] == version.lineage["dagster_run_id"]
    assert len([a for a in local[1].aliases if a.startswith("dagster-run-")]) == 2
    # One W&B run replayed both, and the registry link points at the exact published version.
    (run,) = [r for r in wandb_server.state.runs.values() if r.project == PROJECT]
    assert len(run.logged) == 2 and run.exit_code == 0
    portfolio, linked = wandb_server.state.find(fixtures.ORG_ENTITY, "wandb-registry-model", "wine:production")
    assert portfolio.kind == "ArtifactPortfolio"
    assert linked.id == wandb_server.state.find(ENTITY, PROJECT, "scores:v1")[1].id
    assert list(report.linked) == [f"{ENTITY}/wandb-registry-model/wine:v0"]
    assert wandb_server.key_leaks(fixtures.DUMMY_API_KEY) == []


def test_publishing_twice_uploads_nothing_and_moved_aliases_follow(wandb_server, offline, base_dir, monkeypatch):
    materialize_offline(offline, monkeypatch, [1], [2])
    publish_now(wandb_server, base_dir, monkeypatch)
    before = len(wandb_server.requests)
    again = publish_now(wandb_server, base_dir, monkeypatch)
    assert (again.published, again.linked, again.aliases_added) == ({}, {}, {})
    assert wandb_server.requests[before:] == [], "nothing pending: not even a W&B API call"
    materialize_offline(
        offline, monkeypatch, [2]
    )  # same content as v1 locally: no new version, one more dagster-run alias
    before_uploads = len(uploads(wandb_server))
    report = publish_now(wandb_server, base_dir, monkeypatch)
    assert report.published == {} and list(report.aliases_added) == [f"{SCORES}:v1"]
    assert len(uploads(wandb_server)) == before_uploads, "adding an alias uploads nothing"
    assert wandb_server.count("CreateArtifact") == 2, "only the first publish created versions"
    collection, remote = wandb_server.state.find(ENTITY, PROJECT, "scores:v1")
    local_v1 = publish.store_at(base_dir).versions(SCORES)[1]
    assert set(local_v1.aliases) <= set(collection.aliases_of(remote.id))
