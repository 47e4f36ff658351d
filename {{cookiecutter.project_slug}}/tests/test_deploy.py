"""deploy/: the Dockerfile and dagster.yaml are well formed and agree with the code; the README matches.

No Docker daemon or cluster is needed: the Dockerfile is parsed into instructions, dagster.yaml is validated
against Dagster's own instance and run launcher schemas.
"""

import importlib
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config

from tests._package import PACKAGE_NAME

executor = importlib.import_module(f"{PACKAGE_NAME}.defs.executor")
constants = importlib.import_module(f"{PACKAGE_NAME}.defs.constants")

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
INSTRUCTIONS = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "ONBUILD", "RUN"}
    | {"SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return dockerfile_instructions((DEPLOY / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def instance_yaml() -> dict:
    return yaml.safe_load((DEPLOY / "dagster.yaml").read_text())


def args(dockerfile: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile if instruction == keyword]


def test_dockerfile_parses_into_known_instructions(dockerfile: list[tuple[str, str]]) -> None:
    assert {instruction for instruction, _ in dockerfile} <= INSTRUCTIONS
    first_non_arg = next(instruction for instruction, _ in dockerfile if instruction != "ARG")
    assert first_non_arg == "FROM"  # only ARG may come before the first FROM


def test_dockerfile_installs_with_uv_from_the_lock(dockerfile: list[tuple[str, str]]) -> None:
    assert any("ghcr.io/astral-sh/uv" in line for line in args(dockerfile, "FROM"))
    syncs = [line for line in args(dockerfile, "RUN") if "uv sync" in line]
    assert syncs
    assert all("--frozen" in line and "--no-dev" in line for line in syncs)


def test_dockerfile_copies_only_files_that_exist(dockerfile: list[tuple[str, str]]) -> None:
    for line in args(dockerfile, "COPY"):
        if line.startswith("--from="):
            continue
        *sources, _target = line.split()
        # uv.lock is written by `uv lock` (the guide's first step), not shipped by the template.
        missing = [src for src in sources if src != "uv.lock" and not (ROOT / src).exists()]
        assert not missing, f"COPY {line}: {missing} not in the project"


def test_dockerfile_engine_is_an_extra_and_an_executor(dockerfile: list[tuple[str, str]]) -> None:
    engine = next(line.split("=", 1)[1] for line in args(dockerfile, "ARG") if line.startswith("ENGINE="))
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert engine in extras
    assert engine in executor.ENGINES
    assert any(f"{executor.EXECUTOR_ENV_VAR}=" in line for line in args(dockerfile, "ENV"))


def test_dockerfile_serves_the_package_definitions(dockerfile: list[tuple[str, str]]) -> None:
    (command,) = args(dockerfile, "CMD")
    argv = json.loads(command)  # exec form: signals reach the gRPC server
    assert argv[:3] == ["dagster", "api", "grpc"]
    module = argv[argv.index("--module-name") + 1]
    assert module == f"{PACKAGE_NAME}.definitions"
    assert hasattr(importlib.import_module(module), "defs")
    port = argv[argv.index("--port") + 1]
    assert port in args(dockerfile, "EXPOSE")
    location = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dg"]["project"]["code_location_name"]
    assert argv[argv.index("--location-name") + 1] == location


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((DEPLOY / "Dockerfile.dockerignore").read_text().split())
    assert {".env", ".venv", ".dagster_home"} <= ignored


def test_instance_yaml_is_valid_dagster_config(tmp_path: Path) -> None:
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _instance_class = dagster_instance_config(str(tmp_path))  # raises on an invalid instance config
    assert "postgres" in config["storage"]


def test_instance_yaml_runs_on_kubernetes(instance_yaml: dict) -> None:
    launcher = instance_yaml["run_launcher"]
    launcher_class = getattr(importlib.import_module(launcher["module"]), launcher["class"])
    assert launcher_class.__name__ == "K8sRunLauncher"
    result = validate_config(launcher_class.config_type(), launcher["config"])
    assert result.success, result.errors
    assert "wandb" in launcher["config"]["env_secrets"]


def test_instance_yaml_limits_pools(instance_yaml: dict) -> None:
    pools = instance_yaml["concurrency"]["pools"]
    assert pools["default_limit"] >= 1
    assert pools["granularity"] == "op"
    assert f"concurrency set {constants.WANDB_POOL}" in (DEPLOY / "dagster.yaml").read_text()


def test_no_secret_in_instance_yaml(instance_yaml: dict) -> None:
    # Comments may say where the key comes from; no parsed value may carry it.
    assert "WANDB_API_KEY" not in json.dumps(instance_yaml)
    assert instance_yaml["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}


def scaling_out_section() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Scaling out\n(.*?)(?=^## |\Z)", readme, flags=re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Scaling out' section"
    return match.group(1)


def test_readme_scaling_out_names_files_that_exist() -> None:
    section = scaling_out_section()
    paths = set(re.findall(r"`((?:src|deploy|defs)/[\w./-]+)`", section))
    assert {"deploy/Dockerfile", "deploy/dagster.yaml", "deploy/README.md"} <= paths
    for path in paths:
        candidate = ROOT / path if not path.startswith("defs/") else ROOT / "src" / PACKAGE_NAME / path
        assert candidate.exists(), f"README 'Scaling out' names {path}, which does not exist"


def test_readme_scaling_out_matches_the_code() -> None:
    section = scaling_out_section()
    for name in (executor.EXECUTOR_ENV_VAR, executor.MAX_CONCURRENT_ENV_VAR, "WANDB_POOL", *executor.ENGINES):
        assert name in section
    assert f"default {executor.DEFAULT_MAX_CONCURRENT}" in section
    assert f"concurrency set {constants.WANDB_POOL}" in section
    assert f"{PACKAGE_NAME}.definitions" in section


def test_deploy_readme_describes_every_deploy_file() -> None:
    guide = (DEPLOY / "README.md").read_text()
    for path in DEPLOY.iterdir():
        assert f"`{path.name}`" in guide or path.name == "README.md"
