"""``run_launch_agent`` and ``run_launch_job``: W&B Launch from Dagster, with wandb 0.31's entry points.

wandb 0.31 (``wandb.sdk.launch``) exposes ``launch(api, job=…, …)`` (run now), ``launch_add(job=…,
queue_name=…, …)`` (enqueue; returns a ``QueuedRun`` with ``state`` and ``wait_until_running()``) and
``create_and_run_agent(api, config)``. The public dagster-wandb library still calls ``launch.run``,
``launch.create_and_run_agent`` and ``launch_add(queue=…)``, which no longer exist. Every call goes through
``LAUNCH`` (resolved on first use), so tests can bind the calls to the real signatures.
"""

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import dagster as dg

from ..connectivity import check_server
from ..errors import WandbConfigurationError, WandbModeError
from ..settings import WandbSettings
from .config import MASK, LaunchAgentConfig, LaunchJobConfig, masked, secret_values
from .local_runner import child_env, command_for, parameter_args, run_local, working_directory

# Final states of a W&B run that mean the job did not succeed. wandb's Run.wait_until_finished stops only on
# finished, crashed and failed (a killed run would keep it polling forever), so the op polls itself.
FAILED_STATES = ("failed", "crashed", "killed", "preempted")
_FINAL_RUN_STATES = ("finished", *FAILED_STATES)
# Queue item states before an agent has made a run of it. QueuedRun.wait_until_running polls forever when
# the agent fails the item instead, so the op watches the item's state itself first.
_WAITING_ITEM_STATES = ("pending", "leased")
QUEUE_POLL_SECONDS = 5.0
# wandb's launch_add prints the whole launch spec (resource_args and config included) to stderr.
_SPEC_MARKER = "Launch spec:"


