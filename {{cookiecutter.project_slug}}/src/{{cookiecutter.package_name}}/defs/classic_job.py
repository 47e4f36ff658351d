"""The W&B guide's classic style, unchanged but for the import: ``@op`` outputs and inputs configured with
``Out`` / ``In`` metadata, the ``wandb_config`` values resource and ``.configured`` resources.

Its run config is in ``config/classic_job.yaml`` (the Launchpad accepts it as is); the job carries the same
values as defaults so it also runs without one.
"""

import dagster as dg

from ..wandb_integration import wandb_artifacts_io_manager, wandb_config, wandb_resource
from .constants import WANDB_ENTITY, WANDB_POOL, WANDB_PROJECT


@dg.op(
    pool=WANDB_POOL,
    out=dg.Out(metadata={"wandb_artifact_configuration": {"name": "classic_numbers", "type": "dataset"}}),
)
def create_numbers() -> list[int]:
    """An op output needs an artifact ``name``: there is no asset key to take it from."""
    return [1, 2, 3, 4]


@dg.op(
    pool=WANDB_POOL,
    ins={"numbers": dg.In(metadata={"wandb_artifact_configuration": {"name": "classic_numbers"}})},
    out=dg.Out(metadata={"wandb_artifact_configuration": {"name": "classic_summary", "type": "summary"}}),
)
def summarize(numbers: list[int]) -> dict:
    return {"count": len(numbers), "total": sum(numbers)}


@dg.job(
    description="The W&B guide's classic @op/@job wiring.",
    resource_defs={
        "wandb_config": wandb_config,
        # The guide configures {"api_key": {"env": "WANDB_API_KEY"}}; Dagster then requires the variable.
        # Without that config the key is still read from WANDB_API_KEY when set, and offline otherwise.
        "wandb_resource": wandb_resource,
        "io_manager": wandb_artifacts_io_manager.configured({"cache_duration_in_minutes": 60}),
    },
    config={"resources": {"wandb_config": {"config": {"entity": WANDB_ENTITY, "project": WANDB_PROJECT}}}},
)
def classic_job():
    summarize(create_numbers())
