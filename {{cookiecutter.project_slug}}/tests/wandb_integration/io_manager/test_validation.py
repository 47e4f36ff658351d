"""Mistakes caught at load: every wandb_artifact_configuration is checked when the code location loads,
naming the asset or op, the input or output, the key and the allowed keys (validation.py)."""

import dagster as dg
import pytest

from tests._package import definitions, integration
from tests.conftest import ENTITY, PROJECT

Config = integration.WandbConfigurationError


def check(*assets, jobs=()):
    return integration.check_definitions(dg.Definitions(assets=list(assets), jobs=list(jobs)))


@dg.asset
def upstream() -> int:
    return 1


def test_a_misspelled_read_key_names_the_declaring_asset_the_input_the_key_and_the_allowed_keys():
    @dg.asset(ins={"model": dg.AssetIn("upstream", metadata={"wandb_artifact_configuration": {"alais": "best"}})})
    def evaluation(model: int) -> int:
        return model

    with pytest.raises(Config) as info:
        check(upstream, evaluation)
    message = str(info.value)
    for fragment in ("input 'model' of asset 'evaluation'", "reading asset 'upstream'", "'alais'", "alias, get"):
        assert fragment in message, message


@pytest.mark.parametrize(
    "key",
    [
        "wandb_artifact_configuraton",
        "wandb_artifacts_configuration",
        "wandb_artifact_config",
        "WANDB_ARTIFACT_CONFIGURATION",
        " wandb_artifact_configuration",
    ],
)
def test_a_misspelled_configuration_key_is_caught_at_load_and_at_run_time_not_ignored(key, resources, store):
    @dg.asset(metadata={key: {"type": "dataset", "aliases": ["best"]}})
    def table() -> int:
        return 1

    with pytest.raises(Config, match=rf"{key!r} is not one the W&B IO manager reads.*'wandb_artifact_configuration'"):
        check(table)
    result = dg.materialize([table], resources=resources, raise_on_error=False)
    assert not result.success and "wandb_artifact_configuration" in str(
        result.get_step_failure_events()[0].step_failure_data.error
    )
    assert store.list_artifacts(ENTITY, PROJECT) == []  # nothing written with the settings ignored


def test_other_metadata_keys_are_left_alone():
    @dg.asset(
        metadata={
            "wandb_note": "kept",
            "owner": "me",
            "wandb_artifact_configuration_notes": "the user's own",
            "wandb_artifact_configuration": {"type": "dataset"},
        }
    )
    def table() -> int:
        return 1

    check(table)


def test_outputs_of_assets_multi_assets_and_ops_are_checked_too():
    @dg.asset(metadata={"wandb_artifact_configuration": {"aliass": ["x"]}})
    def model() -> int:
        return 1

    with pytest.raises(Config, match=r"output of asset 'model'.*'aliass'.*allowed keys are add_dirs"):
        check(model)

    @dg.multi_asset(outs={"a": dg.AssetOut(metadata={"wandb_artifact_configuration": {"type": ""}})})
    def pair():
        yield dg.Output(1, "a")

    with pytest.raises(Config, match=r"output of asset 'a'.*type must be a non-empty string"):
        check(pair)

    @dg.op(out=dg.Out(metadata={"wandb_artifact_configuration": {"serialization_module": {"name": "json"}}}))
    def produce() -> int:
        return 1

    @dg.job
    def classic():
        produce()

    with pytest.raises(Config, match=r"output 'result' of op 'produce'.*'json' is not supported"):
        check(jobs=[classic])

    @dg.asset(metadata={"wandb_artifact_configuration": {"name": "something_else"}})
    def named() -> int:
        return 1

    with pytest.raises(Config, match=r"asset key names the artifact 'named'"):
        check(named)


def test_good_configurations_and_the_example_project_pass():
    @dg.asset(ins={"model": dg.AssetIn("upstream", metadata={"wandb_artifact_configuration": {"alias": "x"}})})
    def fine(model: int) -> int:
        return model

    defs = dg.Definitions(assets=[upstream, fine])
    assert integration.check_definitions(defs) is defs
    assert integration.check_definitions(definitions.defs()) is not None  # the project's own, as loaded


def test_the_code_location_itself_runs_the_check(monkeypatch):
    @dg.asset(ins={"model": dg.AssetIn("upstream", metadata={"wandb_artifact_configuration": {"gett": "Table"}})})
    def report(model: int) -> int:
        return model

    monkeypatch.setattr(dg, "load_from_defs_folder", lambda **kwargs: dg.Definitions(assets=[upstream, report]))
    with pytest.raises(Config, match=r"input 'model' of asset 'report'.*'gett'"):
        definitions.defs()
