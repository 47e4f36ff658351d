"""W&B for Dagster, offline first: a resource, an artifacts IO manager, Launch ops and a local store.

Public names: ``WandbResource`` and ``WandbArtifactsIOManager`` (Pythonic config), ``wandb_resource`` and
``wandb_artifacts_io_manager`` (classic definitions that accept ``.configured({...})``), ``wandb_config``
(the ``entity`` / ``project`` values resource), ``run_launch_agent`` and ``run_launch_job`` (W&B Launch),
``WandbArtifactConfiguration`` and ``SerializationModule`` (the typed metadata dicts) and the
``WandbArtifactsIOManagerError`` exception family.

Modes: ``auto`` (default) is online when an API key is configured or ``WANDB_API_KEY`` is set, else
offline; ``WANDB_MODE=offline`` in the environment always means offline. Offline, artifacts live in a local
versioned store that behaves like W&B Artifacts; nothing touches the network and wandb is imported only
when a W&B object (``Table``, ``Image``, ``Artifact``) is involved.

Module map::

    resource.py         WandbResource, classic wandb_resource and wandb_config
    io_manager.py       WandbArtifactsIOManager and classic wandb_artifacts_io_manager (config only)
    artifact_io.py      the worker that writes outputs and reads inputs
    payload.py          what an output value becomes (Artifact, W&B object, serialized object)
    config.py           the wandb_artifact_configuration dict: typed shape and parsing
    serialization.py    formats: Parquet, pickle, dill, cloudpickle, joblib
    wandb_objects.py    W&B values as outputs
    extra_entries.py    add_files / add_dirs / add_references
    naming.py           artifact names from asset and partition keys
    dagster_context.py  readers of Dagster's input and output contexts
    store/              the store interface (base.py), local.py (offline) and online.py (W&B)
    local_artifact.py   the offline stand-in for wandb.Artifact on reads
    cache.py            download cache (online)
    runs.py             one W&B run per process and run id, shared by IO manager keys and WandbResource.run()
    registry.py         model registry promotion
    publish.py          push offline versions to W&B: the command, the op and the job
    replay.py           how publishing replays versions, aliases, links and lineage
    launch/             W&B Launch ops
    testing/            a loopback stand-in of the W&B API for online tests

On-disk layout under ``base_dir`` (default: the Dagster instance storage directory, else ``$DAGSTER_HOME``)::

    wandb/
      artifacts/   the local store; see store/local.py for its layout and guarantees
      cache/       downloaded W&B artifact versions (online mode) and their last-use records
      runs/        WANDB_DIR of runs opened by the integration or through WandbResource.run()
"""

from .config import SerializationModule, WandbArtifactConfiguration
from .errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    SerializationError,
    SharedRunWarning,
    UnsafeDeserializationError,
    WandbArtifactsIOManagerError,
    WandbConfigurationError,
    WandbModeError,
)
from .io_manager import WandbArtifactsIOManager, wandb_artifacts_io_manager
from .launch import run_launch_agent, run_launch_job
from .resource import WandbResource, wandb_config_resource, wandb_resource

wandb_config = wandb_config_resource()

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "SerializationError",
    "SerializationModule",
    "SharedRunWarning",
    "UnsafeDeserializationError",
    "WandbArtifactConfiguration",
    "WandbArtifactsIOManager",
    "WandbArtifactsIOManagerError",
    "WandbConfigurationError",
    "WandbModeError",
    "WandbResource",
    "run_launch_agent",
    "run_launch_job",
    "wandb_artifacts_io_manager",
    "wandb_config",
    "wandb_resource",
]
