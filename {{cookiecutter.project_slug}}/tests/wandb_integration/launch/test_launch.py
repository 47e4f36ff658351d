"""The Launch ops against a fake whose every method binds its arguments to the real wandb 0.31 signature."""

import logging
import os
from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration
from tests.wandb_integration.launch.fake_launch import FakeLaunch

ops = import_module(f"{PACKAGE_NAME}.wandb_integration.launch.ops")
launch_config = import_module(f"{PACKAGE_NAME}.wandb_integration.launch.config")
SECRET = "s3cr3t-value-that-must-never-be-logged"
KEY = "k" * 40


@pytest.fixture
def fake(monkeypatch):
    backend = FakeLaunch()
    monkeypatch.setattr(ops, "LAUNCH", backend)
    monkeypatch.setattr(ops, "QUEUE_POLL_SECONDS", 0)
    return backend


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_API_KEY", KEY)


def run(op, op_config, base_dir, entity="acme", project="models", instance=None, **resource_config):
    @dg.job(
        resource_defs={
            "wandb_config": integration.wandb_config,
            # connect_timeout 0: the recording fake stands for the server, there is none to check
            "wandb_resource": integration.wandb_resource.configured(
                {"base_dir": str(base_dir), "connect_timeout": 0.0, **resource_config}
            ),
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


def logs_of(instance, result):
    return [entry.user_message for entry in instance.all_logs(result.run_id)]


def test_queue_synchronous_enqueues_with_queue_name_and_waits(fake, online, base_dir):
    config = {"job": "acme/models/train:latest", "queue": "gpu", "parameters": {"lr": 0.1}}
    result = run(ops.run_launch_job, config, base_dir)
    assert result.success
    # The job is checked before anything is enqueued; the run is reloaded until its state is final.
    assert fake.names() == ["Api", "Api.artifact", "launch_add", "state", "state", "wait_until_running", "load"]
    assert fake.calls[1][1] == ("acme/models/train:latest",) and fake.calls[1][2] == {"type": "job"}
    _, _, kwargs = fake.calls[2]
    assert kwargs["queue_name"] == "gpu" and "queue" not in kwargs and "uri" not in kwargs
    assert kwargs["config"] == {"overrides": {"run_config": {"lr": 0.1}}}
    assert (kwargs["entity"], kwargs["project"]) == ("acme", "models")
    output = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT")
    assert output.event_specific_data.metadata["wandb_run_state"].value == "finished"


def test_queue_asynchronous_does_not_wait(fake, online, base_dir):
    config = {"job": "acme/models/train:latest", "queue": "gpu", "synchronous": False}
    assert run(ops.run_launch_job, config, base_dir).success
    assert fake.names() == ["Api", "Api.artifact", "launch_add"]


@pytest.mark.parametrize("final_state", ["failed", "crashed", "killed", "preempted"])
def test_a_run_that_ends_badly_fails_the_op_with_state_and_url(fake, online, base_dir, final_state):
    # wandb's own Run.wait_until_finished would poll a killed or preempted run forever.
    fake.run_states = ["running", "running", final_state]
    result = run(ops.run_launch_job, {"job": "acme/models/train:latest", "queue": "gpu"}, base_dir)
    assert not result.success
    message = str(failure_of(result))
    assert f"'{final_state}'" in message and "http://wandb.test/acme/models/runs/r1" in message
    assert fake.names().count("load") == 2


def test_a_missing_job_fails_before_anything_is_enqueued(fake, online, base_dir):
    fake.missing_job = True
    result = run(ops.run_launch_job, {"job": "acme/models/trian:latest", "queue": "gpu"}, base_dir)
    assert not result.success
    message = str(failure_of(result))
    assert "no job 'acme/models/trian:latest' in acme/models" in message and "nothing was enqueued" in message
    assert "launch_add" not in fake.names()


def test_a_queue_item_the_agent_failed_fails_the_op_instead_of_waiting_forever(fake, online, base_dir):
    fake.item_states = ["pending", "failed"]
    result = run(ops.run_launch_job, {"job": "acme/models/train:latest", "queue": "gpu"}, base_dir)
    assert not result.success
    assert "queue item queued-1 of queue 'gpu'" in str(failure_of(result))
    assert "wait_until_running" not in fake.names()


@pytest.mark.parametrize(("local_state", "succeeds"), [("finished", True), ("failed", False)])
def test_without_a_queue_the_job_is_launched_here_and_its_state_decides(fake, online, base_dir, local_state, succeeds):
    fake.local_state = local_state
    config = {"job": "acme/models/train:latest", "resource": "local-process"}
    result = run(ops.run_launch_job, config, base_dir)
    assert result.success is succeeds
    assert fake.names() == ["LaunchApi", "launch", "get_status"]
    _, args, kwargs = fake.calls[1]
    assert args[0].kind == "launch-api" and kwargs["job"] == "acme/models/train:latest"
    assert fake.calls[0][2]["api_key"] == KEY
    if not succeeds:
        assert "local-process run 4242 ended in state 'failed'" in str(failure_of(result))


def test_a_configured_key_reaches_launch_add_and_leaves_no_trace(fake, monkeypatch, base_dir):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    config = {"job": "acme/models/train:latest", "queue": "gpu", "synchronous": False}
    result = run(ops.run_launch_job, config, base_dir, api_key="direct-key", host="http://wandb.local")
    assert result.success
    assert fake.env_at_call["launch_add"] == {"WANDB_API_KEY": "direct-key", "WANDB_BASE_URL": "http://wandb.local"}
    assert "WANDB_API_KEY" not in os.environ and "WANDB_BASE_URL" not in os.environ


# wandb's own AgentConfig (imported by the real create_and_run_agent too) uses a deprecated pydantic style.
@pytest.mark.filterwarnings("ignore:Support for class-based `config` is deprecated")
def test_the_agent_runs_the_queues_online_with_a_valid_agent_config(fake, online, base_dir):
    result = run(ops.run_launch_agent, {"queues": ["gpu", "cpu"], "max_jobs": 2}, base_dir)
    assert result.success
    assert fake.names() == ["LaunchApi", "create_and_run_agent"]
    _, args, _ = fake.calls[-1]
    assert args[1] == {"entity": "acme", "queues": ["gpu", "cpu"], "max_jobs": 2, "max_schedulers": 1, "verbosity": 0}


@pytest.mark.parametrize(
    ("config", "fragment"),
    [({"queues": []}, "at least one queue"), ({"queues": ["q"], "max_jobs": 0}, "max_jobs is 0")],
)
def test_invalid_agent_config_is_named(fake, online, base_dir, config, fragment):
    result = run(ops.run_launch_agent, config, base_dir)
    assert not result.success and fragment in str(failure_of(result))


def test_offline_the_agent_fails_at_once_saying_what_to_configure(fake, base_dir):
    result = run(ops.run_launch_agent, {"queues": ["gpu"]}, base_dir)
    assert not result.success
    error = failure_of(result).cause
    assert error.cls_name == "WandbModeError"
    assert "needs a W&B server" in error.message and "WANDB_API_KEY" in error.message
    assert fake.calls == []


def test_offline_a_queued_job_fails_at_once(fake, base_dir):
    result = run(ops.run_launch_job, {"job": "acme/models/train:latest", "queue": "gpu"}, base_dir)
    assert not result.success and failure_of(result).cause.cls_name == "WandbModeError"
    assert fake.calls == []


ENTRY_POINT = """
import os
import sys

args = dict(arg.removeprefix("--").split("=", 1) for arg in sys.argv[1:])
print(f"mode={os.environ.get('WANDB_MODE')} key={os.environ.get('WANDB_API_KEY')}")
print(f"project={os.environ['WANDB_ENTITY']}/{os.environ['WANDB_PROJECT']}")
accuracy = 0.9
print(f"accuracy={accuracy}")
sys.exit(0 if accuracy >= float(args["min-accuracy"]) else 1)
"""


@pytest.fixture
def project(monkeypatch, tmp_path):
    root = tmp_path / "project"
    (root / "jobs").mkdir(parents=True)
    (root / "jobs" / "train.py").write_text(ENTRY_POINT)
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(("min_accuracy", "succeeds"), [(0.5, True), (0.95, False)])
def test_offline_a_local_entry_point_runs_for_real_and_its_exit_code_decides(
    fake, base_dir, project, min_accuracy, succeeds
):
    config = {"entry_point": ["python", "jobs/train.py"], "parameters": {"min-accuracy": min_accuracy}}
    instance = dg.DagsterInstance.ephemeral()
    result = run(ops.run_launch_job, config, base_dir, instance=instance)
    assert result.success is succeeds
    logged = logs_of(instance, result)
    assert "accuracy=0.9" in logged, "the script's output is streamed to the Dagster log"
    assert "mode=offline key=None" in logged and "project=acme/models" in logged
    if not succeeds:
        assert "exited with code 1" in str(failure_of(result))
    assert fake.calls == [], "the local path never calls W&B Launch"


def test_online_a_local_entry_point_gets_the_key_which_is_masked_in_its_output(fake, online, base_dir, project):
    instance = dg.DagsterInstance.ephemeral()
    config = {"entry_point": ["python", "jobs/train.py"], "parameters": {"min-accuracy": 0.5}}
    result = run(ops.run_launch_job, config, base_dir, instance=instance)
    assert result.success
    logged = logs_of(instance, result)
    assert "mode=None key=********" in logged
    assert not [line for line in logged if KEY in line]


def test_a_script_outside_the_project_is_refused(fake, base_dir, project):
    (project.parent / "outside.py").write_text("print('outside')")
    result = run(ops.run_launch_job, {"entry_point": ["python", "../outside.py"]}, base_dir)
    assert not result.success
    assert "'../outside.py' is not a file inside" in str(failure_of(result))


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"uri": "https://github.com/a/b", "job": "a/b/c:latest", "queue": "q"}, "both set"),
        ({"uri": "https://github.com/a/b", "queue": "q"}, "wandb job create --entity acme --project models "),
        ({"job": "a/b/c:latest", "docker_image": "img:1"}, "exactly one"),
        ({}, "nothing to run"),
    ],
)
def test_invalid_job_config_is_named(fake, online, base_dir, config, fragment):
    result = run(ops.run_launch_job, config, base_dir)
    assert not result.success
    assert fragment in str(failure_of(result))
    assert fake.calls == []


