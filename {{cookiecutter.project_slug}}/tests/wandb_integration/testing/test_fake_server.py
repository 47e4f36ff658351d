"""The W&B API stand-in, driven by the real wandb SDK online (wandb-core included) over loopback.

The key flows run twice: with every server feature reported off (the SDK's fallback requests) and on (its
newest request shapes).
"""

import base64
import json
import urllib.request
from importlib import import_module
from pathlib import Path

import pytest
import wandb

from tests._package import PACKAGE_NAME, digests

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
wandb_reader_cache = fixtures.wandb_reader_cache

ENTITY = fixtures.ENTITY
PROJECT = "stand-in-tests"
both_feature_sets = pytest.mark.parametrize("wandb_server_features", ["off", "on"])
pytestmark = pytest.mark.online


def log_dataset(tmp_path, aliases=("latest", "a1"), text="hello small file"):
    """One run logging ``ds`` with a file and a Table; returns the logged artifact after ``wait()``."""
    small = tmp_path / "small.txt"
    small.write_text(text)
    with wandb.init(entity=ENTITY, project=PROJECT) as run:
        artifact = wandb.Artifact("ds", type="dataset", metadata={"rows": 2})
        artifact.add_file(str(small))
        artifact.add(wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]]), "t")
        run.log_artifact(artifact, aliases=list(aliases))
        artifact.wait()
    return artifact


