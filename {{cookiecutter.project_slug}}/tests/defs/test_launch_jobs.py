"""The Launch example jobs: they load, their run configs validate, and launch/train.py runs for real, offline."""

from importlib import import_module
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tests._package import PACKAGE_NAME, package

launch_jobs = import_module(f"{PACKAGE_NAME}.defs.launch_jobs")
PROJECT_ROOT = Path(package.__file__).resolve().parents[2]


def test_example_run_configs_are_valid_for_their_jobs():
    for job, config_file in (
        (launch_jobs.launch_agent_job, "agent.yaml"),
        (launch_jobs.queued_training_job, "queued_job.yaml"),
    ):
        run_config = yaml.safe_load((PROJECT_ROOT / "launch" / config_file).read_text())
        validated = dg.validate_run_config(job, run_config)
        assert validated["resources"]["wandb_config"]["config"]["entity"]


@pytest.mark.parametrize(
    ("min_accuracy", "succeeds"),
    # Each case runs train.py in a process of its own (~5 s, most of it importing scikit-learn).
    [(0.8, True), pytest.param(1.01, False, marks=pytest.mark.slow)],
)
def test_local_training_job_runs_train_py_offline_and_its_exit_code_decides(monkeypatch, min_accuracy, succeeds):
    monkeypatch.chdir(PROJECT_ROOT)
    parameters = {**launch_jobs.LOCAL_TRAINING["parameters"], "min-accuracy": min_accuracy}
    run_config = {
        "resources": launch_jobs.WANDB_CONFIG,
        "ops": {"run_launch_job": {"config": {**launch_jobs.LOCAL_TRAINING, "parameters": parameters}}},
    }
    instance = dg.DagsterInstance.ephemeral()
    result = launch_jobs.local_training_job.execute_in_process(
        run_config=run_config, instance=instance, raise_on_error=False
    )
    assert result.success is succeeds
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(message.startswith("accuracy=") for message in messages), "train.py's output reaches Dagster"
    runs_dir = Path(instance.storage_directory()) / "wandb" / "runs"  # base_dir defaults to the instance's
    offline_runs = list(runs_dir.glob("wandb/offline-run-*"))
    assert len(offline_runs) == 1, "train.py logged an offline W&B run into the integration's runs folder"
    if not succeeds:
        failure = next(e for e in result.all_events if e.is_step_failure).event_specific_data.error
        assert "exited with code 1" in str(failure)
