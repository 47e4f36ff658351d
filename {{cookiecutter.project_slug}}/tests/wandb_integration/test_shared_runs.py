"""One W&B run per process and run id, shared by IO manager keys and ``WandbResource.run()`` (FakeWandb).

wandb-core refuses ``wandb.init`` of a run id already open in the process ("run ID ... is in use"); the
online end to end test (test_online_e2e.py) shows the real SDK accepting the shared run.
"""

import threading
from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration
from tests.wandb_integration.fake_wandb import FakeWandb
from tests.wandb_integration.stores.test_online_store import KEY, io_manager_with

runs = import_module(f"{PACKAGE_NAME}.wandb_integration.runs")


@pytest.fixture
def sdk(tmp_path):
    return FakeWandb(tmp_path / "server")


@pytest.fixture
def resource(sdk, base_dir, monkeypatch):
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setattr(integration.WandbResource, "sdk", property(lambda self: sdk))
    return integration.WandbResource(
        entity="acme", project="models", mode="online", api_key=KEY, base_dir=str(base_dir), connect_timeout=0
    )


@dg.asset(io_manager_key="first_manager")
def seed() -> list:
    return [0]


def two_key_asset(body=lambda run: None, **run_kwargs):
    """Reads ``seed`` (so the first key's store opens the run), then the resource's run, then two outputs."""

    @dg.multi_asset(
        outs={"left": dg.AssetOut(io_manager_key="first_manager"), "right": dg.AssetOut(io_manager_key="second")}
    )
    def pair(wandb_resource: integration.WandbResource, seed: list):
        with wandb_resource.run(**run_kwargs) as run:
            run.log({"loss": 0.5})
            body(run)
        return [*seed, 1], [*seed, 2]

    return pair


def materialize(sdk, resource, asset):
    resources = {
        "wandb_resource": resource,
        "first_manager": io_manager_with(sdk, resource),
        "second": io_manager_with(sdk, resource),
    }
    assert dg.materialize([seed], resources=resources).success
    sdk.calls.clear()
    return dg.materialize([seed, asset], selection=[asset], resources=resources, raise_on_error=False)


def opened_and_finished(sdk):
    return [(name, args.get("exit_code")) for name, args in sdk.calls if name in ("init", "finish")]


def test_two_io_manager_keys_and_the_resource_share_one_run(sdk, resource):
    result = materialize(sdk, resource, two_key_asset(config={"lr": 0.1}, tags=["train"]))
    assert result.success
    assert opened_and_finished(sdk) == [("init", None), ("finish", 0)]
    assert sdk.named("init")[0]["id"] == result.run_id
    assert [call["d"] for call in sdk.named("config.update")] == [{"lr": 0.1}]
    assert len(sdk.named("log_artifact")) == 2 and len(sdk.named("log")) == 1


def test_a_failure_inside_the_shared_run_finishes_it_with_exit_code_1(sdk, resource):
    def fail(run):
        raise RuntimeError("training diverged")

    result = materialize(sdk, resource, two_key_asset(fail))
    assert not result.success
    # Finished once, by the last holder (an IO manager's teardown), with the failure the resource saw.
    assert opened_and_finished(sdk) == [("init", None), ("finish", 1)]


def test_arguments_an_open_run_cannot_take_are_named_in_a_warning(sdk, resource):
    with pytest.warns(integration.SharedRunWarning, match=r"not applied: group, job_type\. Set them on the IO manager"):
        result = materialize(sdk, resource, two_key_asset(job_type="train", group="sweep"))
    assert result.success


def test_the_same_run_id_in_another_project_is_refused(sdk):
    first = runs.acquire(sdk, "run-1", "acme", "models", lambda: sdk.init(id="run-1", entity="acme", project="models"))
    refused = r"'run-1' is already open .* acme/models.* acme/other"
    with pytest.raises(integration.WandbConfigurationError, match=refused):
        runs.acquire(sdk, "run-1", "acme", "other", lambda: pytest.fail("must not init"))
    runs.release(sdk, first)
    assert opened_and_finished(sdk) == [("init", None), ("finish", 0)]


def test_concurrent_holders_open_once_and_the_last_one_finishes(sdk):
    def init():
        return sdk.init(id="run-2", entity="acme", project="models")

    barrier = threading.Barrier(8)
    held = []

    def hold():
        barrier.wait()
        held.append(runs.acquire(sdk, "run-2", "acme", "models", init))

    threads = [threading.Thread(target=hold) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sdk.named("init")) == 1 and len({id(run) for run in held}) == 1
    for run in held[:-1]:
        runs.release(sdk, run)
    assert not sdk.named("finish"), "still held once"
    runs.release(sdk, held[-1])
    assert opened_and_finished(sdk) == [("init", None), ("finish", 0)]
    # Released for good: the next holder opens (resumes) the run again.
    runs.release(sdk, runs.acquire(sdk, "run-2", "acme", "models", init))
    assert len(sdk.named("init")) == 2
