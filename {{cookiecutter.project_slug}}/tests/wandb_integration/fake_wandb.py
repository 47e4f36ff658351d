"""A recording stand-in for the wandb SDK, for tests of the online store and of publishing.

Pass ``FakeWandb`` where the code takes ``sdk`` (default: the ``wandb`` module). Every method binds its
arguments to ``inspect.signature`` of the real wandb function or method first, so a keyword wandb does not
have fails the test; it offers only public wandb names, so code reaching for a private attribute fails too.
Calls are recorded in ``sdk.calls`` as ``(name, {parameter: value})``. A tiny in-memory "server" keeps
collections, versions (files copied under ``root``) and aliases, with W&B's rules: a version whose digest
equals the latest one's is reused, an alias names one version of a collection, ``latest`` is the newest.
Nothing touches the network and no wandb run is started.
"""

from __future__ import annotations

import inspect
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import wandb
from wandb.sdk.artifacts.artifact_manifest_entry import ArtifactManifestEntry

from tests._package import digests


def bind(real: Any, /, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The call's arguments by parameter name, defaults applied; ``TypeError`` for a wrong keyword."""
    bound = inspect.signature(real).bind(*args, **kwargs)
    bound.apply_defaults()
    return {name: value for name, value in bound.arguments.items() if name != "self"}


@dataclass
class Stored:
    """One version on the fake server."""

    index: int
    digest: str
    type: str
    description: str | None
    metadata: dict[str, Any]
    files: dict[str, Path]
    refs: dict[str, str]
    source: Stored | None = None  # set for a registry link


@dataclass
class Collection:
    entity: str
    project: str
    name: str
    versions: list[Stored] = field(default_factory=list)
    aliases: dict[str, int] = field(default_factory=dict)

    def aliases_of(self, index: int) -> list[str]:
        return sorted(alias for alias, number in self.aliases.items() if number == index)

    def add_aliases(self, index: int, aliases: Any) -> None:
        self.aliases.update(dict.fromkeys([*aliases, "latest"] if index == len(self.versions) - 1 else aliases, index))


class FakeWandb:
    """The ``wandb`` module as the integration uses it: ``init``, ``Artifact``, ``Api``, ``errors``."""

    errors = wandb.errors

    def __init__(self, root: Path, entity: str = "acme") -> None:
        self.root, self.entity = root, entity
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.collections: dict[tuple[str, str, str], Collection] = {}

    def record(self, call: str, real: Any, /, *args: Any, **kwargs: Any) -> dict[str, Any]:
        arguments = bind(real, *args, **kwargs)
        self.calls.append((call, arguments))
        return arguments

    def named(self, name: str) -> list[dict[str, Any]]:
        return [arguments for call, arguments in self.calls if call == name]

    # -- the SDK surface
    def init(self, *args: Any, **kwargs: Any) -> FakeRun:
        arguments = self.record("init", wandb.init, *args, **kwargs)
        return FakeRun(self, arguments)

    def Artifact(self, *args: Any, **kwargs: Any) -> FakeArtifact:  # named like wandb's class
        return FakeArtifact(self, bind(wandb.Artifact.__init__, None, *args, **kwargs))

    def Api(self, *args: Any, **kwargs: Any) -> FakeApi:  # named like wandb's class
        self.record("Api", wandb.Api.__init__, None, *args, **kwargs)
        return FakeApi(self)

    # -- the server
    def find(self, qualified: str) -> FakeArtifact:
        """``entity/project/name:vN-or-alias``, failing with wandb 0.31's own not-found messages."""
        path, _, selector = qualified.rpartition(":")
        entity, project, name = path.split("/")
        if not any(key[:2] == (entity, project) for key in self.collections):
            raise ValueError(f"project {project!r} not found under entity {entity!r}")
        collection = self.collections.get((entity, project, name))
        numbered = selector.startswith("v") and selector[1:].isdigit()
        index = collection and (int(selector[1:]) if numbered else collection.aliases.get(selector))
        if collection is None or index is None or index >= len(collection.versions):
            raise ValueError(f"artifact membership {name}:{selector!r} not found in '{entity}/{project}'")
        return FakeArtifact(self, None, collection, index)

    def store(self, collection: Collection, stored: Stored, aliases: Any) -> int:
        latest = collection.versions[-1] if collection.versions else None
        if latest is not None and latest.digest == stored.digest:
            index = latest.index  # same content as latest: W&B reuses the version
        else:
            index = stored.index = len(collection.versions)
            collection.versions.append(stored)
        collection.add_aliases(index, aliases)
        return index

    def collection(self, entity: str, project: str, name: str) -> Collection:
        return self.collections.setdefault((entity, project, name), Collection(entity, project, name))


class FakeRun:
    def __init__(self, sdk: FakeWandb, init: dict[str, Any]) -> None:
        self.sdk, self.init = sdk, init
        self.entity, self.project = init["entity"] or sdk.entity, init["project"]
        self.id = init["id"] or "generated-id"
        self.url = f"https://wandb.test/{self.entity}/{self.project}/runs/{self.id}"
        self.tags = tuple(init["tags"] or ())
        self.config = FakeConfig(sdk)

    def log(self, *args: Any, **kwargs: Any) -> None:
        self.sdk.record("log", wandb.Run.log, self, *args, **kwargs)

    def log_artifact(self, *args: Any, **kwargs: Any) -> FakeArtifact:
        arguments = self.sdk.record("log_artifact", wandb.Run.log_artifact, self, *args, **kwargs)
        artifact: FakeArtifact = arguments["artifact_or_path"]
        artifact.commit(self.entity, self.project, arguments["aliases"] or [])
        return artifact

    def use_artifact(self, *args: Any, **kwargs: Any) -> FakeArtifact:
        arguments = self.sdk.record("use_artifact", wandb.Run.use_artifact, self, *args, **kwargs)
        return self.sdk.find(arguments["artifact_or_name"])

    def finish(self, *args: Any, **kwargs: Any) -> None:
        self.sdk.record("finish", wandb.Run.finish, self, *args, **kwargs)


class FakeConfig:
    def __init__(self, sdk: FakeWandb) -> None:
        self.sdk = sdk

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.sdk.record("config.update", wandb.sdk.wandb_config.Config.update, self, *args, **kwargs)


class FakeApi:
    def __init__(self, sdk: FakeWandb) -> None:
        self.sdk = sdk

    def artifact(self, *args: Any, **kwargs: Any) -> FakeArtifact:
        arguments = self.sdk.record("Api.artifact", wandb.Api.artifact, self, *args, **kwargs)
        return self.sdk.find(arguments["name"])


class FakeArtifact:
    """A draft (from ``sdk.Artifact``) until logged; then a view of one stored version."""

    def __init__(self, sdk: FakeWandb, init: dict | None, collection: Collection | None = None, index: int = 0):
        self.sdk, self._collection, self._index = sdk, collection, index
        self._draft = init
        self._files: dict[str, Path] = {}
        self._refs: dict[str, str] = {}
        self._new_aliases: list[str] | None = None

    # -- writing
    def add_file(self, *args: Any, **kwargs: Any) -> None:
        arguments = self.sdk.record("add_file", wandb.Artifact.add_file, self, *args, **kwargs)
        self._files[arguments["name"] or Path(arguments["local_path"]).name] = Path(arguments["local_path"])

    def add_reference(self, *args: Any, **kwargs: Any) -> None:
        arguments = self.sdk.record("add_reference", wandb.Artifact.add_reference, self, *args, **kwargs)
        self._refs[str(arguments["name"])] = arguments["uri"]

    def commit(self, entity: str, project: str, aliases: list[str]) -> None:
        assert self._draft is not None, "log_artifact of an artifact that is already logged"
        collection = self.sdk.collection(entity, project, self._draft["name"])
        folder = self.sdk.root / entity / project / self._draft["name"] / str(len(collection.versions))
        files = {}
        for path, source in self._files.items():  # copied now: the caller's staging folder goes away
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            files[path] = Path(shutil.copyfile(source, folder / path))
        entries = [(p, digests.file_digest(f)) for p, f in files.items()] + [(p, u) for p, u in self._refs.items()]
        stored = Stored(
            index=-1,
            digest=digests.artifact_digest(entries),
            type=self._draft["type"],
            description=self._draft["description"],
            metadata=dict(self._draft["metadata"] or {}),
            files=files,
            refs=dict(self._refs),
        )
        self._collection, self._index = collection, self.sdk.store(collection, stored, aliases)
        self._draft = None

    def wait(self, *args: Any, **kwargs: Any) -> FakeArtifact:
        self.sdk.record("wait", wandb.Artifact.wait, self, *args, **kwargs)
        return self

    def link(self, *args: Any, **kwargs: Any) -> FakeArtifact:
        arguments = self.sdk.record("link", wandb.Artifact.link, self, *args, **kwargs)
        parts = arguments["target_path"].split("/")
        entity = parts[0] if len(parts) == 3 else f"{self.entity}-org"
        target = self.sdk.collection(entity, parts[-2], parts[-1])
        stored = self._stored
        known = [v.index for v in target.versions if v.source is stored]
        index = known[0] if known else len(target.versions)
        if not known:
            target.versions.append(Stored(index, stored.digest, stored.type, stored.description,
                                          stored.metadata, stored.files, stored.refs, source=stored))  # fmt: skip
        target.add_aliases(index, arguments["aliases"] or [])
        return FakeArtifact(self.sdk, None, target, index)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.sdk.record("save", wandb.Artifact.save, self, *args, **kwargs)
        if self._new_aliases is not None:
            for alias in set(self._collection.aliases_of(self._index)) - set(self._new_aliases):
                del self._collection.aliases[alias]
            self._collection.add_aliases(self._index, self._new_aliases)

    # -- reading
    def download(self, *args: Any, **kwargs: Any) -> str:
        arguments = self.sdk.record("download", wandb.Artifact.download, self, *args, **kwargs)
        for path in self._stored.files:
            self.get_entry(path).download(root=arguments["root"])
        return str(arguments["root"])

    def get_entry(self, *args: Any, **kwargs: Any) -> Any:
        name = str(bind(wandb.Artifact.get_entry, self, *args, **kwargs)["name"])
        source = self._stored.files[name]

        def download(*args: Any, **kwargs: Any) -> str:
            arguments = self.sdk.record("entry.download", ArtifactManifestEntry.download, None, *args, **kwargs)
            target = Path(arguments["root"]) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            return str(shutil.copyfile(source, target))

        return SimpleNamespace(path=name, download=download)

    # -- attributes
    @property
    def _stored(self) -> Stored:
        assert self._collection is not None, "the artifact is not logged"
        return self._collection.versions[self._index]

    name = property(lambda self: self._draft["name"] if self._draft else f"{self._collection.name}:{self.version}")
    version = property(lambda self: f"v{self._index}")
    entity = property(lambda self: self._collection.entity)
    project = property(lambda self: self._collection.project)
    type = property(lambda self: self._stored.type)
    digest = property(lambda self: self._stored.digest)
    description = property(lambda self: self._stored.description)
    metadata = property(lambda self: self._stored.metadata)
    created_at = property(lambda self: "2026-01-01T00:00:00Z")
    id = property(lambda self: f"id-{self.entity}-{self.project}-{self.name}")
    url = property(lambda self: f"https://wandb.test/{self.entity}/{self.project}/artifacts/{self.name}")
    collection = property(lambda self: SimpleNamespace(aliases=sorted(self._collection.aliases)))

    @property
    def aliases(self) -> list[str]:
        return self._collection.aliases_of(self._index)

    @aliases.setter
    def aliases(self, aliases: list[str]) -> None:
        self._new_aliases = list(aliases)

    @property
    def manifest(self) -> Any:
        stored = self._stored
        entries = {p: SimpleNamespace(digest=digests.file_digest(f), size=f.stat().st_size, ref=None)
                   for p, f in stored.files.items()}  # fmt: skip
        entries.update({p: SimpleNamespace(digest=u, size=0, ref=u) for p, u in stored.refs.items()})
        return SimpleNamespace(entries=entries)
