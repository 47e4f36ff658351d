"""What an asset logs through ``WandbResource.run()`` appears on its materialization (offline runs)."""

import math
from importlib import import_module

import dagster as dg

from tests._package import PACKAGE_NAME, integration

run_metrics = import_module(f"{PACKAGE_NAME}.wandb_integration.run_metrics")


def materialized_metadata(result, name):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == name]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def test_logged_scalars_and_the_config_become_materialization_metadata(resources):
    @dg.asset
    def model(wandb_resource: integration.WandbResource) -> int:
        with wandb_resource.run(config={"lr": 0.1}) as run:
            run.log({"loss": 0.5, "epoch": 1, "note": "text", "done": True})
            run.log({"loss": 0.25, "epoch": 2, "val": {"accuracy": 0.9}})
        return 1

    metadata = materialized_metadata(dg.materialize([model], resources=resources), "model")
    assert metadata["wandb_summary/loss"] == 0.25
    assert metadata["wandb_summary/epoch"] == 2
    assert metadata["wandb_summary/val/accuracy"] == 0.9
    assert "wandb_summary/note" not in metadata and "wandb_summary/done" not in metadata  # not numbers
    assert metadata["wandb_run_config"] == {"lr": 0.1}


def test_only_what_each_block_logged_is_attached_to_its_own_asset(resources):
    @dg.asset
    def first(wandb_resource: integration.WandbResource) -> int:
        with wandb_resource.run() as run:
            run.log({"first_metric": 1.5})
        return 1

    @dg.asset
    def second(wandb_resource: integration.WandbResource, first: int) -> int:
        with wandb_resource.run() as run:  # the same W&B run (the Dagster run's id), shared in process
            run.log({"second_metric": 2.5})
        return first

    result = dg.materialize([first, second], resources=resources)
    assert "wandb_summary/first_metric" in materialized_metadata(result, "first")
    second_metadata = materialized_metadata(result, "second")
    assert second_metadata["wandb_summary/second_metric"] == 2.5
    assert "wandb_summary/first_metric" not in second_metadata


def test_every_asset_of_a_multi_asset_gets_the_metrics(resources):
    @dg.multi_asset(outs={"left": dg.AssetOut(), "right": dg.AssetOut()}, required_resource_keys={"wandb_resource"})
    def split(context):
        with context.resources.wandb_resource.run() as run:
            run.log({"rows": 10})
        return 1, 2

    result = dg.materialize([split], resources=resources)
    for name in ("left", "right"):
        assert materialized_metadata(result, name)["wandb_summary/rows"] == 10


def test_an_op_or_a_direct_call_attaches_nothing_and_does_not_fail(resources, wandb_resource):
    @dg.op(required_resource_keys={"wandb_resource"})
    def train(context) -> None:
        with context.resources.wandb_resource.run() as run:
            run.log({"loss": 1.0})

    @dg.job(resource_defs={"wandb_resource": wandb_resource})
    def training():
        train()

    assert training.execute_in_process().success
    assert run_metrics.attach_to_current_asset({"x": 1.0}) is False


def test_scalars_skip_bools_text_non_finite_numbers_and_wandb_internals():
    summary = {"_step": 3, "a": 1, "b": math.nan, "c": True, "d": "x", "e": {"f": 2.0, "_g": 1}, "h": math.inf}
    assert run_metrics.scalars(summary) == {"a": 1, "e/f": 2.0}
