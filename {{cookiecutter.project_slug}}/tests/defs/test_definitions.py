"""The code location loads, validates and resolves every job, as `dagster dev` would."""

import subprocess
import sys

import dagster as dg

from tests._package import PACKAGE_NAME, definitions


def test_definitions_load_and_validate():
    defs = definitions.defs()
    dg.Definitions.validate_loadable(defs)
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    for name in (
        "raw_dataset",
        "training_dataset",
        "validation_dataset",
        "trained_model",
        "model_evaluation",
        "evaluation_report",
        "registered_model",
        "dataset_bundle",
        "wine_labels",
        "label_names",
    ):
        assert name in keys, name


def test_every_job_resolves():
    defs = definitions.defs()
    names = [job.name for job in defs.jobs]
    assert {"training_job", "artifact_patterns_job", "classic_job"} <= set(names)
    for name in names:
        assert defs.resolve_job_def(name).name == name


def test_schedule_targets_the_training_job_and_starts_stopped():
    schedule = definitions.defs().resolve_schedule_def("weekly_retraining")
    assert schedule.job_name == "training_job"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_loading_the_code_location_does_not_import_wandb():
    """A code server imports the definitions on every reload; wandb would add ~0.75 s each time."""
    code = (
        f"import sys, {PACKAGE_NAME}.definitions as d; d.defs(); "
        "print(sorted(m for m in ('wandb', 'sklearn', 'matplotlib', 'pandas') if m in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip().splitlines()[-1] == "[]"
