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


# No queue, job or image: the entry point is a script of this project and runs as a subprocess of the step
# (offline with WANDB_MODE=offline forced; online with the resource's key). Paths are relative to the
# directory Dagster is started from, the project root.
LOCAL_TRAINING = {
    "entry_point": ["python", "launch/train.py"],
    "parameters": {"regularization": 0.5},
    "name": "local-training",
}


@dg.job(
    resource_defs=LAUNCH_RESOURCES,
    description="Run launch/train.py as a local subprocess (no queue): works offline and online.",
    config={"resources": WANDB_CONFIG, "ops": {"run_launch_job": {"config": LOCAL_TRAINING}}},
)
def local_training_job():
    run_launch_job()
