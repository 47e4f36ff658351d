"""Parsing of ``wandb_artifact_configuration``: accepted shapes and the errors for everything else."""

from importlib import import_module

import pytest

from tests._package import PACKAGE_NAME, integration

config = import_module(f"{PACKAGE_NAME}.wandb_integration.artifact_configuration")
Error = integration.WandbConfigurationError


def test_write_config_round_trip_keeps_user_aliases_untouched():
    aliases = ["best"]
    parsed = config.parse_write_config(
        {
            "type": "dataset",
            "description": "d",
            "aliases": aliases,
            "serialization_module": {"name": "joblib", "parameters": {"compress": 3}},
        },
        "output",
    )
    assert parsed.type == "dataset"
    assert parsed.aliases == ("best",)
    assert parsed.serialization_module == "joblib"
    assert parsed.serialization_parameters == {"compress": 3}
    assert aliases == ["best"]


def test_legacy_key_is_accepted_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="wandb_artifact_arguments"):
        raw = config.raw_configuration({"wandb_artifact_arguments": {"type": "dataset"}}, "output")
    assert raw == {"type": "dataset"}


def test_partition_defaults_are_extended_by_explicit_keys():
    parsed = config.parse_read_config(
        {"partitions": {"*": {"get": "Table", "alias": "latest"}, "a": {"version": "v2"}}}, "input"
    )
    assert parsed.for_partition("a") == config.ReadSpec(version=2, get="Table")
    assert parsed.for_partition("b") == config.ReadSpec(alias="latest", get="Table")
    assert parsed.from_defaults("a") == {"get"} and parsed.from_defaults("b") == {"get", "alias"}
    assert parsed.from_defaults("*") == {"get", "alias"} and parsed.from_defaults(None) == set()


@pytest.mark.parametrize(
    ("parse", "raw", "named"),
    [
        ("write", {"typo": 1}, "'typo'"),
        ("write", {"aliases": "best"}, "'best'"),
        ("write", {"serialization_module": {"name": "marshal"}}, "'marshal'"),
        ("write", {"serialization_module": {"name": "pickle", "parameters": [1]}}, "[1]"),
        ("write", {"serialization_module": {"name": "pickle", "extra": 1}}, "'extra'"),
        ("write", {"add_files": [{"local_path": "x"}, "y"]}, "add_files"),
        ("write", {"type": ""}, "type"),
        ("read", {"version": "v1", "alias": "best"}, "'best'"),
        ("read", {"get": "Table", "get_path": "a.png"}, "'a.png'"),
        ("read", {"version": "latest"}, "'latest'"),
        ("read", {"partitions": ["a"]}, "['a']"),
        ("read", {"partitions": {"a": {"gett": "Table"}}}, "'gett'"),
        ("read", {"partitions": {"a": "v1"}}, "partitions['a']"),
        ("read", {"type": "dataset"}, "'type'"),
    ],
)
def test_invalid_configuration_names_the_offending_value(parse, raw, named):
    parser = config.parse_write_config if parse == "write" else config.parse_read_config
    with pytest.raises(Error) as excinfo:
        parser(raw, "output 'result' of asset 'x'")
    assert named in str(excinfo.value)
    assert "asset 'x'" in str(excinfo.value)


def test_configuration_must_be_a_dict():
    with pytest.raises(Error, match="got list"):
        config.raw_configuration({"wandb_artifact_configuration": ["type"]}, "output")


def test_both_spellings_at_once_is_an_error():
    with pytest.raises(Error, match="both"):
        config.raw_configuration({"wandb_artifact_configuration": {}, "wandb_artifact_arguments": {}}, "output")
