"""``run_launch_job`` with a queue, online: the real ``launch_add`` and ``QueuedRun`` against the W&B stand-in.

The test plays the Launch agent through the stand-in's queues (``testing/launch_handlers.py``): it creates
the queue and the job artifact, and sets what the agent does with the item (claim it and report a run
state, or fail it). What the op pushed is checked in the stand-in, not only what Dagster reports. The
resource gets host and key from its own config; the fixture's environment variables are removed.
"""

from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
launch_handlers = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.launch_handlers")
ops = import_module(f"{PACKAGE_NAME}.wandb_integration.launch.ops")

ENTITY = fixtures.ENTITY
PROJECT = "online-launch"
QUEUE = "gpu"
pytestmark = pytest.mark.online


@pytest.fixture
def queues(wandb_server, monkeypatch):
    """The stand-in's Launch side with the queue ``QUEUE``; the op uses the real wandb and polls quickly."""
    monkeypatch.setattr(ops, "LAUNCH", None)  # resolved again: the real wandb.sdk.launch, never a test's fake
    monkeypatch.setattr(ops, "QUEUE_POLL_SECONDS", 0.01)
    launch = launch_handlers.launch_queues(wandb_server.state)
    launch.add_queue(QUEUE)
    return launch


@pytest.fixture
def run_op(wandb_server, base_dir, monkeypatch):
    """Runs ``run_launch_job`` with the given config in a one-op job against the stand-in."""
    monkeypatch.delenv("WANDB_BASE_URL")
    monkeypatch.delenv("WANDB_API_KEY")
    resource = fixtures.online_resource(wandb_server, base_dir, project=PROJECT)

    @dg.job(resource_defs={"wandb_resource": resource, "wandb_config": integration.wandb_config})
    def launch_job():
        ops.run_launch_job()

    def execute(op_config: dict) -> dg.ExecuteInProcessResult:
        run_config = {
            "resources": {"wandb_config": {"config": {"entity": ENTITY, "project": PROJECT}}},
            "ops": {"run_launch_job": {"config": op_config}},
        }
        return launch_job.execute_in_process(run_config=run_config, raise_on_error=False)

    return execute


def step_failure(result):
    return next(event for event in result.all_events if event.is_step_failure).event_specific_data


def output_metadata(result):
    output = next(event for event in result.all_events if event.event_type_value == "STEP_OUTPUT")
    return {key: value.value for key, value in output.event_specific_data.metadata.items()}


def test_the_job_is_enqueued_with_its_config_and_the_wait_reports_finished(queues, run_op, wandb_server):
    job = queues.add_job(PROJECT, "train")
    # Pending at the op's first poll, claimed at the second: the op's own wait loop runs once.
    queues.outcome = launch_handlers.Outcome(run_state="finished", after_polls=2)
    config = {
        "job": job,
        "queue": QUEUE,
        "synchronous": True,
        "parameters": {"lr": 0.1},
        "resource": "kubernetes",
        "resource_args": {"kubernetes": {"namespace": "training"}},
        "run_id": "launched-train-1",
    }
    result = run_op(config)
    assert result.success
    [item] = queues.items.values()
    assert (item.entity, item.project_queue, item.queue, item.state) == (ENTITY, "model-registry", QUEUE, "CLAIMED")
    spec = item.spec
    assert (spec["job"], spec["entity"], spec["project"], spec["run_id"]) == (job, ENTITY, PROJECT, "launched-train-1")
    assert spec["overrides"]["run_config"] == {"lr": 0.1}
    assert (spec["resource"], spec["resource_args"]) == ("kubernetes", {"kubernetes": {"namespace": "training"}})
    [pushed] = wandb_server.calls("pushToRunQueueByName")
    assert (pushed["entityName"], pushed["queueName"]) == (ENTITY, QUEUE)
    assert item.polls >= 3, "the op polled while pending, then wait_until_running found the run"
    loaded = [v["name"] for v in wandb_server.calls("Run")]
    assert loaded and set(loaded) == {"launched-train-1"}, "the launched run is loaded, by the id in the spec"
    metadata = output_metadata(result)
    assert metadata["wandb_run_state"] == "finished"
    assert metadata["wandb_run_url"].endswith(f"/{ENTITY}/{PROJECT}/runs/launched-train-1")
    assert wandb_server.key_leaks(fixtures.DUMMY_API_KEY) == []
    assert all(r.headers.get("Authorization") for r in wandb_server.requests if r.operation)


@pytest.mark.parametrize("run_state", ["failed", "crashed", "killed"])
def test_a_run_that_ends_badly_fails_the_step_naming_the_state(queues, run_op, wandb_server, run_state):
    queues.outcome = launch_handlers.Outcome(run_state=run_state)
    result = run_op({"job": queues.add_job(PROJECT, "train"), "queue": QUEUE, "synchronous": True})
    assert not result.success
    failure = step_failure(result)
    assert f"ended in state {run_state!r}" in str(failure.error)
    assert failure.user_failure_data.metadata["wandb_run_state"].value == run_state
    assert wandb_server.key_leaks(fixtures.DUMMY_API_KEY) == []


def test_an_item_the_agent_fails_fails_the_step_without_waiting_for_a_run(queues, run_op, wandb_server):
    queues.outcome = launch_handlers.Outcome(item_failed=True, after_polls=2)
    result = run_op({"job": queues.add_job(PROJECT, "train"), "queue": QUEUE, "synchronous": True})
    assert not result.success
    [item] = queues.items.values()
    assert f"queue item {item.id} of queue {QUEUE!r}" in str(step_failure(result).error)
    assert wandb_server.count("Run") == wandb_server.count("RunState") == 0


def test_asynchronous_enqueues_and_returns_without_polling(queues, run_op, wandb_server):
    result = run_op({"job": queues.add_job(PROJECT, "train"), "queue": QUEUE, "synchronous": False})
    assert result.success
    [item] = queues.items.values()
    assert (item.queue, item.state) == (QUEUE, "PENDING")
    assert wandb_server.count("GetRunQueueItem") == 0


def test_an_unknown_queue_fails_the_step_naming_it_and_enqueues_nothing(queues, run_op, wandb_server):
    result = run_op({"job": queues.add_job(PROJECT, "train"), "queue": "no-such-queue", "synchronous": True})
    assert not result.success
    error = step_failure(result).error.cause  # Dagster's step error wraps the op's
    assert error.cls_name == "WandbConfigurationError" and error.cause.cls_name == "LaunchError"
    assert f"Launch queue 'no-such-queue' of entity {ENTITY!r}" in error.message
    assert queues.items == {}
    # The SDK's fallback after the failed push: the legacy queue listing, which lacks the queue too.
    assert wandb_server.operations()[-1] == "ProjectRunQueues"


def test_a_missing_job_fails_the_step_before_anything_is_enqueued(queues, run_op, wandb_server):
    queues.add_job(PROJECT, "train")
    result = run_op({"job": f"{ENTITY}/{PROJECT}/trian:latest", "queue": QUEUE, "synchronous": True})
    assert not result.success
    error = step_failure(result).error.cause
    assert error.cls_name == "WandbConfigurationError"
    assert f"no job '{ENTITY}/{PROJECT}/trian:latest'" in error.message and "nothing was enqueued" in error.message
    assert queues.items == {} and wandb_server.count("pushToRunQueueByName") == 0