def post(server, path, payload):
    request = urllib.request.Request(f"{server.url}{path}", data=json.dumps(payload).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_run_init_log_finish(wandb_server):
    with wandb.init(entity=ENTITY, project=PROJECT, config={"lr": 0.1}) as run:
        run.log({"loss": 0.5})
        run.log({"loss": 0.25})
    stored = wandb_server.state.runs[(ENTITY, PROJECT, run.id)]
    assert [json.loads(line)["loss"] for line in stored.history] == [0.5, 0.25]
    assert stored.summary["loss"] == 0.25
    assert stored.config["lr"]["value"] == 0.1
    assert stored.exit_code == 0
    assert {"config.yaml", "wandb-summary.json"} <= set(stored.files)
    assert wandb_server.count("UpsertBucket") >= 1


@both_feature_sets
def test_log_artifact_with_file_and_table(wandb_server, tmp_path):
    artifact = log_dataset(tmp_path)
    assert artifact.version == "v0"
    stored = wandb_server.state.artifacts[artifact.id]
    assert (stored.type, stored.index, stored.state) == ("dataset", 0, "COMMITTED")
    assert stored.metadata_dict() == {"rows": 2}
    assert set(stored.files) == {"small.txt", "t.table.json"}
    # The digest follows the W&B formula over the manifest the SDK uploaded, and every file's bytes are held.
    assert (
        artifact.digest
        == stored.digest
        == digests.artifact_digest((path, entry["digest"]) for path, entry in stored.files.items())
    )
    small = stored.files["small.txt"]
    assert wandb_server.state.blobs[base64.b64decode(small["digest"]).hex()] == b"hello small file"
    collection = wandb_server.state.collection(ENTITY, PROJECT, "ds")
    assert collection.aliases_of(artifact.id) == ["a1", "latest"]
    assert wandb_server.state.runs[(ENTITY, PROJECT, stored.run)].logged == [artifact.id]


def test_same_content_again_is_deduplicated_and_new_files_only_are_uploaded(wandb_server, tmp_path):
    first = log_dataset(tmp_path, aliases=["one"])
    before = len(wandb_server.requests)
    again = log_dataset(tmp_path, aliases=["two"])
    assert (again.id, again.version) == (first.id, "v0")
    assert wandb_server.count("CommitArtifact") == 1  # nothing new was committed
    changed = log_dataset(tmp_path, aliases=["three"], text="other bytes")
    assert changed.version == "v1"
    uploads = [r for r in wandb_server.requests[before:] if r.method == "PUT"]
    artifact_uploads = [r.body for r in uploads if r.body in (b"hello small file", b"other bytes")]
    assert artifact_uploads == [b"other bytes"]  # the unchanged table and file were not sent again
    collection = wandb_server.state.collection(ENTITY, PROJECT, "ds")
    assert collection.aliases == {"one": first.id, "two": first.id, "three": changed.id, "latest": changed.id}


@both_feature_sets
def test_use_artifact_download_and_get(wandb_server, wandb_reader_cache, tmp_path):
    logged = log_dataset(tmp_path)
    wandb_reader_cache()
    with wandb.init(entity=ENTITY, project=PROJECT) as run:
        artifact = run.use_artifact(f"{ENTITY}/{PROJECT}/ds:a1")
        root = artifact.download(root=str(tmp_path / "download"))
        table = artifact.get("t")
        single = artifact.get_path("small.txt").download(root=str(tmp_path / "single"))
    assert (artifact.id, artifact.version, sorted(artifact.aliases)) == (logged.id, "v0", ["a1", "latest"])
    assert (tmp_path / "download" / "small.txt").read_text() == "hello small file"
    assert root == str(tmp_path / "download")
    assert table.get_dataframe()["b"].tolist() == ["x", "y"]
    assert Path(single).read_text() == "hello small file"
    downloads = [r.path for r in wandb_server.requests if r.method == "GET" and r.status == 200]
    assert any(path.endswith("/small.txt") for path in downloads)  # bytes came from the stand-in
    assert wandb_server.state.artifacts[logged.id].used_by == [run.id]
    assert wandb_server.state.runs[(ENTITY, PROJECT, run.id)].used == [logged.id]


@both_feature_sets
def test_link_plain_and_registry_forms(wandb_server, wandb_server_features, tmp_path):
    log_dataset(tmp_path)
    source = wandb.Api().artifact(f"{ENTITY}/{PROJECT}/ds:v0")
    plain = source.link(f"{ENTITY}/{PROJECT}/linked-ds", aliases=["production"])
    registry = source.link("wandb-registry-model/wine-model", aliases=["staging"])
    assert plain.qualified_name == f"{ENTITY}/{PROJECT}/linked-ds:v0"
    assert registry.qualified_name == f"{fixtures.ORG_ENTITY}/wandb-registry-model/wine-model:v0"
    assert sorted(registry.aliases) == ["latest", "staging"]
    portfolio = wandb_server.state.collection(fixtures.ORG_ENTITY, "wandb-registry-model", "wine-model")
    assert (portfolio.kind, portfolio.versions, portfolio.type) == ("ArtifactPortfolio", [source.id], "dataset")
    # With the feature off the SDK re-fetches each link; with it on, the link answer carries the membership.
    refetches = wandb_server.count("ArtifactMembershipByName") - 1
    assert refetches == (2 if wandb_server_features == "off" else 0)


def test_aliases_description_and_metadata_edited_with_save(wandb_server, tmp_path):
    log_dataset(tmp_path)
    artifact = wandb.Api().artifact(f"{ENTITY}/{PROJECT}/ds:v0")
    artifact.aliases = [alias for alias in artifact.aliases if alias != "a1"] + ["gold"]
    artifact.description = "checked by hand"
    artifact.metadata = {"rows": 2, "reviewed": True}
    artifact.save()
    assert [wandb_server.count(op) for op in ("AddAliases", "DeleteAliases", "UpdateArtifact")] == [1, 1, 1]
    collection, stored = wandb_server.state.find(ENTITY, PROJECT, "ds:gold")
    assert collection.aliases_of(stored.id) == ["gold", "latest"]
    assert (stored.description, stored.metadata_dict()) == ("checked by hand", {"rows": 2, "reviewed": True})
    again = wandb.Api().artifact(f"{ENTITY}/{PROJECT}/ds:gold")
    assert (sorted(again.aliases), again.description) == (["gold", "latest"], "checked by hand")


def test_resume_with_a_fixed_run_id(wandb_server):
    for step in range(2):
        with wandb.init(entity=ENTITY, project=PROJECT, id="fixed-run", resume="allow") as run:
            assert run.resumed == (step == 1)
            run.log({"step_value": step})
    assert wandb_server.count("RunResumeStatus") == 2
    assert len(wandb_server.state.runs[(ENTITY, PROJECT, "fixed-run")].history) == 2


def test_unknown_operation_fails_fast_and_names_itself(wandb_server):
    with pytest.raises(Exception, match="unsupported operation 'Runs'"):
        list(wandb.Api().runs(f"{ENTITY}/{PROJECT}"))  # the stand-in serves no run listing
    assert wandb_server.unsupported == ["Runs"]
    wandb_server.unsupported.clear()  # expected here; the fixture fails any other test that sees one
    status, answer = post(
        wandb_server,
        "/graphql",
        {"operationName": "CommitArtifact", "query": "", "variables": {"artifactID": "missing"}},
    )
    assert status == 200  # a handler error is a GraphQL error too, never a 5xx wandb-core would retry
    assert "CommitArtifact failed" in answer["errors"][0]["message"]
    assert post(wandb_server, "/sdk/otel/v1/metrics", {})[0] == 404  # switches the SDK's telemetry off


def test_api_key_only_in_the_authorization_header(wandb_server, wandb_reader_cache, tmp_path):
    log_dataset(tmp_path)
    wandb_reader_cache()
    wandb.Api().artifact(f"{ENTITY}/{PROJECT}/ds:latest").download(root=str(tmp_path / "download"))
    assert wandb_server.key_leaks(fixtures.DUMMY_API_KEY) == []
    basic = "Basic " + base64.b64encode(f"api:{fixtures.DUMMY_API_KEY}".encode()).decode()
    authorized = [r for r in wandb_server.requests if r.headers.get("Authorization") == basic]
    assert {r.operation for r in authorized} >= {"UpsertBucket", "CreateArtifact", "ArtifactMembershipByName"}