def test_unknown_config_keys_and_empty_entity_are_rejected(fake, online, base_dir):
    with pytest.raises(dg.DagsterInvalidConfigError, match="queue_nmae"):
        run(ops.run_launch_job, {"job": "a/b/c:latest", "queue_nmae": "q"}, base_dir)
    result = run(ops.run_launch_job, {"job": "a/b/c:latest", "queue": "q"}, base_dir, entity="")
    assert not result.success
    assert "wandb_config entity is empty" in str(failure_of(result))


def test_secrets_in_config_never_reach_the_logs(fake, online, base_dir, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    config = {
        "job": "acme/models/train:latest",
        "queue": "gpu",
        "resource_args": {
            "kubernetes": {"env": [{"name": "HF_TOKEN", "value": SECRET + "-k8s"}]},
            "local-container": {"env": ["DB_PASSWORD=" + SECRET + "-docker"], "api_key": SECRET},
        },
        "config": {"overrides": {"run_config": {"token": SECRET + "-run"}}},
    }
    instance = dg.DagsterInstance.ephemeral()
    result = run(ops.run_launch_job, config, base_dir, instance=instance)
    assert result.success
    logged = logs_of(instance, result)
    stderr = capsys.readouterr().err
    texts = [caplog.text, stderr, *logged, *(str(e) for e in result.all_events)]
    assert not [text for text in texts if SECRET in text or KEY in text]
    assert any("HF_TOKEN" in message and "********" in message for message in logged), "logged, masked"
    assert "Launch spec: not shown" in stderr, "wandb's own dump of the spec is cut off"
    # The real values still reach W&B Launch: masking is for logs only.
    (launch_add,) = [kwargs for name, _, kwargs in fake.calls if name == "launch_add"]
    assert launch_add["resource_args"]["local-container"]["api_key"] == SECRET


def test_masking_covers_nested_keys_env_strings_and_name_value_pairs():
    value = {"a": {"password": "p4ss"}, "env": ["API_KEY=abcd", "PLAIN=1"], "e": [{"name": "SECRET", "value": "v4lue"}]}
    assert launch_config.masked(value) == {
        "a": {"password": "********"},
        "env": ["API_KEY=********", "PLAIN=1"],
        "e": [{"name": "SECRET", "value": "********"}],
    }
    assert set(launch_config.secret_values(value)) == {"p4ss", "abcd", "v4lue"}
