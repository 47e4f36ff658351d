"""What the W&B API stand-in remembers, and the response shapes built from it.

Runs, artifact versions, collections (sequences and link portfolios), stored bytes and handed-out upload
URLs. ``graphql_handlers.py`` changes the state; the builders at the end turn it into the JSON the SDK
parses. Those answers carry every field the SDK's strict pydantic models require (ids are strings,
``__typename`` literals); the SDK ignores extra fields, so one full shape serves the query variants of
"all features off" and "all on".

Behaviour copied from the real server because the SDK depends on it:

- a version's index and the ``latest`` alias are assigned at commit; an alias names one version per
  collection, so setting it moves it;
- ``CreateArtifact`` with the digest of the collection's latest version answers ``COMMITTED`` with that
  version (wandb-core then uploads nothing), and a file whose bytes are already stored gets no upload URL;
- links put a version into a portfolio (``ArtifactPortfolio``) that keeps its own indices and aliases;
- the resume query reports a run as existing only when its config holds ``_wandb.t`` (wandb-core checks it).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote


def gid(kind: str, key: object) -> str:
    """An opaque id shaped like W&B's (base64 of ``Kind:key``); the SDK only needs strings."""
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class Run:
    entity: str
    project: str
    name: str
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)  # wandb-history.jsonl lines, as file_stream sent them
    files: dict[str, str] = field(default_factory=dict)  # run file name -> md5 hex of the uploaded bytes
    tags: list[str] = field(default_factory=list)
    display_name: str | None = None
    used: list[str] = field(default_factory=list)  # artifact ids passed to UseArtifact (lineage: inputs)
    logged: list[str] = field(default_factory=list)  # artifact ids created by the run (lineage: outputs)
    exit_code: int | None = None


@dataclass
class Artifact:
    id: str
    entity: str
    project: str
    collection: str  # the sequence the version was born in
    type: str
    digest: str
    description: str | None
    metadata: str | None  # a JSON string, as the SDK sends and expects it
    requested_aliases: list[str]
    run: str | None
    state: str = "PENDING"
    index: int | None = None
    created_at: str = field(default_factory=now)
    manifest: str | None = None  # md5 hex of the uploaded manifest bytes
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # the manifest's "contents"
    used_by: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(int(entry.get("size") or 0) for entry in self.files.values())

    def metadata_dict(self) -> dict[str, Any]:
        return json.loads(self.metadata) if self.metadata else {}


@dataclass
class Collection:
    entity: str
    project: str
    name: str
    kind: str  # "ArtifactSequence" (versions logged to it) or "ArtifactPortfolio" (links, registries)
    type: str
    versions: list[str] = field(default_factory=list)  # artifact ids; the position is the version index
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> artifact id

    @property
    def id(self) -> str:
        return gid(self.kind, f"{self.entity}/{self.project}/{self.name}")

    def resolve(self, selector: str) -> str | None:
        """The artifact id for ``v3`` or an alias."""
        if selector[:1] == "v" and selector[1:].isdigit():
            index = int(selector[1:])
            return self.versions[index] if index < len(self.versions) else None
        return self.aliases.get(selector)

    def aliases_of(self, artifact_id: str) -> list[str]:
        return sorted(alias for alias, target in self.aliases.items() if target == artifact_id)

    def add(self, artifact_id: str, aliases: list[str]) -> int:
        """Add a version (once) and point ``latest`` and ``aliases`` at it; returns its index here."""
        if artifact_id not in self.versions:
            self.versions.append(artifact_id)
        for alias in ["latest", *aliases]:
            self.aliases[alias] = artifact_id
        return self.versions.index(artifact_id)


