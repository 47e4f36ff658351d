"""`make lint` holds: the template repository's own Python lints and formats clean with ruff.

The template folder is excluded by a glob whose braces are escaped (`[{][{]...`): written plainly, ruff
reads `{...}` as an alternation, the folder is not excluded and ruff fails on its Jinja `pyproject.toml`.
"""

import subprocess

import pytest

from .conftest import BIN, REPO


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_the_repository_lints_clean(command):
    completed = subprocess.run(
        [str(BIN / "ruff"), *command], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
