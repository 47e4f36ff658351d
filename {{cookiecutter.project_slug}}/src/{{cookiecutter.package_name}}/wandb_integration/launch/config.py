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

# Key names whose values are treated as secrets in logs; over-masking a harmless value is the cheap mistake.
_SECRET_KEY = re.compile(
    r"key|token|secret|passw|pwd|credential|auth|cookie|session|private|(^|[_\-.])api([_\-.]|$)", re.IGNORECASE
)
MASK = "********"


def _is_secret_key(key: object) -> bool:
    return bool(_SECRET_KEY.search(str(key)))


class LaunchAgentConfig(dg.Config):
    """A W&B Launch agent polling queues of the configured entity (wandb 0.31 agent config keys)."""

    queues: list[str] = Field(description="Names of the Launch queues the agent polls.")
    max_jobs: int = Field(default=1, description="Jobs the agent runs at once (-1: unlimited).")
    max_schedulers: int = Field(default=1, description="Sweep schedulers the agent runs at once (-1: unlimited).")
    verbosity: int = Field(default=0, description="0: quiet, 1: status every 20 s, 2: also debug output.")
    builder: dict[str, Any] | None = Field(
        default=None, description="Image builder config, e.g. {'type': 'docker'} (wandb's launch agent 'builder')."
    )
    registry: dict[str, Any] | None = Field(
        default=None, description="Container registry config for built images (wandb's launch agent 'registry')."
    )

    def agent_config(self, entity: str) -> dict[str, Any]:
        """The dict ``create_and_run_agent`` validates with wandb's ``AgentConfig``."""
        queues = [queue.strip() for queue in self.queues]
        if not queues or not all(queues):
            raise WandbConfigurationError(
                f"run_launch_agent: queues {self.queues!r} must name at least one queue, none of them empty."
            )
        for key in ("max_jobs", "max_schedulers"):
            value = getattr(self, key)
            if value < 1 and value != -1:
                raise WandbConfigurationError(f"run_launch_agent: {key} is {value}; use 1 or more, or -1 for no limit.")
        config: dict[str, Any] = {
            "entity": entity,
            "queues": queues,
            "max_jobs": self.max_jobs,
            "max_schedulers": self.max_schedulers,
            "verbosity": self.verbosity,
        }
        config.update({key: value for key in ("builder", "registry") if (value := getattr(self, key)) is not None})
        return config


