"""Shared helpers for the template's tests: baking, and the one environment every bake runs in.

Bakes are cached per option combination for the session, so a combination is rendered once however many
tests look at it. Generated projects run with the repository's own ``.venv`` (its ``generated`` dependency
group holds what they need) and ``PYTHONPATH=src`` instead of installing each bake.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = REPO / "{{cookiecutter.project_slug}}"
BIN = Path(sys.executable).parent
DEFAULTS = json.loads((REPO / "cookiecutter.json").read_text())


def bake(output_dir: Path, **answers) -> Path:
    return Path(cookiecutter(str(REPO), no_input=True, output_dir=str(output_dir), extra_context=answers))


def answers_of(project: Path) -> dict:
    return json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]


def project_env(project: Path) -> dict[str, str]:
    """The environment a baked project's own tools run in: offline, wandb writing under the project."""
    scratch = project / ".wandb-scratch"
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "WANDB_MODE": "offline", "DAGSTER_DISABLE_TELEMETRY": "1"}
    for name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
        env[name] = str(scratch / name.lower())
    env.pop("WANDB_API_KEY", None)
    return env


def python_files_compile(project: Path) -> None:
    """Every ``.py`` file of ``project`` compiles (a SyntaxError names the file).

    ``compile`` to bytecode, not ``ast.parse``: on CPython 3.11 before 3.11.8, building Python syntax trees
    can fail with a spurious "AST constructor recursion depth mismatch" while another thread builds them
    too (python/cpython#106905), as pydantic does in wandb's threads.
    """
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec", dont_inherit=True)


def run_in(project: Path, *command: str, timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=project,
        env={**project_env(project), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def baked(tmp_path_factory):
    """``baked(**answers)``: the project for those answers, baked once per session."""
    cache: dict[tuple, Path] = {}

    def get(**answers) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in cache:
            cache[key] = bake(tmp_path_factory.mktemp("bake"), **answers)
        return cache[key]

    return get
