"""Integrity as an asset check: the stored artifact version of an asset is still what Dagster recorded.

``artifact_integrity_checks`` builds one check per asset. It reads the asset's latest materialization
(the artifact's entity, project, name, version and digest that the IO manager recorded) and compares:

- offline: the local store's version, with every stored file hashed again against its manifest (an
  edited, truncated or replaced file fails), and the version's digest against the recorded one;
- online: the digest W&B holds for that version against the recorded one.

The result is shown in the UI's Checks tab of the asset, with what was compared.
"""

from collections.abc import Iterable
from typing import Any

import dagster as dg

from ..errors import ArtifactIntegrityError, ArtifactNotFoundError, ArtifactStorageError
from ..stores.base import ArtifactId
from .observations import DEFAULT_RESOURCE_KEY
from .versions import current_version

CHECK_NAME = "wandb_artifact_integrity"
# What the IO manager records on every materialization, and what the check compares.
RECORDED = ("wandb_entity", "wandb_project", "wandb_artifact_name", "wandb_artifact_version", "wandb_artifact_digest")


def artifact_integrity_checks(
    assets: Iterable[dg.AssetsDefinition | dg.AssetSpec | dg.AssetKey | str],
    *,
    resource_key: str = DEFAULT_RESOURCE_KEY,
    blocking: bool = False,
) -> list[dg.AssetChecksDefinition]:
    """One ``wandb_artifact_integrity`` check for each asset key in ``assets``."""
    keys: list[dg.AssetKey] = []
    for item in assets:
        if isinstance(item, dg.AssetsDefinition):
            keys.extend(item.keys)
        elif isinstance(item, dg.AssetSpec):
            keys.append(item.key)
        else:
            keys.append(dg.AssetKey.from_coercible(item))
    return [_integrity_check(key, resource_key, blocking) for key in keys]


def _integrity_check(key: dg.AssetKey, resource_key: str, blocking: bool) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=blocking,
        required_resource_keys={resource_key},
        description="The latest stored W&B artifact version still holds the bytes and digest Dagster recorded.",
    )
    def check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        event = context.instance.get_latest_materialization_event(key)
        if event is None or event.asset_materialization is None:
            return dg.AssetCheckResult(passed=False, description=f"{key.to_user_string()} was never materialized.")
        recorded = {name: value.value for name, value in event.asset_materialization.metadata.items()}
        missing = [name for name in RECORDED if name not in recorded]
        if missing:
            return dg.AssetCheckResult(
                passed=False,
                description=f"the latest materialization has no W&B artifact record ({', '.join(missing)} missing); "
                "is the asset stored by the W&B artifacts IO manager?",
            )
        resource = getattr(context.resources, resource_key)
        return verify_recorded(resource, recorded, context.instance.storage_directory())

    return check


def verify_recorded(resource: Any, recorded: dict[str, Any], instance_storage_dir: str) -> dg.AssetCheckResult:
    artifact = ArtifactId(
        str(recorded["wandb_entity"]), str(recorded["wandb_project"]), recorded["wandb_artifact_name"]
    )
    version, expected = recorded["wandb_artifact_version"], recorded["wandb_artifact_digest"]
    shown = {"wandb_artifact": f"{artifact}:{version}", "recorded_digest": expected}
    settings = resource.settings(instance_storage_dir=instance_storage_dir)
    try:
        if settings.mode == "offline":
            from ..stores.local import LocalArtifactStore

            store = LocalArtifactStore(settings.store_dir)
            stored = store.resolve(artifact, version=version)
            store.verify(stored)  # every file hashed again, the manifest read again
            found, files = stored.digest, len(stored.entries)
        else:
            found = current_version(resource, f"{artifact}:{version}", instance_storage_dir=instance_storage_dir).digest
            files = None
    except (ArtifactIntegrityError, ArtifactNotFoundError, ArtifactStorageError) as exc:
        return dg.AssetCheckResult(passed=False, description=str(exc), metadata=shown)
    shown["stored_digest"] = found
    if files is not None:
        shown["files_verified"] = files
    if found != expected:
        return dg.AssetCheckResult(
            passed=False,
            description=f"{artifact}:{version} now has digest {found}, not the {expected} Dagster recorded.",
            metadata=shown,
        )
    return dg.AssetCheckResult(passed=True, description=f"{artifact}:{version} is intact.", metadata=shown)
