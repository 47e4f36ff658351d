"""Artifacts made outside Dagster as observable external assets whose data version is W&B's digest.

An observation asks which version the artifact path names now (``versions.current_version``) and
reports its content digest as the asset's ``DataVersion``. Dagster compares data versions by value, so
downstream assets turn stale when new content appears, and stay fresh when the same content is uploaded
again. The observation's metadata names the version, its aliases and (online) its page.
"""

import warnings
from typing import Any

import dagster as dg

from .versions import CurrentVersion, current_version

DEFAULT_RESOURCE_KEY = "wandb_resource"


def observation_metadata(current: CurrentVersion) -> dict[str, Any]:
    """What an observation (or a sensor's recorded observation) shows about the version it saw."""
    metadata: dict[str, Any] = {
        "wandb_artifact_path": current.ref.path,
        "wandb_artifact_version": current.version,
        "wandb_artifact_digest": current.digest,
        "wandb_artifact_aliases": ", ".join(current.aliases),
    }
    if current.url:
        metadata["wandb_artifact_url"] = dg.MetadataValue.url(current.url)
    return metadata


def observable_artifact(
    spec: dg.AssetSpec, artifact: str | None = None, *, resource_key: str = DEFAULT_RESOURCE_KEY
) -> dg.AssetsDefinition:
    """An external asset for ``spec`` observed from the W&B artifact ``artifact`` (default: the asset's
    name, on the resource's entity and project, alias ``latest``).

    Give ``spec`` the IO manager key of the artifacts IO manager (``spec.with_io_manager_key(...)``) so
    that downstream assets read the artifact as an input. Observe it from the UI ("Observe sources"), from
    a job that selects it, on an ``automation_condition`` of ``spec``, or by ``wandb_artifact_sensor``.
    """
    path = artifact or spec.key.path[-1]

    def observe(context: dg.AssetExecutionContext) -> dg.ObserveResult:
        resource = getattr(context.resources, resource_key)
        current = current_version(resource, path, instance_storage_dir=context.instance.storage_directory())
        context.log.info(f"{current.ref.path} is {current.version} (digest {current.digest})")
        return dg.ObserveResult(
            asset_key=spec.key, data_version=dg.DataVersion(current.digest), metadata=observation_metadata(current)
        )

    observe.__doc__ = f"Observe the W&B artifact {path}: its digest is the data version of {spec.key.to_user_string()}."
    with warnings.catch_warnings():
        # Beta in Dagster 1.13, and the form Dagster documents for observable external assets.
        warnings.simplefilter("ignore", dg.BetaWarning)
        return dg.multi_observable_source_asset(
            specs=[spec], name=f"observe_{spec.key.to_python_identifier()}", required_resource_keys={resource_key}
        )(observe)
