"""The shared test environment honestly stands for a real install of a generated project.

Every bake's tests run in this repository's ``.venv`` instead of installing the project, so each pinned
requirement of the generated ``pyproject.toml`` (runtime, extras and dev group) must be satisfied here.
"""

import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement

from .conftest import TEMPLATE_DIR

# Production-only extras that no test imports (a database driver for the Kubernetes deployment).
NOT_IN_SHARED_ENV = {"dagster-postgres"}


def generated_requirements() -> list[str]:
    text = (TEMPLATE_DIR / "pyproject.toml").read_text()
    # Only the versions are templated; render them the way cookiecutter does.
    text = text.replace("{{ cookiecutter._dagster_version }}", "1.13").replace(
        "{{ cookiecutter._wandb_version }}", "0.31"
    )
    lines = [line for line in text.splitlines() if "{{" not in line]
    pyproject = tomllib.loads("\n".join(lines))
    requirements = list(pyproject["project"]["dependencies"])
    for extra in pyproject["project"].get("optional-dependencies", {}).values():
        requirements += extra
    requirements += [r for r in pyproject["dependency-groups"]["dev"] if isinstance(r, str)]
    return [r for r in requirements if Requirement(r).name not in NOT_IN_SHARED_ENV]


@pytest.mark.parametrize("requirement", generated_requirements())
def test_requirement_is_satisfied_by_the_shared_environment(requirement):
    parsed = Requirement(requirement)
    installed = metadata.version(parsed.name)
    assert parsed.specifier.contains(installed, prereleases=True), f"{parsed.name} {installed} vs {requirement}"


def test_core_pins_are_the_supported_series():
    pins = {Requirement(r).name: str(Requirement(r).specifier) for r in generated_requirements()}
    assert pins["dagster"] == "==1.13.*"
    assert pins["wandb"] == "==0.31.*"
