"""The Launch example jobs: they load, and the local training job runs for real, offline."""

from importlib import import_module
from pathlib import Path

import dagster as dg
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
        assert job.run_config_schema.config_type is not None
        validated = dg.validate_run_config(job, run_config)
        assert validated["resources"]["wandb_config"]["config"]["entity"]


def test_local_training_job_runs_the_entry_point_offline(monkeypatch, base_dir):
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv("DAGSTER_HOME", str(base_dir))
    instance = dg.DagsterInstance.ephemeral()
    result = launch_jobs.local_training_job.execute_in_process(instance=instance)
    assert result.success
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(message.startswith("accuracy=") for message in messages)
