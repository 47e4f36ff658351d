"""Replaying local (offline) versions into W&B: what ``publish.py``'s command, op and job run.

Per entity/project, ONE W&B run (job type ``publish-offline-artifacts``) logs the local versions oldest
first, so W&B numbers them in the same order (after any versions W&B already has). Each version keeps its
type, description, metadata and files (W&B computes the same digests) and its aliases; the Dagster lineage
travels as metadata (``dagster_lineage``, plus ``used_in_wandb``: the W&B numbers of the versions it was
made from). Offline registry links (``<entity>/wandb-registry-*/…``) are replayed with ``Artifact.link``
once their source is published.

Idempotent: each published local version is recorded next to the artifact's index, in ``published.json``
(local ``vN`` → W&B version and the aliases it was given). A second run uploads nothing; an alias that moved
locally onto an already-published version since then is added to it in W&B, nothing else. A crash between
an upload and its record re-uploads that one version next time, which W&B folds into the existing version
when its digest equals the latest one's. Concurrent publishes wait for each other (a lock in the store).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from filelock import FileLock

from ..connectivity import check_server
from ..errors import WandbModeError
from ..settings import WandbSettings, wandb_settings
from ..stores.base import ArtifactId, ArtifactVersion
from ..stores.files import read_json, write_json
from ..stores.local import LocalArtifactStore
from ..stores.online import LINEAGE_KEY

RECORD = "published.json"
_FORMAT = 1
REGISTRY_PREFIX = "wandb-registry-"


@dataclasses.dataclass
class PublishReport:
    """What one publish did; keys are local versions (``entity/project/name:vN``)."""

    published: dict[str, str] = dataclasses.field(default_factory=dict)  # → W&B version
    linked: dict[str, str] = dataclasses.field(default_factory=dict)  # → W&B registry version
    aliases_added: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    would_publish: list[str] = dataclasses.field(default_factory=list)  # dry run
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # → why

    def merge(self, other: PublishReport) -> PublishReport:
        for field in dataclasses.fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if isinstance(mine, dict):
                mine.update(theirs)
            else:
                mine.extend(theirs)
        return self

    def summary(self) -> str:
        return (
            f"{len(self.published)} version(s) published, {len(self.linked)} registry link(s), "
            f"aliases added to {len(self.aliases_added)}, {len(self.would_publish)} pending (dry run), "
            f"{len(self.skipped)} skipped."
        )


def published(store: LocalArtifactStore, artifact_id: ArtifactId) -> dict[str, dict[str, Any]]:
    """The record of ``artifact_id``: local ``vN`` → ``{"remote": W&B version, "aliases": [...]}``."""
    path = store.name_dir(artifact_id) / RECORD
    return read_json(path, f"publish record of '{artifact_id}'", _FORMAT)["versions"] if path.is_file() else {}


def _remember(store: LocalArtifactStore, version: ArtifactVersion, done: dict[str, Any]) -> None:
    """Record ``version`` as published (callers hold the publish lock, so read-modify-write is safe)."""
    record = published(store, version.id)
    aliases = sorted(set(done["aliases"]))
    for other in record.values():  # an alias names one version of a collection, in W&B as locally
        other["aliases"] = [alias for alias in other["aliases"] if alias not in aliases]
    record[version.version_tag] = {**done, "aliases": aliases}
    path = store.name_dir(version.id) / RECORD
    write_json(path, {"format": _FORMAT, "versions": record}, atomic=True)


def _aliases(version: ArtifactVersion) -> list[str]:
    return [alias for alias in version.aliases if alias != "latest"]  # W&B moves latest itself


def publish(
    settings: WandbSettings,
    store: LocalArtifactStore,
    sdk: Any = None,
    *,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> PublishReport:
    """Publish the local versions of ``settings.entity/settings.project`` (and registry links to them).

    ``sdk`` is the ``wandb`` module (imported when needed) or a stand-in with the same API, for tests.
    """
    store.root.mkdir(parents=True, exist_ok=True)
    with FileLock(store.root / ".publish.lock", thread_local=False):
        return _Publisher(settings, store, sdk, echo).run(dry_run)


def publish_store(
    settings: WandbSettings,
    store: LocalArtifactStore,
    sdk: Any = None,
    *,
    entity: str | None = None,
    project: str | None = None,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> PublishReport:
    """``publish`` every entity/project of the local store (or only ``entity`` / ``project``)."""
    report = PublishReport()
    if not store.root.is_dir():
        return report
    for entity_dir in sorted(p for p in store.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for project_dir in sorted(p for p in entity_dir.iterdir() if p.is_dir()):
            wanted = entity in (None, entity_dir.name) and project in (None, project_dir.name)
            if wanted and not project_dir.name.startswith(REGISTRY_PREFIX):  # linked with their sources
                # Names come from the store's folders, which the local store validated when writing them.
                scoped = dataclasses.replace(settings, entity=entity_dir.name, project=project_dir.name)
                report.merge(publish(scoped, store, sdk, dry_run=dry_run, echo=echo))
    return report


class _Publisher:
    def __init__(self, settings: WandbSettings, store: LocalArtifactStore, sdk: Any, echo: Callable) -> None:
        self.settings, self.store, self.sdk, self.echo = settings, store, sdk, echo
        self.report = PublishReport()
        self._api: Any = None

    def run(self, dry_run: bool) -> PublishReport:
        entity, project = self.settings.entity, self.settings.project
        new, moved = self._pending(self.store.list_artifacts(entity, project), lambda version: True)
        # Offline registry links (of any entity) whose source is in this project.
        registries = sorted(self.store.root.glob(f"*/{REGISTRY_PREFIX}*"))
        linked_ids = [i for folder in registries for i in self.store.list_artifacts(folder.parent.name, folder.name)]
        source = f"{entity}/{project}/"
        links, moved_links = self._pending(linked_ids, lambda v: str(v.lineage.get("linked_from")).startswith(source))
        moved += moved_links
        if dry_run:
            for version in [*new, *links]:
                self.report.would_publish.append(f"{version.id}:{version.version_tag}")
                self.echo(f"would publish {version.id}:{version.version_tag}")
            for version, done in moved:
                self.echo(f"would add aliases {', '.join(_aliases(version))} to {done['remote']}")
            return self.report
        if not (new or moved or links):
            return self.report
        if self.settings.mode != "online":
            raise WandbModeError(
                f"publishing to W&B needs mode online, but it is offline ({self.settings.mode_reason}); "
                "export WANDB_API_KEY and unset WANDB_MODE, or use --dry-run to list what is pending."
            )
        if self.sdk is None:
            import wandb

            check_server(self.settings)
            self.sdk = wandb
        if new:
            self._log_all(new)
        for version, done in moved:
            self._add_aliases(version, done)
        for version in links:
            self._link(version)
        return self.report

    def _log_all(self, versions: list[ArtifactVersion]) -> None:
        self.settings.runs_dir.mkdir(parents=True, exist_ok=True)
        run = self.sdk.init(
            entity=self.settings.entity,
            project=self.settings.project,
            name="publish-offline-artifacts",
            job_type="publish-offline-artifacts",
            dir=str(self.settings.runs_dir),
            mode="online",
            reinit="create_new",
            settings=wandb_settings(self.settings),
        )
        failed = True
        try:
            for version in versions:
                self._log(run, version)
            failed = False
        finally:
            run.finish(exit_code=1 if failed else 0)

    def _log(self, run: Any, version: ArtifactVersion) -> None:
        local = f"{version.id}:{version.version_tag}"
        lineage = dict(version.lineage)
        # The W&B numbers of the versions this one was made from, where they are published already.
        lineage["used_in_wandb"] = [self._remote_of(used) for used in lineage.get("used", [])]
        metadata = {**version.metadata, LINEAGE_KEY: lineage, "published_from": local}
        artifact = self.sdk.Artifact(version.id.name, version.type, description=version.description, metadata=metadata)
        for path, entry in sorted(version.entries.items()):
            if entry.ref is None:  # stored files are read-only and never change: no copy needed
                artifact.add_file(str(self.store.local_path(version, path)), name=path, policy="immutable")
            else:
                artifact.add_reference(entry.ref, name=path, checksum=not entry.unchecked)
        logged = run.log_artifact(artifact, aliases=_aliases(version))
        logged.wait()
        remote = f"{version.id.entity}/{version.id.project}/{version.id.name}:{logged.version}"
        _remember(self.store, version, {"remote": remote, "aliases": _aliases(version)})
        self.report.published[local] = remote
        self.echo(f"published {local} as {remote}")

    def _add_aliases(self, version: ArtifactVersion, done: dict[str, Any]) -> None:
        new = sorted(set(_aliases(version)) - set(done["aliases"]))
        if "linked_from" in version.lineage:  # linking again only adds the aliases to the membership
            self.api().artifact(done["source"]).link(done["target"], aliases=new)
        else:
            artifact = self.api().artifact(done["remote"])
            artifact.aliases = sorted(set(artifact.aliases) | set(new))
            artifact.save()
        _remember(self.store, version, {**done, "aliases": [*done["aliases"], *new]})
        self.report.aliases_added[done["remote"]] = new
        self.echo(f"added aliases {', '.join(new)} to {done['remote']}")

    def _pending(self, artifact_ids: list[ArtifactId], wanted: Callable[[ArtifactVersion], bool]) -> tuple:
        """The wanted versions never published, and the published ones that gained aliases since."""
        new, moved = [], []
        for artifact_id in artifact_ids:
            record = published(self.store, artifact_id)
            readable, damaged = self.store.scan(artifact_id)
            for tag, problem in damaged.items():  # never published as it is; repair or restore it first
                self.report.skipped[f"{artifact_id}:{tag}"] = problem
            for version in filter(wanted, readable):
                done = record.get(version.version_tag)
                if done is None:
                    new.append(version)
                elif set(_aliases(version)) - set(done["aliases"]):
                    moved.append((version, done))
        return new, moved

    def _link(self, version: ArtifactVersion) -> None:
        local = f"{version.id}:{version.version_tag}"
        source = self._remote_of(version.lineage["linked_from"])
        if source is None:
            self.report.skipped[local] = f"its source {version.lineage['linked_from']} is not published"
            self.echo(f"skipped {local}: {self.report.skipped[local]}")
            return
        target = f"{version.id.project}/{version.id.name}"
        if version.id.entity != self.settings.entity:  # else W&B finds the registry's organization itself
            target = f"{version.id.entity}/{target}"
        linked = self.api().artifact(source).link(target, aliases=_aliases(version))
        remote = f"{linked.entity}/{linked.project}/{linked.name}"
        done = {"remote": remote, "source": source, "target": target, "aliases": _aliases(version)}
        _remember(self.store, version, done)
        self.report.linked[local] = remote
        self.echo(f"linked {source} into {remote}")

    def _remote_of(self, local: str) -> str | None:
        path, _, tag = local.rpartition(":")
        parts = path.split("/")
        if len(parts) != 3:
            return None
        done = published(self.store, ArtifactId(*parts)).get(tag)
        return done["remote"] if done else None

    def api(self) -> Any:
        if self._api is None:
            overrides = {"base_url": self.settings.host} if self.settings.host else None
            self._api = self.sdk.Api(overrides=overrides, api_key=self.settings.api_key)
        return self._api
