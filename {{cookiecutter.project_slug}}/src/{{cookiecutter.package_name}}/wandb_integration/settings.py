"""Resolved W&B settings: which mode, which entity and project, where local data lives.

The resource and IO manager configs (Pythonic or classic) are turned into one ``WandbSettings`` value here,
so mode resolution and validation live in a single place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import WandbConfigurationError, WandbModeError

RequestedMode = Literal["auto", "online", "offline"]
ResolvedMode = Literal["online", "offline"]
VALID_MODES = ("auto", "online", "offline")

# W&B entity names allow letters, digits, '-' and '_'; project names forbid these characters.
_ENTITY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_PROJECT_FORBIDDEN = frozenset("/\\#?%:")


# WANDB_MODE values wandb itself knows, and what each means here ("disabled": nothing goes to W&B, so the
# artifacts stay in the local store; "dryrun" is wandb's old name for offline; "run" and "shared" are online).
ENV_MODES = {
    "offline": "offline",
    "dryrun": "offline",
    "disabled": "offline",
    "online": "online",
    "run": "online",
    "shared": "online",
}
_KEY_HELP = "export WANDB_API_KEY (https://wandb.ai/authorize), or give the resource api_key=dg.EnvVar('WANDB_API_KEY')"


def resolve_mode(
    requested: str, api_key: str | None, environ: Mapping[str, str] | None = None
) -> tuple[ResolvedMode, str]:
    """The mode to use and a sentence saying why. Precedence: ``WANDB_MODE`` in the environment, then the
    configured mode (the resource's ``mode``; the project sets it from ``defs/constants.py``), then, for
    ``auto``, whether an API key is available. Online without a key is a ``WandbModeError``."""
    env = os.environ if environ is None else environ
    if requested not in VALID_MODES:
        raise WandbConfigurationError(f"mode {requested!r} is not a W&B mode; use one of {', '.join(VALID_MODES)}.")
    key = api_key or env.get("WANDB_API_KEY")
    raw = env.get("WANDB_MODE", "").strip()
    if raw:
        env_mode = raw.lower()
        if env_mode not in ENV_MODES:
            raise WandbConfigurationError(
                f"WANDB_MODE={raw!r} in the environment is not a W&B mode; use offline or online (wandb's "
                "disabled and dryrun also run offline here), or unset it to let the configured mode decide."
            )
        if ENV_MODES[env_mode] == "online" and not key:
            raise WandbModeError(
                f"WANDB_MODE={raw} is set in the environment, so W&B must be reached, but no W&B API key is "
                f"available: {_KEY_HELP}; or set WANDB_MODE=offline (or unset it) to use the local store."
            )
        note = (
            " (W&B disabled: nothing goes to W&B, artifacts stay in the local store)" if env_mode == "disabled" else ""
        )
        return ENV_MODES[env_mode], f"WANDB_MODE={env_mode} is set in the environment{note}"  # type: ignore[return-value]
    if requested == "offline":
        return "offline", "mode 'offline' is configured"
    if requested == "online":
        if not key:
            raise WandbModeError(
                "mode 'online' is configured (the W&B resource's mode; the project sets it in defs/constants.py), "
                f"but no W&B API key is available: {_KEY_HELP}; or configure mode 'auto' or 'offline', or set "
                "WANDB_MODE=offline."
            )
        return "online", "mode 'online' is configured"
    if api_key:
        return "online", "mode 'auto' and an API key is configured"
    if env.get("WANDB_API_KEY"):
        return "online", "mode 'auto' and WANDB_API_KEY is set"
    return "offline", "mode 'auto' and no W&B API key is configured (set WANDB_API_KEY to go online)"


def check_entity(entity: str, source: str) -> str:
    if not entity or not entity.strip():
        raise WandbConfigurationError(
            f"{source} entity is empty; set it to your W&B user or team name (e.g. 'my-team')."
        )
    if not _ENTITY_RE.match(entity):
        raise WandbConfigurationError(
            f"{source} entity {entity!r} is not a W&B user or team name; use letters, digits, '-' and '_'."
        )
    return entity


def check_project(project: str, source: str) -> str:
    if not project or not project.strip():
        raise WandbConfigurationError(f"{source} project is empty; set it to a W&B project name.")
    bad = sorted(_PROJECT_FORBIDDEN.intersection(project))
    if bad or len(project) > 128:
        raise WandbConfigurationError(
            f"{source} project {project!r} is not a valid W&B project name; "
            f"use up to 128 characters without {' '.join(sorted(_PROJECT_FORBIDDEN))}."
        )
    return project


@dataclass(frozen=True)
class WandbSettings:
    """Everything the integration needs to know to talk to W&B or to the local store."""

    entity: str
    project: str
    mode: ResolvedMode
    mode_reason: str
    base_dir: Path
    api_key: str | None = field(default=None, repr=False)
    host: str | None = None
    connect_timeout: float = 5.0  # seconds the first check of the W&B server may take (connectivity.py)

    @classmethod
    def build(
        cls,
        *,
        entity: str,
        project: str,
        mode: str,
        base_dir: str | os.PathLike[str],
        api_key: str | None = None,
        host: str | None = None,
        connect_timeout: float = 5.0,
        source: str = "W&B resource",
    ) -> WandbSettings:
        resolved, reason = resolve_mode(mode, api_key)
        key = api_key or os.environ.get("WANDB_API_KEY") or None
        return cls(
            entity=check_entity(entity, source),
            project=check_project(project, source),
            mode=resolved,
            mode_reason=reason,
            base_dir=Path(base_dir).expanduser().resolve(),
            api_key=key,
            host=host or None,
            connect_timeout=connect_timeout,
        )

    @property
    def integration_dir(self) -> Path:
        """Root of everything the integration keeps under ``base_dir``."""
        return self.base_dir / "wandb"

    @property
    def store_dir(self) -> Path:
        return store_dir_of(self.base_dir)

    @property
    def cache_dir(self) -> Path:
        return self.integration_dir / "cache"

    @property
    def runs_dir(self) -> Path:
        """``WANDB_DIR`` for runs the integration or user code opens."""
        return self.integration_dir / "runs"


def store_dir_of(base_dir: Path) -> Path:
    """Where the local artifact store lives under a ``base_dir``."""
    return base_dir / "wandb" / "artifacts"


def default_base_dir(instance_storage_dir: str | None) -> Path:
    """The Dagster instance's storage directory, else ``$DAGSTER_HOME``."""
    if instance_storage_dir:
        return Path(instance_storage_dir)
    dagster_home = os.environ.get("DAGSTER_HOME")
    if dagster_home:
        return Path(dagster_home)
    raise WandbConfigurationError(
        "base_dir is not set and there is no Dagster instance storage directory or DAGSTER_HOME; "
        "set base_dir on the IO manager or resource, or export DAGSTER_HOME."
    )


def wandb_settings(settings: WandbSettings) -> Any:
    """``wandb.Settings`` carrying the key and host explicitly, so nothing is written to ``~/.netrc``."""
    import wandb

    options: dict[str, Any] = {"silent": True, "x_disable_stats": True}
    if settings.api_key:
        options["api_key"] = settings.api_key
    if settings.host:
        options["base_url"] = settings.host
    return wandb.Settings(**options)
