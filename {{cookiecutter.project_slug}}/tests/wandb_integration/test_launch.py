"""The Launch ops against a fake whose every method binds its arguments to the real wandb 0.31 signature."""

import inspect
import logging
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration

ops = import_module(f"{PACKAGE_NAME}.wandb_integration.launch.ops")
SECRET = "s3cr3t-value-that-must-never-be-logged"
PROJECT_ROOT = Path(integration.__file__).resolve().parents[3]


class FakeLaunch:
    """Records calls; a wrong keyword or a function missing from wandb fails in ``bind``."""

    def __init__(self, final_state="finished"):
        self.real = ops._wandb_launch()
        self.final_state = final_state
        self.calls = []

    def _record(self, label, real, /, *args, **kwargs):
        inspect.signature(real).bind(*args, **kwargs)
        self.calls.append((label, args, kwargs))

    def launch(self, *args, **kwargs):
        self._record("launch", self.real.launch, *args, **kwargs)
        return SimpleNamespace(id="launched-1")

    def launch_add(self, *args, **kwargs):
        from wandb.apis.public.jobs import QueuedRun as RealQueuedRun

        self._record("launch_add", self.real.launch_add, *args, **kwargs)
        fake = self

        class QueuedRun:
            id = "queued-1"

            def wait_until_finished(self, *a, **k):
                inspect.signature(RealQueuedRun.wait_until_finished).bind(self, *a, **k)
                fake.calls.append(("wait_until_finished", a, k))
                return SimpleNamespace(state=fake.final_state, url="http://wandb.test/run/queued-1")

        return QueuedRun()

    def create_and_run_agent(self, *args, **kwargs):
        self._record("create_and_run_agent", self.real.create_and_run_agent, *args, **kwargs)

    def LaunchApi(self, *args, **kwargs):
        inspect.signature(self.real.LaunchApi).bind(*args, **kwargs)
        self.calls.append(("LaunchApi", args, kwargs))
        return SimpleNamespace(kind="launch-api")

    def names(self):
        return [name for name, _, _ in self.calls]


@pytest.fixture
def fake(monkeypatch):
    backend = FakeLaunch()
    monkeypatch.setattr(ops, "LAUNCH", backend)
    return backend


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)


def run(op, op_config, base_dir, entity="acme", project="models", instance=None, **resource_config):
    @dg.job(
        resource_defs={
            "wandb_config": integration.wandb_config,
            "wandb_resource": integration.wandb_resource.configured({"base_dir": str(base_dir), **resource_config}),
        }
    )
    def launch_job():
        op()

    return launch_job.execute_in_process(
        run_config={
            "resources": {"wandb_config": {"config": {"entity": entity, "project": project}}},
            "ops": {op.name: {"config": op_config}},
        },
        raise_on_error=False,
        instance=instance,
    )


def failure_of(result):
    event = next(e for e in result.all_events if e.is_step_failure)
    return event.event_specific_data.error


def test_queue_synchronous_enqueues_with_queue_name_and_waits(fake, online, base_dir):
    result = run(
        ops.run_launch_job, {"job": "acme/models/train:latest", "queue": "gpu", "parameters": {"lr": 0.1}}, base_dir
    )
    assert result.success
    assert fake.names() == ["launch_add", "wait_until_finished"]
    _, _, kwargs = fake.calls[0]
    assert kwargs["queue_name"] == "gpu" and "queue" not in kwargs
    assert kwargs["config"] == {"overrides": {"run_config": {"lr": 0.1}}}
    assert (kwargs["entity"], kwargs["project"]) == ("acme", "models")


def test_queue_asynchronous_does_not_wait(fake, online, base_dir):
    result = run(
        ops.run_launch_job, {"job": "acme/models/train:latest", "queue": "gpu", "synchronous": False}, base_dir
    )
    assert result.success
    assert fake.names() == ["launch_add"]


def test_a_failed_remote_run_fails_the_op_with_state_and_url(monkeypatch, online, base_dir):
    backend = FakeLaunch(final_state="failed")
    monkeypatch.setattr(ops, "LAUNCH", backend)
    result = run(ops.run_launch_job, {"job": "acme/models/train:latest", "queue": "gpu"}, base_dir)
    assert not result.success
    message = str(failure_of(result))
    assert "'failed'" in message and "http://wandb.test/run/queued-1" in message


