"""Named jobs, so the UI's Launchpad and schedules have something meaningful to run."""

import dagster as dg

from ..wandb_integration.publishing import publish_offline_artifacts
from .constants import DATA_GROUP, EXAMPLES_GROUP, TRAINING_GROUP

training_job = dg.define_asset_job(
    "training_job",
    selection=dg.AssetSelection.groups(DATA_GROUP, TRAINING_GROUP),
    description="Load the wine data, split it, train, evaluate, report and promote the model to the registry.",
)

artifact_patterns_job = dg.define_asset_job(
    "artifact_patterns_job",
    selection=dg.AssetSelection.groups(EXAMPLES_GROUP),
    description="The hand-built artifact, reads by version and alias, and the external artifact reader.",
)


@dg.job(description="Publish what was materialized offline (versions, aliases, metadata) to W&B; needs a key.")
def publish_job():
    publish_offline_artifacts()
