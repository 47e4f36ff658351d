"""Resources for every asset in ``defs/``: the W&B resource and the W&B artifacts IO manager.

Kept alone in this module: Dagster ignores other definitions in a module that returns ``Definitions``.
The API key is not read here: without one (or with ``WANDB_MODE=offline``) everything runs offline on the
local store under the Dagster instance's storage folder; export ``WANDB_API_KEY`` to go online.
"""

import dagster as dg

from ..wandb_integration import WandbArtifactsIOManager, WandbResource
from .constants import (
    ARTIFACTS_IO_MANAGER_KEY,
    PROJECT_TAG,
    WANDB_ENTITY,
    WANDB_MODE,
    WANDB_PROJECT,
    WANDB_RESOURCE_KEY,
)


@dg.definitions
def resources() -> dg.Definitions:
    wandb_resource = WandbResource(entity=WANDB_ENTITY, project=WANDB_PROJECT, mode=WANDB_MODE)
    return dg.Definitions(
        resources={
            WANDB_RESOURCE_KEY: wandb_resource,
            ARTIFACTS_IO_MANAGER_KEY: WandbArtifactsIOManager(wandb_resource=wandb_resource, run_tags=[PROJECT_TAG]),
        }
    )
