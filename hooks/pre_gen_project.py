"""Validate the answers before anything is written.

Cookiecutter renders this file with Jinja first. Every answer is embedded as JSON inside a raw string
literal and read back with ``json.loads``, so quotes, backslashes, newlines or Python code in an answer
stay data and are never executed.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# Packages a generated project imports: a package of the same name would shadow them.
THIRD_PARTY_MODULES = frozenset(
    {
        "dagster",
        "dagster_webserver",
        "dagster_graphql",
        "dagster_dg_cli",
        "wandb",
        "pandas",
        "numpy",
        "pyarrow",
        "sklearn",
        "scipy",
        "matplotlib",
        "joblib",
        "dill",
        "cloudpickle",
        "pydantic",
        "pytest",
        "tests",
    }
)
PACKAGE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{0,59}$")
# W&B entity names: letters, digits, hyphens and underscores.
ENTITY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# A conservative subset of what W&B accepts in project names: the name is written into Python and YAML.
PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,127}$")
PLACEHOLDER_ENTITY = "my-entity"


class AnswerError(ValueError):
    """An answer that cannot make a working project; the message says which and what to use."""


def check_package_name(name: str) -> None:
    if not PACKAGE_NAME_RE.match(name):
        raise AnswerError(
            f"package_name {name!r} is not a lowercase Python identifier of at most 60 characters; "
            "use letters, digits and underscores, starting with a letter (e.g. 'wine_quality_ml')."
        )
    if keyword.iskeyword(name):
        raise AnswerError(f"package_name {name!r} is a Python keyword; use another name such as '{name}_ml'.")
    if name in sys.stdlib_module_names or name in THIRD_PARTY_MODULES:
        raise AnswerError(
            f"package_name {name!r} would shadow the module of the same name; "
            f"use a project-specific name such as '{name}_pipeline'."
        )


def check_project_slug(slug: str) -> None:
    if not SLUG_RE.match(slug):
        raise AnswerError(
            f"project_slug {slug!r} is not a valid folder and distribution name; "
            "use up to 60 lowercase letters, digits and hyphens, starting with a letter (e.g. 'wine-quality-ml')."
        )


def check_wandb_names(entity: str, project: str) -> None:
    if not ENTITY_RE.match(entity):
        raise AnswerError(
            f"wandb_entity {entity!r} is not a W&B user or team name; "
            "use letters, digits, '-' and '_' only (e.g. 'my-team')."
        )
    if not PROJECT_RE.match(project):
        raise AnswerError(
            f"wandb_project {project!r} is not a W&B project name this template accepts; "
            "use up to 128 letters, digits, '-', '_', '.' or spaces, starting with a letter or digit."
        )


def check_combinations(answers: dict) -> None:
    if answers["default_mode"] == "online" and answers["wandb_entity"] == PLACEHOLDER_ENTITY:
        raise AnswerError(
            f"default_mode 'online' would send every run to the placeholder entity {PLACEHOLDER_ENTITY!r}; "
            "set wandb_entity to your W&B user or team, or choose default_mode 'auto'."
        )


def check_single_line(answers: dict) -> None:
    examples = {"project_name": "'Wine Quality ML'", "description": "'Churn prediction on W&B'"}
    for key in ("project_name", "description"):
        value = answers[key]
        if not value.strip():
            raise AnswerError(f"{key} is empty; give one line of text, e.g. {examples[key]}.")
        if any(ch in value for ch in "\r\n\x00"):
            raise AnswerError(f"{key} {value!r} must be one line of text; remove the line breaks.")


def validate(answers: dict) -> None:
    check_single_line(answers)
    check_project_slug(answers["project_slug"])
    check_package_name(answers["package_name"])
    check_wandb_names(answers["wandb_entity"], answers["wandb_project"])
    check_combinations(answers)


def main() -> int:
    try:
        validate(ANSWERS)
    except AnswerError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
