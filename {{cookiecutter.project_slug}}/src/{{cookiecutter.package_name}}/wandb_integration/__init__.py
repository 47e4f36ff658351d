"""W&B for Dagster, offline first: a resource, an artifacts IO manager, Launch ops and a local store.

Public names: ``WandbResource`` and ``WandbArtifactsIOManager`` (Pythonic config), ``wandb_resource`` and
``wandb_artifacts_io_manager`` (classic definitions that accept ``.configured({...})``), ``wandb_config``
(the ``entity`` / ``project`` values resource), ``run_launch_agent`` and ``run_launch_job`` (W&B Launch),
``WandbArtifactConfiguration`` and ``SerializationModule`` (the typed metadata dicts),
``check_definitions`` (every configuration checked when the code location loads), the automation
helpers ``observable_artifact``, ``wandb_artifact_sensor`` and ``artifact_integrity_checks``, and the
``WandbArtifactsIOManagerError`` exception family.

Modes: ``auto`` (default) is online when an API key is configured or ``WANDB_API_KEY`` is set, else
offline; ``WANDB_MODE=offline`` in the environment always means offline. Offline, artifacts live in a local
versioned store that behaves like W&B Artifacts; nothing touches the network and wandb is imported only
when a W&B object (``Table``, ``Image``, ``Artifact``) is involved or a whole artifact is read.

Module map (each layer imports only the ones listed before it)::

    errors.py                   the exception family and its warning
    settings.py                 mode resolution and the resolved WandbSettings
    connectivity.py             fail fast online: one bounded check that the W&B server answers
    runs.py                     one W&B run per process and run id, shared by IO manager keys and WandbResource.run()
    artifact_configuration.py   the wandb_artifact_configuration dict: typed shape and parsing
    stores/                     where versions live
      base.py                   the ArtifactStore interface and the values that cross it
      local.py                  the embedded offline store and its guarantees
      catalog.py, records.py    an artifact's versions and aliases from its folders; the JSON records
      staging.py, checks.py     assembling a version before its committing rename; what may be stored
      commit.py                 the per-name write lock and the one committing rename
      checkout.py               the files handed to user code (get_path, download()): never the stored ones
      verification.py           reads checked against the manifest digests
      references.py             file:// references read as wandb reads them
      repair.py                 rebuild lost or stale indexes, report damage; deletes nothing
      local_artifact.py         what readers get offline where they would get a wandb.Artifact
      online.py                 W&B through the public SDK; cache.py: its download cache
      registry.py               model registry promotion
      files.py, digests.py      crash-safe file helpers, storage errors; W&B-compatible digests
      scratch.py                temporary folders held by their process, swept once it is gone
    serialization/              what an output value becomes inside an artifact
      formats.py                the formats by name: Parquet, pickle, dill, cloudpickle, joblib
      parquet.py                DataFrames as Parquet, exactly or not at all; modules.py: calling dump
      payload.py                Artifact, W&B object or serialized object; several partitions' values
      wandb_objects.py          W&B values (Table, Image, Artifact) as outputs
      extra_entries.py          add_files / add_dirs / add_references
    run_metrics.py              what an asset logs through WandbResource.run(), put on its materialization
    resource.py                 WandbResource, classic wandb_resource and wandb_config
    io_manager/                 the artifacts IO manager
      manager.py                WandbArtifactsIOManager and classic wandb_artifacts_io_manager (config only)
      worker.py                 the worker that writes outputs and reads inputs
      naming.py                 artifact names from asset and partition keys
      context.py                readers of Dagster's input and output contexts
      run_outputs.py            what this run's upstream steps recorded (the version a read takes)
      validation.py             check_definitions: every artifact configuration checked at load
    automation/                 Dagster automation driven by W&B artifacts
      versions.py               which version an artifact path names now (local store or W&B API)
      observations.py           observable_artifact: external assets whose data version is the W&B digest
      sensors.py                wandb_artifact_sensor: a run per new version or moved alias
      checks.py                 artifact_integrity_checks: stored versions verified as asset checks
    publishing/                 push offline versions to W&B: publish.py (command, op, job) over replay.py
    __main__.py                 the commands: python -m <package>.wandb_integration publish | repair
    launch/                     W&B Launch ops
    version.py                  __version__, recorded on every artifact written
    resources.py                dagster-wandb's module paths (dagster_wandb.resources, .types, .utils.errors),
    types.py                    re-exporting the names above, so that moving over from dagster-wandb
    utils/                      needs only the one changed import
    testing/                    a loopback stand-in of the W&B API for online tests

On-disk layout under ``base_dir`` (default: the Dagster instance storage directory, else ``$DAGSTER_HOME``)::

    wandb/
      artifacts/   the local store; see stores/local.py for its layout and guarantees
      cache/       downloaded W&B artifact versions (online mode) and their last-use records
      runs/        WANDB_DIR of runs opened by the integration or through WandbResource.run()
"""

from .artifact_configuration import SerializationModule, WandbArtifactConfiguration
from .automation import artifact_integrity_checks, observable_artifact, wandb_artifact_sensor
from .errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactStorageError,
    SerializationError,
    SharedRunWarning,
    UnsafeDeserializationError,
    WandbArtifactsIOManagerError,
    WandbConfigurationError,
    WandbModeError,
)
from .io_manager import WandbArtifactsIOManager, check_definitions, wandb_artifacts_io_manager
from .launch import run_launch_agent, run_launch_job
from .resource import WandbResource, wandb_config_resource, wandb_resource
from .version import __version__

wandb_config = wandb_config_resource()

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "ArtifactStorageError",
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
    "__version__",
    "artifact_integrity_checks",
    "check_definitions",
    "observable_artifact",
    "run_launch_agent",
    "run_launch_job",
    "wandb_artifact_sensor",
    "wandb_artifacts_io_manager",
    "wandb_config",
    "wandb_resource",
]
