"""The GraphQL operations of the W&B API stand-in, one function per ``operationName``.

Each handler gets the ``State``, the request's variables and its query text, and returns the ``data``
member. The SDK sends every operation with its name (wandb-core rewrites the *text* when server features
are off, never the name), so ``HANDLERS`` is the whole dispatch; ``server.py`` answers any other name with
an ``errors`` entry naming it. Grouped as the SDK uses them: handshake, runs, writing artifacts, reading
artifacts, links, editing artifacts.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from .launch_handlers import LAUNCH_HANDLERS
from .state import Artifact, State, gid

Handler = Callable[[State, dict[str, Any], str], dict[str, Any]]


def _input(variables: dict[str, Any]) -> dict[str, Any]:
    """Mutations pass either ``input: {...}`` or flat variables (UseArtifact does both across versions)."""
    return variables.get("input") or variables


# ---------------------------------------------------------------------- handshake
def viewer(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    # Asked at every init and by every Api() as the credential check; an error here fails log_artifact.
    return {
        "viewer": {
            "id": gid("User", state.entity),
            "entity": state.entity,
            "username": state.entity,
            "email": f"{state.entity}@stand-in.invalid",
            "flags": "{}",
            "teams": {"edges": []},
        }
    }


def server_features(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    return {"serverInfo": {"features": [{"name": name, "isEnabled": True} for name in state.features]}}


def coreweave_org(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    return {"entity": {"organization": None}}


def org_info(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    # Registry paths (wandb-registry-*) are linked under the organization's entity, resolved here.
    org = {"name": f"{state.org_entity}-org", "orgEntity": {"name": state.org_entity}}
    return {"entity": {"organization": org, "user": None}}


# ---------------------------------------------------------------------- runs
def upsert_bucket(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    known = len(state.runs)
    run = state.run(v.get("entity"), v.get("project"), v["name"])
    if v.get("config"):
        run.config.update(json.loads(v["config"]))
    if v.get("summaryMetrics"):
        run.summary.update(json.loads(v["summaryMetrics"]))
    run.tags = v.get("tags") or run.tags
    run.display_name = v.get("displayName") or run.display_name
    bucket = {**state.run_info(run), "project": state.project_info(run.entity, run.project)}
    return {"upsertBucket": {"bucket": bucket, "inserted": len(state.runs) > known}}


def run_resume_status(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    entity, project = v.get("entity") or state.entity, v.get("project") or "uncategorized"
    run = state.runs.get((entity, project, v["name"]))
    t = ((run.config.get("_wandb") or {}).get("value") or {}).get("t") if run else None
    bucket = None
    if run is not None and t is not None:  # without wandbConfig.t wandb-core treats the run as new
        bucket = {
            **state.run_info(run),
            "summaryMetrics": json.dumps(run.summary),
            "historyTail": json.dumps(run.history[-10:]),
            "wandbConfig": json.dumps({"t": t}),
            "eventsTail": "[]",
            "eventsLineCount": 0,
            "logLineCount": 0,
            "tags": run.tags,
        }
    # The project's shape with the run (or null) inside, under the old name "model".
    return {"model": {**state.project_info(entity, project), "bucket": bucket}}


def create_run_files(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    run = state.run(v["entity"], v["project"], v["run"])
    files = [
        {"name": name, "uploadUrl": state.upload_url("run-file", run.entity, run.project, run.name, name)}
        for name in v["files"]
    ]
    return {"createRunFiles": {"runID": gid("Run", run.name), "uploadHeaders": [], "files": files}}


# ---------------------------------------------------------------------- writing artifacts
def create_artifact(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    i = _input(v)
    entity, project = i.get("entityName") or state.entity, i["projectName"]
    name = i.get("artifactCollectionName") or i["artifactCollectionNames"][0]
    sequence = state.collection(entity, project, name, "ArtifactSequence", i["artifactTypeName"])
    aliases = [a["alias"] for a in i.get("aliases") or [] if a.get("alias")]
    latest = state.artifacts.get(sequence.aliases.get("latest", ""))
    if latest is not None and latest.digest == i["digest"]:
        # Same content as the latest version: the real server answers COMMITTED and wandb-core stops here.
        sequence.add(latest.id, aliases)
        artifact = latest
    else:
        artifact = Artifact(
            id=state.next_id("Artifact"),
            entity=entity,
            project=project,
            collection=name,
            type=i["artifactTypeName"],
            digest=i["digest"],
            description=i.get("description"),
            metadata=i.get("metadata"),
            requested_aliases=aliases,
            run=i.get("runName"),
        )
        state.artifacts[artifact.id] = artifact
    if i.get("runName"):
        state.run(entity, project, i["runName"]).logged.append(artifact.id)
    previous = {"id": latest.id} if latest else None
    return {
        "createArtifact": {
            "artifact": {"id": artifact.id, "state": artifact.state, "artifactSequence": {"latestArtifact": previous}}
        }
    }


def _manifest_payload(state: State, manifest_id: str, artifact_id: str, include_upload: bool) -> dict[str, Any]:
    state.manifests[manifest_id] = artifact_id
    file: dict[str, Any] = {"id": gid("File", manifest_id)}
    if include_upload:
        file.update(uploadUrl=state.upload_url("manifest", artifact_id), uploadHeaders=[])
    return {"artifactManifest": {"id": manifest_id, "file": file}}


def create_artifact_manifest(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    manifest_id = gid("ArtifactManifest", v["artifactID"])
    return {"createArtifactManifest": _manifest_payload(state, manifest_id, v["artifactID"], v["includeUpload"])}


def update_artifact_manifest(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    manifest_id = v["artifactManifestID"]
    payload = _manifest_payload(state, manifest_id, state.manifests[manifest_id], v["includeUpload"])
    return {"updateArtifactManifest": payload}


def create_artifact_files(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    edges = []
    for f in _input(v)["artifactFiles"]:
        md5_hex = _b64_to_hex(f["md5"])
        # Bytes already held (any artifact, any version) get no upload URL, like the real server.
        url = None if md5_hex in state.blobs else state.upload_url("artifact-file", f["artifactID"], f["name"])
        edges.append(
            {
                "node": {
                    "storagePath": f"wandb_artifacts/{md5_hex}",
                    "uploadUrl": url,
                    "uploadHeaders": [],
                    "uploadMultipartUrls": None,
                    "artifact": {"id": f["artifactID"]},
                }
            }
        )
    return {"createArtifactFiles": {"files": {"edges": edges}}}


def commit_artifact(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    artifact = state.artifacts[v["artifactID"]]
    if artifact.state != "COMMITTED":
        sequence = state.collection(artifact.entity, artifact.project, artifact.collection)
        artifact.index = sequence.add(artifact.id, artifact.requested_aliases)
        artifact.state = "COMMITTED"
    return {"commitArtifact": {"artifact": {"id": artifact.id, "digest": artifact.digest}}}


def _b64_to_hex(digest: str) -> str:
    return base64.b64decode(digest).hex()


# ---------------------------------------------------------------------- reading artifacts
def artifact_by_id(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    artifact = state.artifacts.get(v["id"])
    return {"artifact": state.artifact_fragment(artifact) if artifact else None}


def artifact_membership_by_name(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    found = state.find(v["entity"], v["project"], v["name"])
    return {"project": {"artifactCollectionMembership": state.membership(*found) if found else None}}


def artifact_type(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    found = state.find(v.get("entity") or state.entity, v.get("project") or "uncategorized", v["name"])
    return {"project": {"artifact": {"artifactType": {"name": found[1].type}} if found else None}}


def project_artifact_collection(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    """``Artifact.collection`` (and so ``Artifact.url``) asks for the collection by type and name."""
    collection = state.collection(v["entity"], v["project"], v["name"])
    found = None
    if collection is not None and collection.type == v["type"]:
        found = {
            **state.collection_info(collection),
            "description": None,
            "createdAt": "2026-01-01T00:00:00",
            "updatedAt": None,
            "type": {"name": collection.type},
            "tags": {"edges": []},
        }
    return {"project": {"artifactType": {"artifactCollection": found}}}


def use_artifact(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    i = _input(v)
    artifact = state.artifacts[i["artifactID"]]
    run = state.run(i.get("entityName"), i.get("projectName"), i["runName"])
    run.used.append(artifact.id)
    artifact.used_by.append(run.name)
    return {
        "useArtifact": {
            "artifact": {
                "id": artifact.id,
                "digest": artifact.digest,
                "description": artifact.description,
                "state": artifact.state,
                "createdAt": artifact.created_at,
                "metadata": artifact.metadata,
            }
        }
    }


def fetch_artifact_manifest(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    artifact = state.artifacts.get(v["id"])
    if artifact is None or artifact.manifest is None:
        return {"artifact": {"currentManifest": None} if artifact else None}
    url = state.blob_url(artifact.manifest, "wandb_manifest.json")
    return {"artifact": {"currentManifest": {"file": {"directUrl": url}}}}


def membership_file_urls(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    found = state.find(v["entity"], v["project"], f"{v['collection']}:{v['alias']}")
    if found is None:
        return {"project": {"artifactCollection": None}}
    collection, artifact = found
    # Reference entries ("ref") have no stored bytes; their digest is not an md5.
    nodes = [
        {"node": {"__typename": "File", "name": name, "directUrl": state.blob_url(_b64_to_hex(e["digest"]), name)}}
        for name, e in sorted(artifact.files.items())
        if not e.get("ref")
    ]
    files = {"pageInfo": {"__typename": "PageInfo", "endCursor": None, "hasNextPage": False}, "edges": nodes}
    return {"project": {"artifactCollection": {"__typename": collection.kind, "artifactMembership": {"files": files}}}}


def default_entity(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    return {"viewer": {"id": gid("User", state.entity), "entity": state.entity}}


# ---------------------------------------------------------------------- links (registry promotion)
def link_artifact(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    i = _input(v)
    artifact = state.artifacts[i["artifactID"]]
    portfolio = state.collection(
        i["entityName"], i["projectName"], i["artifactPortfolioName"], "ArtifactPortfolio", artifact.type
    )
    index = portfolio.add(artifact.id, [a["alias"] for a in i.get("aliases") or []])
    result: dict[str, Any] = {"versionIndex": index}
    # Only when asked: with the feature off the SDK leaves the field out and re-fetches the link instead.
    if "artifactMembership" in q:
        result["artifactMembership"] = state.membership(portfolio, artifact)
    return {"result": result}


# ---------------------------------------------------------------------- editing artifacts (Artifact.save)
def _alias_targets(state: State, v: dict[str, Any]) -> list[tuple[Any, str]]:
    """(collection, alias) pairs of AddAliases / DeleteAliases; the collection must exist."""
    pairs = []
    for a in _input(v)["aliases"]:
        collection = state.collection(a["entityName"], a["projectName"], a["artifactCollectionName"])
        if collection is None:
            raise KeyError(f"no collection {a['entityName']}/{a['projectName']}/{a['artifactCollectionName']}")
        pairs.append((collection, a["alias"]))
    return pairs


def collection_aliases(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    """``ArtifactCollection.aliases`` (what the not-found messages list): one page, every alias."""
    collection = next((c for c in state.collections.values() if c.id == v["id"]), None)
    if collection is None:
        return {"artifactCollection": None}
    edges = [
        {"node": {"__typename": "ArtifactAlias", "id": gid("ArtifactAlias", f"{collection.id}:{a}"), "alias": a}}
        for a in sorted(collection.aliases)
    ]
    page = {"__typename": "PageInfo", "endCursor": None, "hasNextPage": False}
    return {"artifactCollection": {"__typename": collection.kind, "aliases": {"pageInfo": page, "edges": edges}}}


def add_aliases(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    artifact_id = _input(v)["artifactID"]
    for collection, alias in _alias_targets(state, v):
        collection.aliases[alias] = artifact_id  # an alias names one version: adding it moves it
    return {"result": {"success": True}}


def delete_aliases(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    artifact_id = _input(v)["artifactID"]
    for collection, alias in _alias_targets(state, v):
        if collection.aliases.get(alias) == artifact_id:
            del collection.aliases[alias]
    return {"result": {"success": True}}


def update_artifact(state: State, v: dict[str, Any], q: str) -> dict[str, Any]:
    i = _input(v)
    artifact = state.artifacts[i["artifactID"]]
    artifact.description = i.get("description")
    if i.get("metadata") is not None:
        artifact.metadata = i["metadata"]
    return {"result": {"artifact": state.artifact_fragment(artifact)}}


HANDLERS: dict[str, Handler] = {
    "Viewer": viewer,
    "ServerFeaturesQuery": server_features,
    "OrganizationCoreWeaveOrganizationID": coreweave_org,
    "FetchOrgInfoFromEntity": org_info,
    "UpsertBucket": upsert_bucket,
    "RunResumeStatus": run_resume_status,
    "CreateRunFiles": create_run_files,
    "CreateArtifact": create_artifact,
    "CreateArtifactManifest": create_artifact_manifest,
    "UpdateArtifactManifest": update_artifact_manifest,
    "CreateArtifactFiles": create_artifact_files,
    "CommitArtifact": commit_artifact,
    "ArtifactByID": artifact_by_id,
    "ArtifactMembershipByName": artifact_membership_by_name,
    "ArtifactType": artifact_type,
    "UseArtifact": use_artifact,
    "ProjectArtifactCollection": project_artifact_collection,
    "FetchArtifactManifest": fetch_artifact_manifest,
    "ArtifactCollectionAliases": collection_aliases,
    "GetArtifactMembershipFileUrls": membership_file_urls,
    "GetDefaultEntity": default_entity,
    "LinkArtifact": link_artifact,
    "AddAliases": add_aliases,
    "DeleteAliases": delete_aliases,
    "UpdateArtifact": update_artifact,
}
HANDLERS.update(LAUNCH_HANDLERS)  # W&B Launch queues and the runs launched from them
