"""Artifact names: readable when possible, always valid for W&B, never shared by two keys."""

import itertools
from importlib import import_module

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
