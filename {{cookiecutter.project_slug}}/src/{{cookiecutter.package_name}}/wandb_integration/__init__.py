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

Module map: ``resource.py`` (the resource), ``io_manager.py`` (IO manager config, both styles),
``artifact_io.py`` (the worker that reads and writes), ``config.py`` (the metadata dict), ``serialization.py``
(formats), ``wandb_objects.py`` (W&B values as outputs), ``extra_entries.py`` (add_files / add_dirs /
add_references), ``naming.py`` (artifact names), ``store/`` (the store interface, ``local.py``, ``online.py``),
``local_artifact.py`` (the offline ``Artifact`` view), ``cache.py`` (download cache), ``registry.py``
(model registry), ``publish.py`` (push offline versions to W&B), ``launch/`` (Launch ops).

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
    UnsafeDeserializationError,
    WandbArtifactsIOManagerError,
    WandbConfigurationError,
    WandbModeError,
)
from .io_manager import WandbArtifactsIOManager, wandb_artifacts_io_manager
from .resource import WandbResource, wandb_config_resource, wandb_resource

wandb_config = wandb_config_resource()

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "SerializationError",
    "SerializationModule",
    "UnsafeDeserializationError",
    "WandbArtifactConfiguration",
    "WandbArtifactsIOManager",
    "WandbArtifactsIOManagerError",
    "WandbConfigurationError",
    "WandbModeError",
    "WandbResource",
    "wandb_artifacts_io_manager",
    "wandb_config",
    "wandb_resource",
]
