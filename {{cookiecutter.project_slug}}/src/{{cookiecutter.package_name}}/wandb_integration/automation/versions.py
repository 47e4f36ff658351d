"""Which version an artifact path names right now, offline (the local store) or online (the W&B API).

One small question answered the same way for observations, sensors and checks: "what is
``entity/project/name:alias`` now?" The answer carries W&B's content digest, which is what makes it a
good Dagster data version: a new upload of unchanged content keeps the digest, so nothing downstream is
marked stale and no sensor fires for it.

Paths: ``name``, ``project/name`` or ``entity/project/name``, each with an optional ``:alias`` or ``:vN``
(default ``latest``); missing parts come from the resource. A registry collection is addressed like W&B
does: ``wandb-registry-model/<collection>:production``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ArtifactNotFoundError, WandbConfigurationError
from ..settings import WandbSettings
from ..stores.base import ArtifactId
from ..stores.checks import check_id

if TYPE_CHECKING:
    from ..resource import WandbResource

REGISTRY_PREFIX = "wandb-registry-"


@dataclass(frozen=True)
class ArtifactRef:
    """An artifact path split into its parts, with the resource's entity and project filled in."""

    id: ArtifactId
    alias: str
    # A registry path given without an entity: W&B resolves the organization from the default entity.
    registry_of_default_entity: bool = False

    @property
    def path(self) -> str:
        return f"{self.id}:{self.alias}"

    @property
    def api_path(self) -> str:
        """The path as ``wandb.Api().artifact`` takes it."""
        if self.registry_of_default_entity:
            return f"{self.id.project}/{self.id.name}:{self.alias}"
        return self.path


@dataclass(frozen=True)
class CurrentVersion:
    """What an artifact path resolved to: the version, its W&B content digest and its aliases."""

    ref: ArtifactRef
    version: str  # "vN" within the collection addressed
    digest: str
    aliases: tuple[str, ...]
    url: str | None = None  # online: the version's page in the W&B app

    @property
    def key(self) -> str:
        """Stable text naming this exact version and content: a sensor's run key and cursor entry."""
        return f"{self.ref.id}:{self.version}:{self.digest}"


def parse_artifact_path(path: str, settings: WandbSettings) -> ArtifactRef:
    """``[[entity/]project/]name[:alias]`` with the resource's entity and project as defaults."""
    if not isinstance(path, str) or not path.strip() or path.count(":") > 1:
        raise WandbConfigurationError(
            f"artifact path {path!r} is not '[[entity/]project/]name[:alias]', e.g. 'wine_labels', "
            "'my-team/demo/wine_labels:latest' or 'wandb-registry-model/demo_classifier:production'."
        )
    name_part, _, alias = path.partition(":")
    parts = name_part.split("/")
    if len(parts) > 3 or not all(parts):
        raise WandbConfigurationError(
            f"artifact path {path!r} has {len(parts)} '/'-separated parts; give 'name', 'project/name' or "
            "'entity/project/name'."
        )
    entity, project = settings.entity, settings.project
    if len(parts) == 3:
        entity, project = parts[0], parts[1]
    elif len(parts) == 2:
        project = parts[0]
    artifact = ArtifactId(entity, project, parts[-1])
    check_id(artifact)
    return ArtifactRef(artifact, alias or "latest", len(parts) == 2 and project.startswith(REGISTRY_PREFIX))


def current_version(resource: WandbResource, path: str, *, instance_storage_dir: str | None = None) -> CurrentVersion:
    """The version ``path`` names now; ``ArtifactNotFoundError`` when there is none (yet)."""
    settings = resource.settings(instance_storage_dir=instance_storage_dir)
    ref = parse_artifact_path(path, settings)
    if settings.mode == "offline":
        from ..stores.local import LocalArtifactStore

        version = LocalArtifactStore(settings.store_dir).resolve(ref.id, alias=ref.alias)
        return CurrentVersion(ref, version.version_tag, version.digest, tuple(version.aliases))
    return _online(resource.api(), ref)


def _online(api: Any, ref: ArtifactRef) -> CurrentVersion:
    import wandb

    from ..stores.online import is_not_found

    try:
        artifact = api.artifact(ref.api_path)
    except (wandb.errors.CommError, ValueError) as exc:
        if not is_not_found(exc):
            raise  # W&B could not be asked (network, server): not "not published yet"
        raise ArtifactNotFoundError(
            f"W&B has no artifact version {ref.path} ({exc}); check the name and alias, or log it first."
        ) from exc
    return CurrentVersion(ref, artifact.version, artifact.digest, tuple(artifact.aliases), artifact.url)
