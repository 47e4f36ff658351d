"""W&B runs shared by everything in one process that opens the same run id.

wandb-core refuses a second ``wandb.init`` of a run id that is already open in the process ("run ID ... is
in use"), and a Dagster step opens the Dagster run's W&B run from several places: the artifacts IO
manager (one store per IO manager key) and ``WandbResource.run()`` in the asset body. Here they share one
handle; the last holder to let go finishes it, with exit code 1 if any holder saw a failure.

Runs are shared per SDK object (the ``wandb`` module, or a test's fake), so fakes never meet real runs.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SharedRunWarning, WandbConfigurationError


@dataclass(frozen=True)
class RunOptions:
    """The W&B run the IO manager's artifacts belong to (IO manager config)."""

    dagster_run_id: str
    run_id: str
    run_name: str
    run_tags: tuple[str, ...]
    unpickle_from_other_projects: bool = False

    @property
    def run_alias(self) -> str:
        return f"dagster-run-{self.dagster_run_id[:8]}"


# ``wandb.init`` arguments that can still be applied to a run that is already open.
_APPLIED_WHEN_SHARED = frozenset({"config", "tags", "notes", "name"})


@dataclass
class _Shared:
    run: Any
    where: tuple[str, str]  # (entity, project) as asked by the first holder
    holders: int = 1
    failed: bool = False


_lock = threading.Lock()
_open: dict[tuple[Any, str], _Shared] = {}


def acquire(
    sdk: Any,
    run_id: str | None,
    entity: str,
    project: str,
    init: Callable[[], Any],
    *,
    init_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """The open run with ``run_id``, or a new one from ``init()``; pair every call with ``release``.

    ``init_kwargs`` are the caller's own ``wandb.init`` arguments: when the run is already open, ``config``
    is merged, ``tags`` added, ``notes`` and ``name`` set; any other argument cannot change an open run and
    is reported with a ``SharedRunWarning``.
    """
    with _lock:
        shared = _open.get((sdk, run_id)) if run_id else None
        if shared is not None:
            if (entity, project) != shared.where and all(shared.where) and entity and project:
                raise WandbConfigurationError(
                    f"W&B run {run_id!r} is already open in this process in {'/'.join(shared.where)}, "
                    f"and is asked for again in {entity}/{project}; give the resource and the IO manager the "
                    "same entity and project, or the IO manager its own run_id."
                )
            shared.holders += 1
            run = shared.run
        else:
            # Under the lock: two threads opening the same id must not both call wandb.init.
            run = init()
            _open[(sdk, run.id)] = _Shared(run, (entity, project))
            return run
    _apply(run, dict(init_kwargs or {}))
    return run


def release(sdk: Any, run: Any, *, failed: bool = False) -> None:
    """Let go of ``run``; the last holder finishes it (exit code 1 if any holder failed)."""
    with _lock:
        shared = _open.get((sdk, run.id))
        if shared is not None and shared.run is run:
            shared.failed = shared.failed or failed
            shared.holders -= 1
            if shared.holders > 0:
                return
            del _open[(sdk, run.id)]
            failed = shared.failed
    run.finish(exit_code=1 if failed else 0)


def _apply(run: Any, init_kwargs: dict[str, Any]) -> None:
    if config := init_kwargs.get("config"):
        run.config.update(config, allow_val_change=True)
    if tags := init_kwargs.get("tags"):
        run.tags = tuple(dict.fromkeys([*(run.tags or ()), *tags]))
    if notes := init_kwargs.get("notes"):
        run.notes = notes
    if name := init_kwargs.get("name"):
        run.name = name
    ignored = sorted(key for key, value in init_kwargs.items() if key not in _APPLIED_WHEN_SHARED and value)
    if ignored:
        warnings.warn(
            f"W&B run {run.id!r} was already open in this process (the artifacts IO manager opens it for the "
            f"step's inputs and outputs), so these wandb.init arguments were not applied: {', '.join(ignored)}. "
            "Set them on the IO manager (run_name, run_tags) or give WandbResource.run() its own run_id.",
            SharedRunWarning,
            stacklevel=4,
        )
