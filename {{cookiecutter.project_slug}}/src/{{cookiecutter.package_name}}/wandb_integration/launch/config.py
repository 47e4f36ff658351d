"""Config of the Launch ops: the keys of the public integration, typed and described, plus validation.

Config classes reject unknown keys (Dagster's config system does), so a typo in run config YAML fails
before the op starts. Values that look secret are masked wherever config is logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from ..errors import WandbConfigurationError

_SECRET_KEY = re.compile(r"key|token|secret|password|passwd|credential|auth", re.IGNORECASE)
MASK = "********"


class LaunchAgentConfig(dg.Config):
    """A W&B Launch agent polling queues of the configured entity."""

    queues: list[str] = Field(description="Names of the Launch queues the agent polls.")
    max_jobs: int = Field(default=1, description="Jobs the agent runs at once (-1: unlimited).")


class LaunchJobConfig(dg.Config):
    """One W&B Launch job: enqueued when ``queue`` is set, otherwise launched from this process."""

    uri: str | None = Field(default=None, description="URI of the code to run (git repository); not with job.")
    job: str | None = Field(default=None, description="W&B job artifact, e.g. 'entity/project/job-name:latest'.")
    queue: str | None = Field(default=None, description="Launch queue to enqueue into; unset runs it here.")
    entry_point: list[str] | None = Field(
        default=None, description="Command to run, e.g. ['python', 'launch/train.py']."
    )
    version: str | None = Field(default=None, description="Git commit or branch for uri-based jobs.")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Run config overrides the job reads from wandb.config."
    )
    name: str | None = Field(default=None, description="Name of the launched W&B run.")
    resource: str | None = Field(
        default=None, description="Execution backend: local-process, local-container, kubernetes, …"
    )
    resource_args: dict[str, Any] = Field(default_factory=dict, description="Backend-specific arguments.")
    docker_image: str | None = Field(default=None, description="Image to run the job in.")
    config: dict[str, Any] = Field(default_factory=dict, description="Launch config (overrides, resource_args, …).")
    synchronous: bool = Field(default=True, description="Wait for the job to finish and report its final state.")
    cuda: bool | None = Field(
        default=None, description="Accepted for compatibility; wandb 0.31 has no such option (use docker_image)."
    )
    run_id: str | None = Field(default=None, description="W&B run id for the launched run.")

    def check(self) -> None:
        if self.uri and self.job:
            raise WandbConfigurationError(
                f"run_launch_job: uri {self.uri!r} and job {self.job!r} are both set; give one source."
            )
        if not (self.uri or self.job or self.entry_point):
            raise WandbConfigurationError(
                "run_launch_job: nothing to run; set job (a W&B job), uri (a git repository) or entry_point."
            )
        if self.uri and not self.queue:
            raise WandbConfigurationError(
                f"run_launch_job: uri {self.uri!r} without a queue; wandb 0.31 runs uri jobs only through a "
                "queue. Set queue, or create a job from the repository and set job."
            )

    def launch_config(self) -> dict[str, Any]:
        """``config`` with ``parameters`` as run config overrides, as W&B Launch expects them."""
        merged = {key: value for key, value in self.config.items()}
        if self.parameters:
            overrides = dict(merged.get("overrides", {}))
            overrides["run_config"] = {**overrides.get("run_config", {}), **self.parameters}
            merged["overrides"] = overrides
        return merged


def masked(value: Any) -> Any:
    """A copy of ``value`` with every value under a secret-looking key replaced by ``MASK``."""
    if isinstance(value, Mapping):
        return {k: MASK if _SECRET_KEY.search(str(k)) else masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


def secret_values(value: Any) -> list[str]:
    """Every string stored under a secret-looking key, to scrub them from subprocess output too."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _SECRET_KEY.search(str(key)) and isinstance(item, str) and item:
                found.append(item)
            else:
                found += secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found += secret_values(item)
    return found