def test_without_a_queue_the_job_is_launched_here(fake, online, base_dir):
    result = run(ops.run_launch_job, {"job": "acme/models/train:latest", "resource": "local-process"}, base_dir)
    assert result.success
    assert fake.names() == ["LaunchApi", "launch"]
    _, args, kwargs = fake.calls[1]
    assert args[0].kind == "launch-api" and kwargs["job"] == "acme/models/train:latest"
    assert fake.calls[0][2]["api_key"] == "k" * 40


def test_the_agent_runs_the_queues_online(fake, online, base_dir):
    result = run(ops.run_launch_agent, {"queues": ["gpu", "cpu"], "max_jobs": 2}, base_dir)
    assert result.success
    _, args, _ = fake.calls[-1]
    assert args[1] == {"entity": "acme", "queues": ["gpu", "cpu"], "max_jobs": 2}


def test_offline_the_agent_fails_at_once_saying_what_to_configure(fake, base_dir):
    result = run(ops.run_launch_agent, {"queues": ["gpu"]}, base_dir)
    assert not result.success
    error = failure_of(result).cause
    assert error.cls_name == "WandbModeError"
    assert "needs a W&B server" in error.message and "WANDB_API_KEY" in error.message
    assert fake.calls == []


@pytest.mark.parametrize(("min_accuracy", "succeeds"), [(0.5, True), (1.01, False)])
def test_offline_a_local_entry_point_runs_for_real_and_its_exit_code_decides(
    fake, base_dir, monkeypatch, min_accuracy, succeeds
):
    monkeypatch.chdir(PROJECT_ROOT)
    config = {"entry_point": ["python", "launch/train.py"], "parameters": {"min-accuracy": min_accuracy}}
    instance = dg.DagsterInstance.ephemeral()
    result = run(ops.run_launch_job, config, base_dir, instance=instance)
    assert result.success is succeeds
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(message.startswith("accuracy=") for message in logged), "the script's output is streamed"
    if not succeeds:
        assert "exited with code 1" in str(failure_of(result))
    assert fake.calls == [], "the local path never calls W&B Launch"


def test_offline_a_script_outside_the_project_is_refused(fake, base_dir, monkeypatch, tmp_path):
    monkeypatch.chdir(PROJECT_ROOT)
    result = run(ops.run_launch_job, {"entry_point": ["python", "../outside.py"]}, base_dir)
    assert not result.success
    assert "'../outside.py' is not a file inside" in str(failure_of(result))


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"uri": "https://github.com/a/b", "job": "a/b/c:latest", "queue": "q"}, "both set"),
        ({"uri": "https://github.com/a/b"}, "without a queue"),
        ({}, "nothing to run"),
    ],
)
def test_invalid_job_config_is_named(fake, online, base_dir, config, fragment):
    result = run(ops.run_launch_job, config, base_dir)
    assert not result.success
    assert fragment in str(failure_of(result))


def test_unknown_config_keys_and_empty_entity_are_rejected(fake, online, base_dir):
    with pytest.raises(dg.DagsterInvalidConfigError, match="queue_nmae"):
        run(ops.run_launch_job, {"job": "a/b/c:latest", "queue_nmae": "q"}, base_dir)
    result = run(ops.run_launch_job, {"job": "a/b/c:latest", "queue": "q"}, base_dir, entity="")
    assert not result.success
    assert "wandb_config entity is empty" in str(failure_of(result))


def test_secrets_in_config_never_reach_the_logs(fake, online, base_dir, caplog):
    caplog.set_level(logging.DEBUG)
    config = {
        "job": "acme/models/train:latest",
        "queue": "gpu",
        "resource_args": {"kubernetes": {"env": {"API_KEY": SECRET}}},
        "config": {"overrides": {"run_config": {"token": SECRET}}},
    }
    instance = dg.DagsterInstance.ephemeral()
    result = run(ops.run_launch_job, config, base_dir, instance=instance)
    assert result.success
    logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    texts = [caplog.text, *logged, *(str(e) for e in result.all_events)]
    assert not [t for t in texts if SECRET in t]
    assert any("********" in message for message in logged), "the config is logged, masked"
    # The real value still reaches W&B Launch: masking is for logs only.
    assert fake.calls[0][2]["resource_args"]["kubernetes"]["env"]["API_KEY"] == SECRET
