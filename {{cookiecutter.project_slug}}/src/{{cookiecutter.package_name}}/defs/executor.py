"""The executor every job runs on, chosen with the ``DAGSTER_EXECUTOR`` environment variable.

==================  ===========================================================  ==================
DAGSTER_EXECUTOR    where the steps of a run execute                             needs the extra
==================  ===========================================================  ==================
``multiprocess``    default: one process per step on this machine, at most       -
                    ``DAGSTER_MAX_CONCURRENT`` (default 4) at a time
``in_process``      one process, one step after the other                        -
``k8s``             one Kubernetes Job per step (``dagster-k8s``)                ``k8s``
``docker``          one Docker container per step (``dagster-docker``)           ``docker``
``celery``          Celery workers (``dagster-celery``)                          ``celery``
==================  ===========================================================  ==================

The engine packages are optional extras of this project (``uv sync --extra k8s``) and are imported only
when chosen. Jobs that set no executor of their own use this one. See ``deploy/README.md``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dagster as dg

from ..wandb_integration.settings import resolve_mode
from .constants import WANDB_MODE

EXECUTOR_ENV_VAR = "DAGSTER_EXECUTOR"
MAX_CONCURRENT_ENV_VAR = "DAGSTER_MAX_CONCURRENT"
# Set to 1 once base_dir is on a volume every machine mounts: it silences the local-store warning.
SHARED_STORE_ENV_VAR = "WANDB_LOCAL_STORE_SHARED"
DEFAULT_EXECUTOR = "multiprocess"
# Steps train models and hold data frames: four at a time keeps a laptop responsive.
DEFAULT_MAX_CONCURRENT = 4


class ExecutorChoiceError(ValueError):
    """``DAGSTER_EXECUTOR`` or ``DAGSTER_MAX_CONCURRENT`` holds a value this project cannot run with."""


class LocalStoreAcrossMachinesWarning(UserWarning):
    """The offline (local) artifact store is used by an executor that runs steps on several machines."""


def _k8s() -> dg.ExecutorDefinition:
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor


def _docker() -> dg.ExecutorDefinition:
    from dagster_docker import docker_executor

    return docker_executor


def _celery() -> dg.ExecutorDefinition:
    from dagster_celery import celery_executor

    return celery_executor


@dataclass(frozen=True)
class Engine:
    load: Callable[[], dg.ExecutorDefinition]
    # The optional dependency of this project that provides it (None: part of dagster).
    extra: str | None
    # Steps may run on other machines, which share no local files with this one.
    multi_machine: bool


ENGINES: dict[str, Engine] = {
    "multiprocess": Engine(lambda: dg.multiprocess_executor, extra=None, multi_machine=False),
    "in_process": Engine(lambda: dg.in_process_executor, extra=None, multi_machine=False),
    "k8s": Engine(_k8s, extra="k8s", multi_machine=True),
    "docker": Engine(_docker, extra="docker", multi_machine=True),
    "celery": Engine(_celery, extra="celery", multi_machine=True),
}


def executor_from_env(environ: Mapping[str, str] | None = None) -> dg.ExecutorDefinition:
    """The executor named by ``DAGSTER_EXECUTOR``, read when the definitions load.

    Reading the environment at definitions-load time (not at import, not per run) is how a Dagster
    deployment selects its executor: the code server, every run worker and every step worker load the
    definitions in their own environment, so set the variable in the image or pod spec they share.
    Warns (``LocalStoreAcrossMachinesWarning``) when a multi-machine executor meets the local store.
    """
    env = os.environ if environ is None else environ
    name = env.get(EXECUTOR_ENV_VAR, "").strip().lower() or DEFAULT_EXECUTOR
    engine = ENGINES.get(name)
    if engine is None:
        raise ExecutorChoiceError(
            f"{EXECUTOR_ENV_VAR}={env[EXECUTOR_ENV_VAR]!r} is not an executor of this project; "
            f"use one of {', '.join(ENGINES)} (default {DEFAULT_EXECUTOR})."
        )
    try:
        executor = engine.load()
    except ImportError as exc:
        raise ExecutorChoiceError(
            f"{EXECUTOR_ENV_VAR}={name} needs the project's '{engine.extra}' extra ({exc.name} is not "
            f"installed); install it with `uv sync --extra {engine.extra}` or `pip install '.[{engine.extra}]'`."
        ) from exc
    if engine.multi_machine:
        warn_if_store_is_local(name, env)
    if name == "multiprocess":
        return executor.configured({"max_concurrent": max_concurrent(env)})
    # The other engines take their settings from run config and the run launcher (deploy/dagster.yaml).
    return executor


def max_concurrent(environ: Mapping[str, str]) -> int:
    raw = environ.get(MAX_CONCURRENT_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MAX_CONCURRENT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ExecutorChoiceError(
            f"{MAX_CONCURRENT_ENV_VAR}={raw!r} is not a step limit; use a whole number of at least 1 "
            f"(default {DEFAULT_MAX_CONCURRENT})."
        )
    return value


def warn_if_store_is_local(executor_name: str, environ: Mapping[str, str]) -> None:
    """Warn when steps on different machines would each use their own offline store."""
    if environ.get(SHARED_STORE_ENV_VAR, "").strip().lower() in ("1", "true", "yes"):
        return
    mode, reason = resolve_mode(WANDB_MODE, None, environ)
    if mode == "online":
        return
    warnings.warn(
        LocalStoreAcrossMachinesWarning(
            f"{EXECUTOR_ENV_VAR}={executor_name} runs steps in separate pods, containers or workers, but "
            f"the W&B artifacts IO manager uses the local store: {reason}. Each would write to its own "
            "disk, so a step would not find what an upstream step stored. Go online (WANDB_API_KEY in "
            "every container, e.g. from a Kubernetes secret), or put base_dir on a volume every container "
            "mounts (ReadWriteMany, a POSIX filesystem with working file locks) and set "
            f"{SHARED_STORE_ENV_VAR}=1. See deploy/README.md."
        ),
        stacklevel=2,
    )


@dg.definitions
def executor_definitions() -> dg.Definitions:
    return dg.Definitions(executor=executor_from_env())
