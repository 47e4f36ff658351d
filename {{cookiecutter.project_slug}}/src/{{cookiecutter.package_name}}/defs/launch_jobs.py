"""W&B Launch examples: an agent job, a queued training job, and a local entry point that runs offline.

Run configs as the W&B guide shows them are in ``launch/*.yaml``. Without ``WANDB_API_KEY`` only
``local_training_job`` can run: it executes ``launch/train.py`` as an offline subprocess.
"""

import dagster as dg

from ..wandb_integration import run_launch_agent, run_launch_job, wandb_config, wandb_resource
from .constants import WANDB_ENTITY, WANDB_PROJECT

LAUNCH_RESOURCES = {"wandb_config": wandb_config, "wandb_resource": wandb_resource}
WANDB_CONFIG = {"wandb_config": {"config": {"entity": WANDB_ENTITY, "project": WANDB_PROJECT}}}


@dg.job(resource_defs=LAUNCH_RESOURCES, description="A W&B Launch agent polling the queues (needs W&B).")
def launch_agent_job():
    run_launch_agent()


@dg.job(resource_defs=LAUNCH_RESOURCES, description="Enqueue the training job on a Launch queue and wait (needs W&B).")
def queued_training_job():
    run_launch_job()


@dg.job(
    resource_defs=LAUNCH_RESOURCES,
    description="Run launch/train.py the way a local Launch would; offline it is a local subprocess.",
    config={
        "resources": WANDB_CONFIG,
        "ops": {
            "run_launch_job": {
                "config": {
                    "entry_point": ["python", "launch/train.py"],
                    "parameters": {"regularization": 0.5},
                    "name": "local-training",
                }
            }
        },
    },
)
def local_training_job():
    run_launch_job()
