"""What an output value becomes inside an artifact draft: a logged ``wandb.Artifact``, a W&B object, or a
serialized Python object, plus the split of several partitions' values.
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..artifact_configuration import WriteConfig
from ..errors import WandbConfigurationError
from ..stores.base import ArtifactDraft
from ..stores.verification import seal
from . import formats, wandb_objects


def fill_payload(
    draft: ArtifactDraft,
    config: WriteConfig,
    value: Any,
    staging: Path,
    where: str,
    warn: Callable[[str], None],
) -> None:
    if wandb_objects.is_wandb_artifact(value):
        if config.type is not None:
            raise WandbConfigurationError(
                f"{where}: type {config.type!r} is set in the configuration but the output is a wandb.Artifact "
                f"of type {value.type!r}; set the type on the Artifact and remove it from the configuration."
            )
        if config.description is not None and value.description:
            raise WandbConfigurationError(
                f"{where}: description is set both in the configuration and on the returned wandb.Artifact; "
                "keep one of them."
            )
        draft.type = value.type
        draft.description = config.description or value.description
        draft.metadata.update(value.metadata or {})
        artifact = value
    elif wandb_objects.is_wandb_object(value):
        wandb_objects.stage_object(value, staging, draft, where)
        return
    else:
        fmt, reason = formats.choose_format(value, config.serialization_module)
        if reason:
            warn(
                f"{where}: the DataFrame is stored pickled ({fmt.entry}), not as Parquet, because {reason}. "
                "Convert it to types Parquet keeps to store it as Parquet, or set serialization_module to "
                "{'name': 'pickle'} in wandb_artifact_configuration to choose pickle and silence this."
            )
        metadata, draft.digests[fmt.entry] = formats.dump(value, fmt, staging, config.serialization_parameters)
        draft.stamps[fmt.entry] = seal(staging / fmt.entry)
        draft.metadata.update(metadata)
        draft.files[fmt.entry] = staging / fmt.entry
        return
    wandb_objects.stage_artifact(artifact, staging, draft, where)


def split_by_partition(obj: Any, keys: list[str | None], where: str) -> dict[str | None, Any]:
    """One value per partition key; several partitions in one run must come as ``{key: value}``."""
    if len(keys) == 1:
        return {keys[0]: obj}
    if isinstance(obj, Mapping) and set(obj) == set(keys):
        return dict(obj)
    raise WandbConfigurationError(
        f"{where}: this run materializes {len(keys)} partitions ({keys[0]} … {keys[-1]}); return a dict "
        "with one value per partition key so each partition gets its own artifact version."
    )
