"""Named jobs, so the UI's Launchpad and schedules have something meaningful to run."""

import dagster as dg

from ..wandb_integration.publishing import publish_offline_artifacts
from .checks import integrity_checks
from .constants import DATA_GROUP, EXAMPLES_GROUP, TRAINING_GROUP

# The integrity checks re-read stored files, so they run in a job of their own, not in every training run.
INTEGRITY_CHECKS = dg.AssetSelection.checks(*integrity_checks)

training_job = dg.define_asset_job(
    "training_job",
    selection=dg.AssetSelection.groups(DATA_GROUP, TRAINING_GROUP) - INTEGRITY_CHECKS,
    description="Observe wine_labels, load the wine data, split it, train, evaluate (the blocking threshold "
    "check), report and promote the model to the registry.",
)

artifact_integrity_job = dg.define_asset_job(
    "artifact_integrity_job",
    selection=INTEGRITY_CHECKS,
    description="Verify every stored W&B artifact version of the data and training families against its digest.",
)

artifact_patterns_job = dg.define_asset_job(
    "artifact_patterns_job",
    selection=dg.AssetSelection.groups(EXAMPLES_GROUP),
    description="The hand-built artifact, reads by version and alias, and the external artifact reader.",
)


@dg.job(description="Publish what was materialized offline (versions, aliases, metadata) to W&B; needs a key.")
def publish_job():
    publish_offline_artifacts()
