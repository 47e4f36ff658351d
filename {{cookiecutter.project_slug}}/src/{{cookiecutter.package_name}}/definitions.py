from pathlib import Path

import dagster as dg

from .wandb_integration import check_definitions


@dg.definitions
def defs() -> dg.Definitions:
    # Every wandb_artifact_configuration is checked here, so a typo fails `dg check defs`, not a run.
    return check_definitions(dg.load_from_defs_folder(path_within_project=Path(__file__).parent))