def _wandb_launch() -> Any:
    import wandb
    from wandb.sdk import launch
    from wandb.sdk.launch import errors
    from wandb.sdk.launch.api import LaunchApi

    return SimpleNamespace(
        launch=launch.launch,
        launch_add=launch.launch_add,
        create_and_run_agent=launch.create_and_run_agent,
        LaunchApi=LaunchApi,
        Api=wandb.Api,
        LaunchError=errors.LaunchError,
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
    settings = context.resources.wandb_resource.settings(
        entity=values["entity"],
        project=values["project"],
        instance_storage_dir=context.instance.storage_directory() if context.instance else None,
        source="wandb_config",
    )
    context.log.info(f"W&B mode {settings.mode}: {settings.mode_reason}")
    return settings


def needs_server(settings: WandbSettings, what: str) -> None:
    if settings.mode == "offline":
        raise WandbModeError(
            f"{what} needs a W&B server and an API key, but the W&B mode is offline ({settings.mode_reason}). "
            "Export WANDB_API_KEY (and WANDB_BASE_URL for a dedicated server) or set api_key on wandb_resource, "
            "and unset WANDB_MODE=offline. Offline, only a local entry_point (no queue, job or docker_image) runs."
        )
    check_server(settings)


def _api_overrides(settings: WandbSettings) -> dict[str, str]:
    overrides = {"entity": settings.entity, "project": settings.project}
    if settings.host:
        overrides["base_url"] = settings.host
    return overrides


def launch_api(settings: WandbSettings) -> Any:
    return launch_backend().LaunchApi(overrides=_api_overrides(settings), api_key=settings.api_key)


def _key_of(settings: WandbSettings) -> list[str]:
    return [settings.api_key] if settings.api_key else []


@contextlib.contextmanager
def wandb_credentials(settings: WandbSettings) -> Iterator[None]:
    """Key and host in the environment for the call: ``launch_add`` builds its own API clients from it."""
    wanted = {"WANDB_API_KEY": settings.api_key, "WANDB_BASE_URL": settings.host}
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update({key: value for key, value in wanted.items() if value})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _ScrubbedStream:
    """Stderr for wandb's messages during a call: secret values masked, the launch spec dump cut off."""

    def __init__(self, target: Any, secrets: Sequence[str]) -> None:
        self._target = target
        self._secrets = secrets

    def write(self, text: str) -> int:
        head, marker, _ = text.partition(_SPEC_MARKER)
        if marker:
            # pprint may split a long secret across lines, so the dump is dropped, not scrubbed.
            text = f"{head}{marker} not shown (it can hold secrets; the masked config is in the Dagster log)\n"
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return self._target.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


@contextlib.contextmanager
def scrubbed_stderr(secrets: Sequence[str]) -> Iterator[None]:
    with contextlib.redirect_stderr(_ScrubbedStream(sys.stderr, secrets)):
        yield


@dg.op(
    required_resource_keys={"wandb_resource", "wandb_config"},
    description="Runs a W&B Launch agent polling the configured queues until the Dagster run is terminated.",
    tags={"kind": "wandb"},
)
def run_launch_agent(context: dg.OpExecutionContext, config: LaunchAgentConfig) -> None:
    settings = settings_of(context)
    needs_server(settings, "run_launch_agent")
    agent_config = config.agent_config(settings.entity)
    context.log.info(f"starting a W&B Launch agent: {json.dumps(masked(agent_config), default=str)}")
    backend = launch_backend()
    with wandb_credentials(settings), scrubbed_stderr([*secret_values(agent_config), *_key_of(settings)]):
        backend.create_and_run_agent(launch_api(settings), agent_config)


@dg.op(
    required_resource_keys={"wandb_resource", "wandb_config"},
    description="Runs a W&B Launch job: enqueued when a queue is set (waiting for it when synchronous), "
    "launched here when a job or docker_image is set, or a local entry_point run as a subprocess.",
    tags={"kind": "wandb"},
)
def run_launch_job(context: dg.OpExecutionContext, config: LaunchJobConfig) -> None:
    settings = settings_of(context)
    config.check(settings.entity, settings.project)
    context.log.info(f"W&B Launch job config: {json.dumps(masked(config.model_dump()), default=str)}")
    if config.cuda is not None:
        context.log.warning("cuda is ignored: wandb 0.31 has no cuda option; choose a CUDA docker_image instead.")
    secrets = [*secret_values(config.model_dump()), *_key_of(settings)]
    if config.runs_local_entry_point:
        _run_entry_point(context, settings, config, secrets)
        return
    source = f"job {config.job!r}" if config.job else f"docker_image {config.docker_image!r}"
    needs_server(settings, f"run_launch_job ({source}, queue {config.queue!r})")
    with wandb_credentials(settings), scrubbed_stderr(secrets):
        if config.queue:
            queued = _enqueue(context, settings, config)
        else:
            _launch_here(context, settings, config)
            return
    if config.synchronous:
        _wait(context, queued, config.queue)


def _run_entry_point(
    context: dg.OpExecutionContext, settings: WandbSettings, config: LaunchJobConfig, secrets: Sequence[str]
) -> None:
    ignored = [key for key in ("resource", "version", "resource_args", "config") if getattr(config, key)]
    if ignored:
        context.log.warning(f"{', '.join(ignored)} ignored: a local entry point runs as a subprocess of this step.")
    working_dir = working_directory()
    assert config.entry_point is not None  # check() guarantees a source
    command = [*command_for(config.entry_point, working_dir), *parameter_args(config.parameters)]
    env = child_env(os.environ, settings, run_id=config.run_id, name=config.name)
    run_local(command, working_dir=working_dir, env=env, log=context.log.info, secrets=secrets)


def _job_arguments(settings: WandbSettings, config: LaunchJobConfig) -> dict[str, Any]:
    """The keyword arguments ``launch_add`` and ``launch`` share, from the op's config."""
    return {
        "job": config.job,
        "entry_point": config.entry_point,
        "version": config.version,
        "name": config.name,
        "resource": config.resource,
        "resource_args": config.resource_args or None,
        "project": settings.project,
        "entity": settings.entity,
        "docker_image": config.docker_image,
        "config": config.launch_config() or None,
        "run_id": config.run_id,
    }


def _check_job(settings: WandbSettings, job: str) -> None:
    """Fail before enqueueing: launch_add pushes the item first and checks the job after, leaving a queue
    item no agent can run behind a misspelled job."""
    api = launch_backend().Api(overrides=_api_overrides(settings), api_key=settings.api_key)
    try:
        api.artifact(job, type="job")
    except Exception as exc:  # ValueError or CommError, depending on the server version
        if "not found" not in str(exc).lower():
            raise  # not a missing job (a network or permission error): keep wandb's own message
        raise WandbConfigurationError(
            f"run_launch_job: W&B has no job {job!r} in {settings.entity}/{settings.project} ({exc}); nothing was "
            "enqueued. Use the job artifact's full name, e.g. 'entity/project/job-name:latest' (W&B UI: Jobs)."
        ) from exc


def _enqueue(context: dg.OpExecutionContext, settings: WandbSettings, config: LaunchJobConfig) -> Any:
    backend = launch_backend()
    if config.job:
        _check_job(settings, config.job)
    try:
        queued = backend.launch_add(queue_name=config.queue, **_job_arguments(settings, config))
    except backend.LaunchError as exc:
        raise WandbConfigurationError(
            f"run_launch_job: could not enqueue into Launch queue {config.queue!r} of entity {settings.entity!r} "
            f"({exc}); check that the queue exists there (W&B UI: Launch) and that this API key may use it."
        ) from exc
    context.log.info(f"enqueued into {config.queue!r} of {settings.entity}: queue item {queued.id}")
    return queued


def _wait(context: dg.OpExecutionContext, queued: Any, queue: str | None) -> None:
    state = queued.state
    while state in _WAITING_ITEM_STATES:
        time.sleep(QUEUE_POLL_SECONDS)
        state = queued.state
    if state == "failed":
        raise dg.Failure(
            description=f"W&B Launch could not start queue item {queued.id} of queue {queue!r}: the item is in "
            "state 'failed' (see the Launch agent's log and the queue page in W&B).",
            metadata={"wandb_queue": str(queue), "wandb_queue_item_state": state},
        )
    run = queued.wait_until_running()
    state = str(run.state).lower()
    while state not in _FINAL_RUN_STATES:
        time.sleep(QUEUE_POLL_SECONDS)
        run.load(force=True)
        state = str(run.state).lower()
    url = str(run.url)
    context.log.info(f"W&B Launch run finished in state {state}: {url}")
    metadata = {"wandb_run_state": state, "wandb_run_url": dg.MetadataValue.url(url)}
    if state in FAILED_STATES:
        raise dg.Failure(description=f"the W&B Launch run ended in state {state!r}: {url}", metadata=metadata)
    context.add_output_metadata(metadata)


def _launch_here(context: dg.OpExecutionContext, settings: WandbSettings, config: LaunchJobConfig) -> None:
    submitted = launch_backend().launch(
        launch_api(settings), synchronous=config.synchronous, **_job_arguments(settings, config)
    )
    where = f"{config.resource or 'local-container'} run {submitted.id}"
    context.log.info(f"launched {where} into {settings.entity}/{settings.project}")
    if not config.synchronous:
        return
    # launch() waits for a synchronous run but does not raise when it fails: ask the run for its state.
    state = str(asyncio.run(submitted.get_status()))
    context.log.info(f"{where} ended in state {state}")
    if state in (*FAILED_STATES, "stopped"):
        raise dg.Failure(
            description=f"the W&B Launch {where} ended in state {state!r} ({settings.entity}/{settings.project})",
            metadata={"wandb_run_state": state},
        )
    context.add_output_metadata({"wandb_run_state": state})
