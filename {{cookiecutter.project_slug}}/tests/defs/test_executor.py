"""The executor switch: each DAGSTER_EXECUTOR choice on a job, wrong values, the local-store warning.

The engine packages (dagster-k8s, dagster-docker, dagster-celery) are dev dependencies, so every choice
resolves to the real executor definition; nothing here starts a pod, a container or a worker.
"""

import importlib
import sys
import warnings

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME

executor = importlib.import_module(f"{PACKAGE_NAME}.defs.executor")
definitions = importlib.import_module(f"{PACKAGE_NAME}.definitions")

MULTI_MACHINE = ["k8s", "docker", "celery"]
REAL_EXECUTORS = {
    "in_process": lambda: dg.in_process_executor,
    "k8s": lambda: importlib.import_module("dagster_k8s").k8s_job_executor,
    "docker": lambda: importlib.import_module("dagster_docker").docker_executor,
    "celery": lambda: importlib.import_module("dagster_celery").celery_executor,
}


@dg.asset
def executor_probe() -> int:
    return 1


def job_executor(project_defs: dg.Definitions | None = None) -> dg.ExecutorDefinition:
    """The executor an asset job gets beside the executor definitions (or the whole project's)."""
    defs = dg.Definitions.merge(
        project_defs if project_defs is not None else executor.executor_definitions(),
        dg.Definitions(assets=[executor_probe], jobs=[dg.define_asset_job("executor_probe_job", [executor_probe])]),
    )
    return defs.resolve_job_def("executor_probe_job").executor_def


def configured_max_concurrent(executor_def: dg.ExecutorDefinition) -> int:
    return executor_def.apply_config_mapping({}).value["config"]["max_concurrent"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (executor.EXECUTOR_ENV_VAR, executor.MAX_CONCURRENT_ENV_VAR, executor.SHARED_STORE_ENV_VAR):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("choice", sorted(executor.ENGINES))
def test_each_choice_resolves_on_the_job(clean_env: pytest.MonkeyPatch, choice: str) -> None:
    clean_env.setenv(executor.EXECUTOR_ENV_VAR, choice)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", executor.LocalStoreAcrossMachinesWarning)
        executor_def = job_executor()
    assert executor_def.name == choice
    if choice in REAL_EXECUTORS:
        assert executor_def is REAL_EXECUTORS[choice]()


def test_default_is_multiprocess_with_a_step_limit() -> None:
    executor_def = job_executor()
    assert executor_def.name == "multiprocess"
    assert configured_max_concurrent(executor_def) == executor.DEFAULT_MAX_CONCURRENT


def test_step_limit_comes_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv(executor.MAX_CONCURRENT_ENV_VAR, "2")
    assert configured_max_concurrent(job_executor()) == 2


def test_choice_ignores_case_and_spaces() -> None:
    assert executor.executor_from_env({executor.EXECUTOR_ENV_VAR: " In_Process "}).name == "in_process"


def test_wrong_choice_names_it_and_lists_the_valid_ones(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv(executor.EXECUTOR_ENV_VAR, "kubernetes")
    with pytest.raises(executor.ExecutorChoiceError) as caught:
        job_executor()
    message = str(caught.value)
    assert "DAGSTER_EXECUTOR='kubernetes'" in message
    for choice in ("in_process", "multiprocess", "k8s", "docker", "celery"):
        assert choice in message


@pytest.mark.parametrize("value", ["0", "-3", "four", "2.5"])
def test_wrong_step_limit_is_named(value: str) -> None:
    with pytest.raises(executor.ExecutorChoiceError, match=f"DAGSTER_MAX_CONCURRENT={value!r}"):
        executor.executor_from_env({executor.MAX_CONCURRENT_ENV_VAR: value})


def test_missing_engine_names_the_extra_to_install(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setitem(sys.modules, "dagster_k8s", None)  # makes `import dagster_k8s` fail
    with pytest.raises(executor.ExecutorChoiceError, match=r"uv sync --extra k8s") as caught:
        executor.executor_from_env({executor.EXECUTOR_ENV_VAR: "k8s", executor.SHARED_STORE_ENV_VAR: "1"})
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.parametrize("choice", MULTI_MACHINE)
def test_local_store_under_a_multi_machine_executor_warns(clean_env: pytest.MonkeyPatch, choice: str) -> None:
    # The test session is offline (conftest sets WANDB_MODE=offline), so the store is local.
    clean_env.setenv(executor.EXECUTOR_ENV_VAR, choice)
    with pytest.warns(executor.LocalStoreAcrossMachinesWarning) as caught:
        job_executor()
    message = str(caught[0].message)
    assert f"DAGSTER_EXECUTOR={choice}" in message
    assert "WANDB_MODE=offline" in message  # why the store is local
    for remedy in ("WANDB_API_KEY", "ReadWriteMany", executor.SHARED_STORE_ENV_VAR, "deploy/README.md"):
        assert remedy in message


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({"DAGSTER_EXECUTOR": "k8s", "WANDB_API_KEY": "x" * 40}, id="k8s-online"),
        pytest.param({"DAGSTER_EXECUTOR": "k8s", "WANDB_LOCAL_STORE_SHARED": "1"}, id="k8s-shared-store"),
        pytest.param({"DAGSTER_EXECUTOR": "multiprocess", "WANDB_MODE": "offline"}, id="one-machine"),
        pytest.param({"DAGSTER_EXECUTOR": "in_process", "WANDB_MODE": "offline"}, id="one-process"),
    ],
)
def test_no_warning_when_every_step_reaches_the_store(clean_env: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    clean_env.setattr(executor, "WANDB_MODE", "auto")  # the project's mode, whatever was baked
    with warnings.catch_warnings():
        warnings.simplefilter("error", executor.LocalStoreAcrossMachinesWarning)
        executor.executor_from_env(environ)


@pytest.mark.parametrize(("mode", "warns"), [("online", False), ("offline", True)])
def test_the_projects_mode_decides_with_a_key_set(clean_env: pytest.MonkeyPatch, mode: str, warns: bool) -> None:
    clean_env.setattr(executor, "WANDB_MODE", mode)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        executor.executor_from_env({"DAGSTER_EXECUTOR": "celery", "WANDB_API_KEY": "x" * 40})
    found = [w for w in caught if issubclass(w.category, executor.LocalStoreAcrossMachinesWarning)]
    assert bool(found) is warns


def test_project_definitions_pick_up_the_executor(clean_env: pytest.MonkeyPatch) -> None:
    """The defs/ autoloader finds executor.py: a job of the project runs on the chosen executor."""
    clean_env.setenv(executor.EXECUTOR_ENV_VAR, "in_process")
    assert job_executor(definitions.defs()) is dg.in_process_executor