class LaunchJobConfig(dg.Config):
    """One W&B Launch job: enqueued when ``queue`` is set, otherwise launched from this process."""

    uri: str | None = Field(
        default=None,
        description="Git repository of the code. wandb 0.31 cannot launch from a uri: make a job of it "
        "(wandb job create git <uri>) and set job instead.",
    )
    job: str | None = Field(default=None, description="W&B job artifact, e.g. 'entity/project/job-name:latest'.")
    queue: str | None = Field(default=None, description="Launch queue to enqueue into; unset runs it here.")
    entry_point: list[str] | None = Field(
        default=None, description="Command to run, e.g. ['python', 'launch/train.py']."
    )
    version: str | None = Field(default=None, description="Git commit or branch for git-based jobs.")
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Run config overrides (Launch: overrides.run_config; a local entry point: --key=value).",
    )
    name: str | None = Field(default=None, description="Name of the launched W&B run.")
    resource: str | None = Field(
        default=None, description="Execution backend: local-process, local-container, kubernetes, …"
    )
    resource_args: dict[str, Any] = Field(default_factory=dict, description="Backend-specific arguments.")
    docker_image: str | None = Field(default=None, description="Image to run (a source of its own, like job).")
    config: dict[str, Any] = Field(default_factory=dict, description="Launch config (overrides, resource_args, …).")
    synchronous: bool = Field(default=True, description="Wait for the job to finish and report its final state.")
    cuda: bool | None = Field(
        default=None, description="Accepted for compatibility; wandb 0.31 has no such option (use docker_image)."
    )
    run_id: str | None = Field(default=None, description="W&B run id for the launched run.")

    def check(self, entity: str, project: str) -> None:
        """Reject combinations wandb 0.31 would reject late, ignore silently, or cannot run (``entity`` and
        ``project``: where the suggested commands put a job)."""
        if self.uri and self.job:
            raise WandbConfigurationError(
                f"run_launch_job: uri {self.uri!r} and job {self.job!r} are both set; give one source."
            )
        if self.uri:
            # launch_add(uri=...) still accepts the keyword but drops it, and a launch spec needs a job or an
            # image: passing it on would fail later with a message that never mentions the uri.
            raise WandbConfigurationError(
                f"run_launch_job: uri {self.uri!r} cannot be launched with wandb 0.31 (it launches only a W&B job "
                f"or a docker_image). Make a job of the repository: wandb job create --entity {entity} --project "
                f"{project} --entry-point 'python train.py' git {self.uri}, then set job to it."
            )
        if self.job and self.docker_image:
            raise WandbConfigurationError(
                f"run_launch_job: job {self.job!r} and docker_image {self.docker_image!r} are both set; W&B Launch "
                "takes exactly one of them."
            )
        if not (self.job or self.docker_image or self.entry_point):
            raise WandbConfigurationError(
                "run_launch_job: nothing to run; set job (a W&B job), docker_image, or entry_point (a script of "
                "this project, e.g. ['python', 'launch/train.py'])."
            )
        if self.entry_point is not None and not self.entry_point:
            raise WandbConfigurationError("run_launch_job: entry_point is empty; e.g. ['python', 'launch/train.py'].")
        if not (self.queue is None or self.queue.strip()):
            raise WandbConfigurationError("run_launch_job: queue is empty; name a Launch queue or leave queue unset.")

    @property
    def runs_local_entry_point(self) -> bool:
        """No queue and no job or image: the entry point is a script of this project, run as a subprocess."""
        return not (self.queue or self.job or self.docker_image)

    def launch_config(self) -> dict[str, Any]:
        """``config`` with ``parameters`` as run config overrides, as W&B Launch expects them."""
        merged = dict(self.config)
        if self.parameters:
            overrides = dict(merged.get("overrides", {}))
            overrides["run_config"] = {**overrides.get("run_config", {}), **self.parameters}
            merged["overrides"] = overrides
        return merged


def masked(value: Any) -> Any:
    """A copy of ``value`` for logs: values under secret-looking keys replaced by ``MASK``.

    Also covers the two ways container env lists carry secrets: ``"NAME=value"`` strings (docker) and
    ``{"name": NAME, "value": value}`` entries (Kubernetes).
    """
    if isinstance(value, Mapping):
        if _is_secret_key(value.get("name", "")) and "value" in value:
            return {k: MASK if k == "value" else masked(v) for k, v in value.items()}
        return {k: MASK if _is_secret_key(k) else masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    if isinstance(value, str) and "=" in value:
        name, _, _ = value.partition("=")
        if name and " " not in name and _is_secret_key(name):
            return f"{name}={MASK}"
    return value


def secret_values(value: Any) -> list[str]:
    """Every string ``masked`` would hide, to scrub it from text we do not format ourselves (wandb, scripts)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        if _is_secret_key(value.get("name", "")) and isinstance(value.get("value"), str):
            found.append(value["value"])
        for key, item in value.items():
            if _is_secret_key(key) and isinstance(item, str | int | float) and not isinstance(item, bool):
                found.append(str(item))
            else:
                found += secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found += secret_values(item)
    elif isinstance(value, str) and "=" in value:
        name, _, secret = value.partition("=")
        if name and " " not in name and _is_secret_key(name):
            found.append(secret)
    # Longest first, so a secret containing another is replaced whole; short values would mask too much.
    return sorted({item for item in found if len(item) >= 4}, key=len, reverse=True)
