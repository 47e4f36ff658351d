"""Mode resolution and settings validation."""

from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration

settings = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")


@pytest.mark.parametrize(
    ("requested", "api_key", "environ", "mode"),
    [
        ("auto", None, {}, "offline"),
        ("auto", "k" * 40, {}, "online"),
        ("auto", None, {"WANDB_API_KEY": "k" * 40}, "online"),
        ("auto", "k" * 40, {"WANDB_MODE": "offline"}, "offline"),
        ("online", "k" * 40, {"WANDB_MODE": "disabled"}, "offline"),
        ("offline", "k" * 40, {}, "offline"),
        ("online", None, {"WANDB_API_KEY": "k" * 40}, "online"),
        ("offline", "k" * 40, {"WANDB_MODE": "online"}, "online"),  # the environment wins, both ways
        ("auto", None, {"WANDB_MODE": "dryrun"}, "offline"),
        ("auto", "k" * 40, {"WANDB_MODE": "run"}, "online"),
    ],
)
def test_resolve_mode(requested, api_key, environ, mode):
    resolved, reason = settings.resolve_mode(requested, api_key, environ)
    assert resolved == mode
    assert reason


def test_unknown_mode_is_named():
    with pytest.raises(integration.WandbConfigurationError, match="'sometimes'"):
        settings.resolve_mode("sometimes", None, {})


def test_online_without_a_key_says_how_to_fix(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    with pytest.raises(integration.WandbConfigurationError, match="WANDB_API_KEY"):
        settings.WandbSettings.build(entity="e", project="p", mode="online", base_dir=tmp_path)


@pytest.mark.parametrize(
    ("entity", "project", "named"),
    [("", "p", "entity"), ("e", "", "project"), ("my team", "p", "'my team'"), ("e", "a/b", "'a/b'")],
)
def test_invalid_entity_or_project(tmp_path, entity, project, named):
    with pytest.raises(integration.WandbConfigurationError, match=named):
        settings.WandbSettings.build(entity=entity, project=project, mode="offline", base_dir=tmp_path)


def test_api_key_is_not_in_the_repr(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    secret = "s" * 40
    built = settings.WandbSettings.build(entity="e", project="p", mode="auto", base_dir=tmp_path, api_key=secret)
    assert secret not in repr(built)


def test_base_dir_falls_back_to_dagster_home(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert settings.default_base_dir(None) == tmp_path
    monkeypatch.delenv("DAGSTER_HOME")
    with pytest.raises(integration.WandbConfigurationError, match="DAGSTER_HOME"):
        settings.default_base_dir(None)


def test_wandb_mode_online_without_a_key_says_where_online_came_from_and_how_to_give_a_key():
    with pytest.raises(integration.WandbModeError) as info:
        settings.resolve_mode("auto", None, {"WANDB_MODE": "online"})
    assert "WANDB_MODE=online is set in the environment" in str(info.value)
    assert "WANDB_API_KEY" in str(info.value) and "WANDB_MODE=offline" in str(info.value)
    with pytest.raises(integration.WandbModeError, match=r"mode 'online' is configured.*constants\.py"):
        settings.resolve_mode("online", None, {})


def test_wandb_modes_of_wandb_itself_are_mapped_and_others_refused():
    mode, reason = settings.resolve_mode("online", "k" * 40, {"WANDB_MODE": "disabled"})
    assert mode == "offline" and "nothing goes to W&B" in reason
    with pytest.raises(integration.WandbConfigurationError, match=r"WANDB_MODE='offlne'"):
        settings.resolve_mode("auto", None, {"WANDB_MODE": "offlne"})


def test_the_first_thing_a_run_logs_from_the_integration_is_the_mode_and_why(wandb_resource):
    @dg.asset
    def tiny() -> int:
        return 1

    with dg.DagsterInstance.ephemeral() as instance:
        manager = integration.WandbArtifactsIOManager(wandb_resource=wandb_resource)
        result = dg.materialize([tiny], resources={"io_manager": manager}, instance=instance)
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    ours = [m for m in messages if "W&B" in m or "wandb" in m.lower()]
    assert ours and ours[0].startswith("W&B mode: offline (WANDB_MODE=offline is set in the environment)")
    first_output = next(i for i, m in enumerate(messages) if "Yielded output" in m)
    assert messages.index(ours[0]) < first_output
