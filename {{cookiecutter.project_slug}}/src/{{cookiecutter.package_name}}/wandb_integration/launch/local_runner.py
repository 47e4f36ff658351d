"""Run a Launch job's local entry point as a subprocess, streaming its output to Dagster.

A job without a queue, job or image is a script of this project: it runs here, the way a local-process
Launch would run it, in either mode. Offline the child's W&B environment is forced offline (no key, no
server, no error reports); online it gets the key and host of the resource.
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
from ..settings import WandbSettings
from .config import MASK

_PYTHON_NAMES = ("python", "python3")
# Offline a child must not inherit these: they would point it at a server or carry the key. WANDB_SERVICE
# (set by the parent's first wandb.init) would attach the child to the parent's wandb-core in either mode.
_ONLINE_ONLY = ("WANDB_API_KEY", "WANDB_BASE_URL")
_NEVER_INHERITED = ("WANDB_SERVICE",)
_TAIL_LINES = 20


def command_for(entry_point: Sequence[str], working_dir: Path) -> list[str]:
    """The command to run: ``python`` becomes this interpreter; it must name a script of the project."""
    if not entry_point:
        raise WandbConfigurationError("run_launch_job: entry_point is empty; e.g. ['python', 'launch/train.py'].")
    command = [sys.executable if entry_point[0] in _PYTHON_NAMES else entry_point[0], *entry_point[1:]]
    root = working_dir.resolve()
    candidates = [part for part in entry_point if not part.startswith("-") and ("/" in part or "." in part)]
    inside = [part for part in candidates if _is_file_inside(root, part)]
    outside = [part for part in candidates if part.endswith((".py", ".sh")) and part not in inside]
    if outside or not inside:
        named = outside[0] if outside else " ".join(entry_point)
        raise WandbConfigurationError(
            f"run_launch_job: entry_point script {named!r} is not a file inside {root}; without a queue, job or "
            "docker_image only scripts of this project run here (start Dagster from the project root). "
            "Remote code needs a W&B job and a server."
        )
    return command


def _is_file_inside(root: Path, part: str) -> bool:
    path = (root / part).resolve()
    return path.is_file() and path.is_relative_to(root)


def parameter_args(parameters: Mapping[str, Any]) -> list[str]:
    """``parameters`` as ``--key=value`` arguments, the form argparse-based entry points read."""
    return [f"--{key}={value}" for key, value in parameters.items()]


def child_env(
    base: Mapping[str, str], settings: WandbSettings, *, run_id: str | None, name: str | None
) -> dict[str, str]:
    """The entry point's environment: the project's entity/project, its own W&B dir, and the mode's access."""
    env = {key: value for key, value in base.items() if key not in _NEVER_INHERITED}
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    env.update(
        {"WANDB_ENTITY": settings.entity, "WANDB_PROJECT": settings.project, "WANDB_DIR": str(settings.runs_dir)}
    )
    if run_id:
        env["WANDB_RUN_ID"] = run_id
    if name:
        env["WANDB_NAME"] = name
    if settings.mode == "offline":
        for key in _ONLINE_ONLY:
            env.pop(key, None)
        env.update({"WANDB_MODE": "offline", "WANDB_ERROR_REPORTING": "false"})
    else:
        if settings.api_key:
            env["WANDB_API_KEY"] = settings.api_key
        if settings.host:
            env["WANDB_BASE_URL"] = settings.host
    return env


def run_local(
    command: list[str],
    *,
    working_dir: Path,
    env: Mapping[str, str],
    log: Callable[[str], None],
    secrets: Sequence[str] = (),
) -> int:
    """Run ``command``, logging each output line (secrets masked); a non-zero exit raises ``Failure``."""

    def scrub(line: str) -> str:
        for secret in secrets:
            line = line.replace(secret, MASK)
        return line

    log(f"running the entry point locally in {working_dir}: {scrub(' '.join(command))}")
    tail: list[str] = []
    with subprocess.Popen(
        command,
        cwd=working_dir,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            clean = scrub(line.rstrip())
            log(clean)
            tail = [*tail[-(_TAIL_LINES - 1) :], clean]
        code = process.wait()
    if code != 0:
        raise dg.Failure(
            description=f"the local Launch entry point exited with code {code}: {scrub(' '.join(command))}",
            metadata={"exit_code": code, "command": scrub(" ".join(command)), "output_tail": "\n".join(tail)},
        )
    return code


def working_directory() -> Path:
    """Where entry points are resolved: the directory Dagster was started from (the project root)."""
    return Path(os.getcwd())