class State:
    """Everything the stand-in remembers; all access goes through ``lock`` (requests arrive on threads)."""

    def __init__(self, base_url: str, entity: str, org_entity: str, features: list[str]) -> None:
        self.base_url = base_url
        self.entity = entity
        self.org_entity = org_entity
        self.features = list(features)
        self.lock = threading.RLock()
        self.runs: dict[tuple[str, str, str], Run] = {}
        self.artifacts: dict[str, Artifact] = {}
        self.collections: dict[tuple[str, str, str], Collection] = {}
        self.blobs: dict[str, bytes] = {}  # md5 hex -> bytes: every upload, deduplicated by content
        self.uploads: dict[str, tuple[str, ...]] = {}  # upload token -> what the PUT body becomes
        self.manifests: dict[str, str] = {}  # manifest id -> artifact id
        self.launch: Any = None  # launch_handlers.LaunchQueues, made by launch_queues(state) on first use
        self._counter = 0

    def next_id(self, kind: str) -> str:
        self._counter += 1
        return gid(kind, self._counter)

    def upload_url(self, *target: str) -> str:
        self._counter += 1
        token = f"u{self._counter}"
        self.uploads[token] = target
        return f"{self.base_url}/upload/{token}"

    def blob_url(self, md5_hex: str, name: str = "") -> str:
        return f"{self.base_url}/blobs/{md5_hex}/{quote(name)}"

    def run(self, entity: str | None, project: str | None, name: str) -> Run:
        key = (entity or self.entity, project or "uncategorized", name)
        return self.runs.setdefault(key, Run(*key))

    def collection(self, entity: str, project: str, name: str, kind: str = "", type_: str = "") -> Collection | None:
        """The collection, created with ``kind`` and ``type_`` when those are given and it does not exist."""
        key = (entity, project, name)
        if key not in self.collections and kind:
            self.collections[key] = Collection(entity, project, name, kind, type_)
        return self.collections.get(key)

    def find(self, entity: str, project: str, name: str) -> tuple[Collection, Artifact] | None:
        """``name`` is ``collection:selector``; the selector defaults to ``latest``."""
        collection_name, _, selector = name.partition(":")
        collection = self.collection(entity, project, collection_name)
        artifact_id = collection.resolve(selector or "latest") if collection else None
        return (collection, self.artifacts[artifact_id]) if collection and artifact_id else None

    def store_upload(self, token: str, body: bytes, md5_hex: str) -> bool:
        """Keep the bytes of a PUT and attach them to what the upload URL was handed out for."""
        target = self.uploads.get(token)
        if target is None:
            return False
        self.blobs[md5_hex] = body
        if target[0] == "manifest":
            artifact = self.artifacts[target[1]]
            artifact.manifest = md5_hex
            artifact.files = json.loads(body).get("contents", {})
        elif target[0] == "run-file":
            self.runs[(target[1], target[2], target[3])].files[target[4]] = md5_hex
        return True

    def file_stream(self, entity: str, project: str, name: str, body: dict[str, Any]) -> None:
        """Apply one file_stream post: history lines by offset, the last summary line, the exit code."""
        run = self.run(entity, project, name)
        for file_name, chunk in (body.get("files") or {}).items():
            lines = chunk.get("content") or []
            if file_name == "wandb-history.jsonl":
                offset = int(chunk.get("offset") or 0)
                run.history[offset:] = lines
            elif file_name == "wandb-summary.json" and lines:
                run.summary = json.loads(lines[-1])
        if body.get("complete"):
            run.exit_code = body.get("exitcode")

    # ------------------------------------------------------------------ response shapes
    @staticmethod
    def project_info(entity: str, project: str) -> dict[str, Any]:
        return {
            "id": gid("Project", f"{entity}/{project}"),
            "internalId": "1",
            "name": project,
            "entity": {"id": gid("Entity", entity), "name": entity},
        }

    def run_info(self, run: Run) -> dict[str, Any]:
        """The run fields UpsertBucket and RunResumeStatus share."""
        return {
            "id": gid("Run", f"{run.entity}/{run.project}/{run.name}"),
            "name": run.name,
            "displayName": run.display_name,
            "config": json.dumps(run.config),
            "historyLineCount": len(run.history),
        }

    def collection_info(self, collection: Collection) -> dict[str, Any]:
        return {
            "__typename": collection.kind,
            "id": collection.id,
            "name": collection.name,
            "project": self.project_info(collection.entity, collection.project),
        }

    def alias_list(self, collection: Collection, artifact_id: str, *, with_collection: bool) -> list[dict[str, Any]]:
        return [
            {
                "__typename": "ArtifactAlias",
                "id": gid("ArtifactAlias", f"{collection.id}:{alias}"),
                "alias": alias,
                **({"artifactCollection": self.collection_info(collection)} if with_collection else {}),
            }
            for alias in collection.aliases_of(artifact_id)
        ]

    def artifact_fragment(self, artifact: Artifact) -> dict[str, Any]:
        homes = [c for c in self.collections.values() if artifact.id in c.versions]
        birth = self.collections[(artifact.entity, artifact.project, artifact.collection)]
        return {
            "__typename": "Artifact",
            "id": artifact.id,
            "versionIndex": artifact.index,
            "artifactSequence": {**self.collection_info(birth), "__typename": "ArtifactSequence"},
            "artifactType": {"name": artifact.type},
            "description": artifact.description,
            "metadata": artifact.metadata,
            "ttlDurationSeconds": -2,
            "ttlIsInherited": True,
            "tags": [],
            "historyStep": None,
            "state": artifact.state,
            "size": artifact.size,
            "digest": artifact.digest,
            "digestAlgorithm": "MANIFEST_MD5",
            "commitHash": None,
            "fileCount": len(artifact.files),
            "createdAt": artifact.created_at,
            "updatedAt": None,
            "aliases": [a for c in homes for a in self.alias_list(c, artifact.id, with_collection=True)],
        }

    def membership(self, collection: Collection, artifact: Artifact) -> dict[str, Any]:
        index = collection.versions.index(artifact.id)
        return {
            "__typename": "ArtifactCollectionMembership",
            "id": gid("Membership", f"{collection.id}:{index}"),
            "versionIndex": index,
            "createdAt": artifact.created_at,
            "aliases": self.alias_list(collection, artifact.id, with_collection=False),
            "artifactCollection": self.collection_info(collection),
            "artifact": self.artifact_fragment(artifact),
        }
