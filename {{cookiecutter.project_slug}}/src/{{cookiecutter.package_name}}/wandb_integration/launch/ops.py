"""``run_launch_agent`` and ``run_launch_job``: W&B Launch from Dagster, with wandb 0.31's entry points.

wandb 0.31 exposes ``wandb.sdk.launch.launch(api, …)`` (run now), ``launch_add(…, queue_name=…)``
(enqueue; returns a ``QueuedRun`` with ``wait_until_finished()``) and ``create_and_run_agent(api, config)``.
The public dagster-wandb library still calls ``launch.run`` and ``launch_add(queue=…)``, which no longer
exist. Every call goes through ``LAUNCH``, so tests can bind the calls to the real signatures.
"""

import json
import os
from types import SimpleNamespace
from typing import Any

import dagster as dg

from ..errors import WandbModeError
from ..settings import WandbSettings
from .config import LaunchAgentConfig, LaunchJobConfig, masked, secret_values
from .local_runner import command_for, offline_env, parameter_args, run_local, working_directory

FAILED_STATES = ("failed", "crashed", "killed", "preempted")


def _wandb_launch() -> Any:
    from wandb.sdk import launch
    from wandb.sdk.launch.api import LaunchApi

    return SimpleNamespace(
        launch=launch.launch,
        launch_add=launch.launch_add,
        create_and_run_agent=launch.create_and_run_agent,
        LaunchApi=LaunchApi,
    )


# Resolved on first use (importing wandb costs ~0.75 s); tests replace it with a recording fake.
LAUNCH: Any = None


def launch_backend() -> Any:
    global LAUNCH
    if LAUNCH is None:
        LAUNCH = _wandb_launch()
    return LAUNCH


def settings_of(context: dg.OpExecutionContext) -> WandbSettings:
    values = context.resources.wandb_config
    return context.resources.wandb_resource.settings(
        entity=values["entity"],
        project=values["project"],
        instance_storage_dir=context.instance.storage_directory() if context.instance else None,
        source="wandb_config",
    )


def needs_server(settings: WandbSettings, what: str) -> None:
    if settings.mode == "offline":
        raise WandbModeError(
            f"{what} needs a W&B server and an API key, but the W&B mode is offline ({settings.mode_reason}). "
            "Export WANDB_API_KEY (and WANDB_BASE_URL for a dedicated server) and unset WANDB_MODE=offline."
        )


def launch_api(settings: WandbSettings) -> Any:
    overrides = {"entity": settings.entity, "project": settings.project}
    if settings.host:
        overrides["base_url"] = settings.host
    return launch_backend().LaunchApi(overrides=overrides, api_key=settings.api_key)


@dg.op(
    required_resource_keys={"wandb_resource", "wandb_config"},
    description="Runs a W&B Launch agent polling the configured queues until it is stopped.",
    tags={"kind": "wandb"},
)
def run_launch_agent(context: dg.OpExecutionContext, config: LaunchAgentConfig) -> None:
    settings = settings_of(context)
    needs_server(settings, "run_launch_agent")
    agent_config = {"entity": settings.entity, "queues": list(config.queues), "max_jobs": config.max_jobs}
    context.log.info(f"starting a W&B Launch agent: {json.dumps(agent_config)}")
    launch_backend().create_and_run_agent(launch_api(settings), agent_config)


@dg.op(
    required_resource_keys={"wandb_resource", "wandb_config"},
    description="Runs a W&B Launch job: enqueued when a queue is set (waiting for it when synchronous), "
    "otherwise launched here; offline, a local entry point runs as a subprocess.",
    tags={"kind": "wandb"},
)
def run_launch_job(context: dg.OpExecutionContext, config: LaunchJobConfig) -> None:
    config.check()
    settings = settings_of(context)
    shown = masked(config.model_dump())
    context.log.info(f"W&B Launch job config: {json.dumps(shown, default=str)}")
    if config.cuda is not None:
        context.log.warning("cuda is ignored: wandb 0.31 has no cuda option; choose a CUDA docker_image instead.")
    secrets = secret_values(config.model_dump())
    if settings.mode == "offline":
        if config.queue or config.job or not config.entry_point:
            needs_server(settings, f"run_launch_job with queue {config.queue!r} / job {config.job!r}")
        working_dir = working_directory()
        command = [*command_for(config.entry_point, working_dir), *parameter_args(config.parameters)]
        env = offline_env(os.environ, config.run_id, settings.runs_dir)
        run_local(command, working_dir=working_dir, env=env, log=context.log.info, secrets=secrets)
        return
    if config.queue:
        _enqueue(context, settings, config)
    else:
        _launch_here(context, settings, config)


def _enqueue(context: dg.OpExecutionContext, settings: WandbSettings, config: LaunchJobConfig) -> None:
    queued = launch_backend().launch_add(
        uri=config.uri,
        job=config.job,
        config=config.launch_config() or None,
        project=settings.project,
        entity=settings.entity,
        queue_name=config.queue,
        resource=config.resource,
        entry_point=config.entry_point,
        name=config.name,
        version=config.version,
        docker_image=config.docker_image,
        resource_args=config.resource_args or None,
        run_id=config.run_id,
    )
    context.log.info(f"enqueued into {config.queue!r}: queued run {queued.id}")
    if not config.synchronous:
        return
    run = queued.wait_until_finished()
    state, url = getattr(run, "state", "unknown"), getattr(run, "url", "")
    context.log.info(f"Launch run finished: state {state}, {url}")
    if str(state).lower() in FAILED_STATES:
        raise dg.Failure(
            description=f"the W&B Launch run ended in state {state!r}: {url}",
            metadata={"wandb_run_state": str(state), "wandb_run_url": dg.MetadataValue.url(url) if url else ""},
        )


def _launch_here(context: dg.OpExecutionContext, settings: WandbSettings, config: LaunchJobConfig) -> None:
    submitted = launch_backend().launch(
        launch_api(settings),
        job=config.job,
        entry_point=config.entry_point,
        version=config.version,
        name=config.name,
        resource=config.resource,
        resource_args=config.resource_args or None,
        project=settings.project,
        entity=settings.entity,
        docker_image=config.docker_image,
        config=config.launch_config() or None,
        synchronous=config.synchronous,
        run_id=config.run_id,
    )
    context.log.info(f"launched W&B run {getattr(submitted, 'id', '?')}")
