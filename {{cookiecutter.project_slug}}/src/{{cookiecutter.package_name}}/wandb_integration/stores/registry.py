"""Model registry promotion: link an artifact version into a registry collection.

Online this is ``wandb.Api().artifact(source).link(target_path, aliases)``. Offline the target is a
registry namespace of the local store (``target_path`` ``wandb-registry-model/<collection>`` becomes the
project ``wandb-registry-model`` of the same entity), readable with the usual read keys, e.g.
``{"name": "wandb-registry-model/wine-classifier", "alias": "production"}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..artifact_configuration import parse_version
from ..connectivity import check_server
from ..errors import WandbConfigurationError
from ..settings import WandbSettings
from .base import ArtifactId
from .checks import parse_target_path


def split_source(source: str, settings: WandbSettings) -> tuple[ArtifactId, int | None, str | None]:
    """``name:v3`` / ``name:alias`` / ``project/name:v3`` / ``entity/project/name:alias`` → id, version, alias."""
    path, _, selector = source.partition(":")
    parts = path.split("/")
    if not selector or not all(parts) or len(parts) > 3:
        raise WandbConfigurationError(
            f"source {source!r} is not '[entity/][project/]name:version-or-alias', e.g. 'trained_model:v3'."
        )
    entity = parts[0] if len(parts) == 3 else settings.entity
    project = parts[-2] if len(parts) >= 2 else settings.project
    artifact_id = ArtifactId(entity, project, parts[-1])
    if selector[0] == "v" and selector[1:].isdigit():
        return artifact_id, parse_version(selector, f"source {source!r}"), None
    return artifact_id, None, selector


def link_artifact(
    settings: WandbSettings, source: str, target_path: str, aliases: Sequence[str] = ()
) -> dict[str, Any]:
    """Link ``source`` into ``target_path``; returns metadata describing the linked version."""
    artifact_id, version, alias = split_source(source, settings)
    target = parse_target_path(target_path, settings.entity)
    if settings.mode == "offline":
        from .local import LocalArtifactStore

        store = LocalArtifactStore(settings.store_dir)
        linked = store.link(store.resolve(artifact_id, version=version, alias=alias), target, list(aliases))
        return {
            "wandb_registry_path": f"{linked.id}:{linked.version_tag}",
            "wandb_registry_aliases": ", ".join(linked.aliases),
            "wandb_mode": settings.mode,
        }
    import wandb

    check_server(settings)
    api = wandb.Api(api_key=settings.api_key, overrides={"base_url": settings.host} if settings.host else None)
    selector = f"v{version}" if version is not None else alias
    artifact = api.artifact(f"{artifact_id}:{selector}")
    linked = artifact.link(target_path, aliases=list(aliases))
    return {
        "wandb_registry_path": getattr(linked, "qualified_name", target_path),
        "wandb_registry_aliases": ", ".join(aliases),
        "wandb_mode": settings.mode,
    }
