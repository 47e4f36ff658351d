"""Run a Launch job's local entry point as a subprocess, offline, streaming its output to Dagster.

Used when Launch cannot reach a server (no API key, or ``WANDB_MODE=offline``) and the job is a script in
the project: the same command a local-process Launch would run, with the W&B environment forced offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from ..errors import WandbConfigurationError
from .config import MASK

_PYTHON_NAMES = ("python", "python3")
# Variables a child must not inherit offline: they would point it at a server or carry the key.
_ONLINE_ONLY = ("WANDB_API_KEY", "WANDB_BASE_URL", "WANDB_SERVICE")


def command_for(entry_point: Sequence[str], working_dir: Path) -> list[str]:
    """The command to run: ``python`` becomes this interpreter; the script must exist in the project."""
    if not entry_point:
        raise WandbConfigurationError("run_launch_job: entry_point is empty; e.g. ['python', 'launch/train.py'].")
    command = [sys.executable if entry_point[0] in _PYTHON_NAMES else entry_point[0], *entry_point[1:]]
    scripts = [part for part in command[1:] if part.endswith(".py")]
    for script in scripts:
        path = (working_dir / script).resolve()
        if not path.is_file() or not path.is_relative_to(working_dir.resolve()):
            raise WandbConfigurationError(
                f"run_launch_job: entry_point script {script!r} is not a file inside {working_dir}; "
                "offline, Launch can only run scripts of this project (remote jobs need a W&B server)."
            )
    return command


def parameter_args(parameters: Mapping[str, Any]) -> list[str]:
    return [f"--{key}={value}" for key, value in parameters.items()]


def offline_env(base: Mapping[str, str], run_id: str | None, wandb_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in base.items() if key not in _ONLINE_ONLY}
    env.update({"WANDB_MODE": "offline", "WANDB_ERROR_REPORTING": "false", "WANDB_DIR": str(wandb_dir)})
    if run_id:
        env["WANDB_RUN_ID"] = run_id
    return env


def run_local(
    command: list[str],
    *,
    working_dir: Path,
    env: Mapping[str, str],
    log: Callable[[str], None],
    secrets: Sequence[str] = (),
) -> int:
    """Run ``command``, logging each output line (secrets masked); return the exit code."""

    def scrub(line: str) -> str:
        for secret in secrets:
            line = line.replace(secret, MASK)
        return line

    log(f"running locally (offline): {scrub(' '.join(command))}")
    tail: list[str] = []
    with subprocess.Popen(
        command, cwd=working_dir, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            clean = scrub(line.rstrip())
            log(clean)
            tail = [*tail[-19:], clean]
        code = process.wait()
    if code != 0:
        raise dg.Failure(
            description=f"the local Launch entry point exited with code {code}",
            metadata={"exit_code": code, "command": scrub(" ".join(command)), "output_tail": "\n".join(tail)},
        )
    return code


def working_directory() -> Path:
    """Where entry points are resolved: the directory Dagster was started from (the project root)."""
    return Path(os.getcwd())
