"""Artifact names: readable when possible, always valid for W&B, never shared by two keys."""

import itertools
from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME

naming = import_module(f"{PACKAGE_NAME}.wandb_integration.io_manager.naming")


@pytest.mark.parametrize(
    ("path", "partition", "expected"),
    [
        (["raw_dataset"], None, "raw_dataset"),
        (["ml", "model"], None, "ml__model"),
        (["daily_sales"], "2024-01-02", "daily_sales.2024-01-02"),
    ],
)
def test_plain_names_stay_readable(path, partition, expected):
    assert naming.artifact_name(path, partition) == expected


def test_prefixed_keys_keep_every_component():
    # The public library named prefixed assets after their first component only.
    assert naming.artifact_name(["team_a", "model"]) != naming.artifact_name(["team_b", "model"])
    assert "model" in naming.artifact_name(["team_a", "model"])


def test_hourly_and_multi_partition_keys_become_valid_names():
    hourly = naming.artifact_name(["hourly"], "2024-01-02-05:00")
    multi = naming.artifact_name(["multi"], "mnist|2024-01-02")
    for name in (hourly, multi):
        assert naming.is_valid_artifact_name(name), name
    assert hourly.startswith("hourly.2024-01-02-05-00-")


def test_no_two_keys_share_a_name():
    components = ["a", "a_", "_a", "a__b", "a.b", "a b", "a/b", "a-b", "a|b", "a:b"]
    seen: dict[str, tuple] = {}
    for path in itertools.chain(([c] for c in components), ([c, d] for c in components for d in components)):
        for partition in (None, "x", "x|y", "x:y", "x-y", "x.y"):
            name = naming.artifact_name(path, partition)
            assert naming.is_valid_artifact_name(name), name
            key = (tuple(path), partition)
            assert seen.setdefault(name, key) == key, f"{key} and {seen[name]} both map to {name}"


def test_long_names_are_cut_to_the_w_and_b_limit():
    name = naming.artifact_name(["x" * 200])
    assert len(name) <= naming.MAX_NAME_LENGTH
    assert name != naming.artifact_name(["x" * 201])


def test_a_key_spelled_like_another_keys_hashed_name_gets_its_own_name():
    """The attack: partition `a/b` is hashed to `part.a-b-<hash>`; a second key `a-b-<hash>` must not land there."""
    keys = ["a/b", "x" * 300, "2024-01-02-05:00", "a b", "a|b"]
    hashed = [naming.artifact_name(["part"], key).removeprefix("part.") for key in keys]
    names = [naming.artifact_name(["part"], key) for key in [*keys, *hashed]]
    assert len(set(names)) == len(names), names
    for name in names:
        assert naming.is_valid_artifact_name(name)


def test_keys_that_only_look_hashed_are_hashed_so_plain_and_hashed_names_never_meet():
    assert naming.artifact_name(["part"], "batch-1700000000") != "part.batch-1700000000"
    assert naming.artifact_name(["part"], "batch-17000000") == "part.batch-17000000"  # 8 digits: plain
    assert naming.artifact_name(["x-0123456789"]) != "x-0123456789"


def test_multi_partition_keys_take_dagster_wandbs_name_when_the_dimensions_join_cleanly():
    colors = dg.StaticPartitionsDefinition(["red", "blue"])
    days = dg.DailyPartitionsDefinition(start_date="2023-01-01")
    clean = dg.MultiPartitionsDefinition({"color": colors, "day": days})
    assert naming.dimensions_join_cleanly(clean)
    assert naming.artifact_name(["m"], "red|2023-01-02", join_dimensions=True) == "m.red-2023-01-02"
    # Two dimensions with dashes: 'a-b|c-d' and 'a|b-c-d' would both be 'a-b-c-d'.
    dashed = dg.StaticPartitionsDefinition(["a-b", "a"])
    other = dg.StaticPartitionsDefinition(["c-d", "b-c-d"])
    assert not naming.dimensions_join_cleanly(dg.MultiPartitionsDefinition({"x": dashed, "y": other}))
    assert not naming.dimensions_join_cleanly(dg.MultiPartitionsDefinition({"d1": days, "d2": days}))
    tenants = dg.DynamicPartitionsDefinition(name="tenant")  # its keys can hold anything
    assert not naming.dimensions_join_cleanly(dg.MultiPartitionsDefinition({"day": days, "tenant": tenants}))
    assert not naming.dimensions_join_cleanly(colors)  # not a multi-partitions definition
    # Whatever joins cleanly never collides: every key of a clean definition has its own name.
    keys = clean.get_partition_keys()[:200]
    names = {naming.artifact_name(["m"], key, join_dimensions=True) for key in keys}
    assert len(names) == len(keys)


@pytest.mark.parametrize("path", [[".hidden"], ["..", "x"], ["..%2f..", "etc"], ["...", "..."], ["."]])
def test_keys_starting_with_dots_get_names_the_store_accepts(path, tmp_path):
    name = naming.artifact_name(path)
    assert naming.is_valid_artifact_name(name) and not name.startswith(".")
    checks = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.checks")
    checks.check_id(checks.ArtifactId("team", "proj", name))  # what the store refuses, it never gets

    @dg.multi_asset(outs={"out": dg.AssetOut(key=dg.AssetKey(path))})  # an op name of its own: keys are free
    def hidden():
        return [1, 2]

    @dg.asset(ins={"upstream": dg.AssetIn(key=dg.AssetKey(path))})
    def reader(upstream: list) -> list:
        return upstream

    integration = import_module(f"{PACKAGE_NAME}.wandb_integration")
    resource = integration.WandbResource(entity="team", project="proj", mode="offline")
    io_manager = integration.WandbArtifactsIOManager(wandb_resource=resource, base_dir=str(tmp_path))
    result = dg.materialize([hidden, reader], resources={"io_manager": io_manager})
    assert result.output_for_node("reader") == [1, 2]
    assert {p.name for p in (tmp_path / "wandb" / "artifacts" / "team" / "proj").iterdir()} >= {name}
