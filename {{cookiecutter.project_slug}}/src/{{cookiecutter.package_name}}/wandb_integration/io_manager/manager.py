"""The W&B artifacts IO manager in both styles, each a thin config layer over one ``ArtifactIO`` worker.

Pythonic::

    WandbArtifactsIOManager(wandb_resource=WandbResource(entity="me", project="p"), cache_duration_in_minutes=60)

Classic (the W&B guide's wiring, unchanged but for the import)::

    {"wandb_config": make_values_resource(entity=str, project=str),
     "wandb_resource": wandb_resource.configured({"api_key": {"env": "WANDB_API_KEY"}}),
     "io_manager": wandb_artifacts_io_manager.configured({"cache_duration_in_minutes": 60})}
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import dagster as dg
from pydantic import Field, model_validator

from ..errors import WandbConfigurationError
from ..resource import WandbResource
from ..runs import RunOptions
from ..settings import WandbSettings
from ..stores import open_store
from ..stores.files import check_folder, check_not_linked
from .worker import ArtifactIO

DEFAULT_CACHE_MINUTES = 30 * 24 * 60
_FIELD_DESCRIPTIONS = {
    "run_name": "Display name of the W&B run; default 'dagster-run-<first 8 characters of the Dagster run id>'.",
    "run_id": "W&B run id to log to (and resume); default the Dagster run id. Share it with user code.",
    "wandb_run_id": "Older spelling of run_id; set only one of them.",
    "run_tags": "Tags of the W&B run; 'dagster_wandb' is always added.",
    "base_dir": "Folder for the local store and cache; default: the resource's base_dir, the Dagster "
    "instance storage directory, else $DAGSTER_HOME.",
    "cache_duration_in_minutes": "Keep downloaded artifacts this long after their last use; 0 disables "
    "the cache. Offline, the copies get_path and download() hand out (kept at least an hour). Default 30 days.",
    "unpickle_from_other_projects": "Allow unpickling artifacts from another W&B entity or project "
    "(loading a pickle can run code). Default false.",
}


def check_options(run_id: str | None, wandb_run_id: str | None, cache_duration_in_minutes: int) -> None:
    if run_id and wandb_run_id and run_id != wandb_run_id:
        raise WandbConfigurationError(
            f"run_id {run_id!r} and wandb_run_id {wandb_run_id!r} are both set; keep only run_id."
        )
    if cache_duration_in_minutes < 0:
        raise WandbConfigurationError(
            f"cache_duration_in_minutes {cache_duration_in_minutes} is negative; use 0 to disable the cache."
        )


def build_worker(
    context: dg.InitResourceContext,
    settings: WandbSettings,
    *,
    run_name: str | None,
    run_id: str | None,
    wandb_run_id: str | None,
    run_tags: list[str],
    cache_duration_in_minutes: int,
    unpickle_from_other_projects: bool,
    kind: type[ArtifactIO] = ArtifactIO,
) -> ArtifactIO:
    check_options(run_id, wandb_run_id, cache_duration_in_minutes)
    dagster_run_id = context.run.run_id if context.run is not None else "no-run"
    options = RunOptions(
        dagster_run_id=dagster_run_id,
        run_id=run_id or wandb_run_id or dagster_run_id,
        run_name=run_name or f"dagster-run-{dagster_run_id[:8]}",
        run_tags=tuple(dict.fromkeys([*run_tags, "dagster_wandb"])),
        unpickle_from_other_projects=unpickle_from_other_projects,
    )
    check_folder(settings.base_dir, "base_dir")
    check_not_linked([settings.integration_dir, settings.store_dir], "base_dir")
    log_mode(context, settings)
    store = open_store(settings, options, cache_duration_in_minutes)
    return kind(settings=settings, store=store, options=options)


class ClosingArtifactIO(ArtifactIO, contextlib.ContextDecorator):
    """What the classic factory returns: the IO manager itself, as dagster-wandb's factory does (its tests,
    and users' copies of them, call ``handle_output`` on it directly), and a context manager, which Dagster
    enters and leaves around the step, closing it."""

    failed: Callable[[], bool] = staticmethod(lambda: False)

    def __enter__(self) -> ClosingArtifactIO:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(failed=self.failed)


def log_mode(context: dg.InitResourceContext, settings: WandbSettings) -> None:
    """One line per step process: the resolved mode, why, and where artifacts go (nothing is written)."""
    if context.log is not None:
        where = settings.store_dir if settings.mode == "offline" else (settings.host or "W&B")
        context.log.info(f"W&B mode: {settings.mode} ({settings.mode_reason}); artifacts go to {where}.")


def step_failed(context: dg.InitResourceContext) -> bool:
    """Whether a step of this Dagster run has failed so far: a resource's teardown never sees the step's
    exception, but Dagster has recorded the failure by then (in the step process too)."""
    if context.instance is None or context.run is None:
        return False
    return bool(context.instance.all_logs(context.run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE))


def _storage_dir(context: dg.InitResourceContext) -> str | None:
    return context.instance.storage_directory() if context.instance is not None else None


class WandbArtifactsIOManager(dg.ConfigurableIOManagerFactory):
    """Stores asset and op outputs as W&B Artifacts (a local versioned store offline) and loads them back."""

    wandb_resource: WandbResource = Field(description="The W&B resource: entity, project, mode and credentials.")
    run_name: str | None = Field(default=None, description=_FIELD_DESCRIPTIONS["run_name"])
    run_id: str | None = Field(default=None, description=_FIELD_DESCRIPTIONS["run_id"])
    wandb_run_id: str | None = Field(default=None, description=_FIELD_DESCRIPTIONS["wandb_run_id"])
    run_tags: list[str] = Field(default_factory=list, description=_FIELD_DESCRIPTIONS["run_tags"])
    base_dir: str | None = Field(default=None, description=_FIELD_DESCRIPTIONS["base_dir"])
    cache_duration_in_minutes: int = Field(
        default=DEFAULT_CACHE_MINUTES, description=_FIELD_DESCRIPTIONS["cache_duration_in_minutes"]
    )
    unpickle_from_other_projects: bool = Field(
        default=False, description=_FIELD_DESCRIPTIONS["unpickle_from_other_projects"]
    )

    @model_validator(mode="after")
    def _validate(self) -> WandbArtifactsIOManager:
        # Raised as our own error (not a ValueError), so pydantic lets it through unwrapped at construction.
        check_options(self.run_id, self.wandb_run_id, self.cache_duration_in_minutes)
        return self

    def create_io_manager(self, context: dg.InitResourceContext) -> ArtifactIO:
        settings = self.wandb_resource.settings(
            base_dir=self.base_dir,
            instance_storage_dir=_storage_dir(context),
            source="WandbArtifactsIOManager",
        )
        return build_worker(
            context,
            settings,
            run_name=self.run_name,
            run_id=self.run_id,
            wandb_run_id=self.wandb_run_id,
            run_tags=list(self.run_tags),
            cache_duration_in_minutes=self.cache_duration_in_minutes,
            unpickle_from_other_projects=self.unpickle_from_other_projects,
        )

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[ArtifactIO]:
        worker = self.create_io_manager(context)
        try:
            yield worker
        finally:
            worker.close(failed=lambda: step_failed(context))


@dg.io_manager(
    required_resource_keys={"wandb_resource", "wandb_config"},
    config_schema={
        "run_name": dg.Field(str, is_required=False, description=_FIELD_DESCRIPTIONS["run_name"]),
        "run_id": dg.Field(str, is_required=False, description=_FIELD_DESCRIPTIONS["run_id"]),
        "wandb_run_id": dg.Field(str, is_required=False, description=_FIELD_DESCRIPTIONS["wandb_run_id"]),
        "run_tags": dg.Field([str], is_required=False, default_value=[], description=_FIELD_DESCRIPTIONS["run_tags"]),
        "base_dir": dg.Field(dg.StringSource, is_required=False, description=_FIELD_DESCRIPTIONS["base_dir"]),
        "cache_duration_in_minutes": dg.Field(
            int,
            is_required=False,
            default_value=DEFAULT_CACHE_MINUTES,
            description=_FIELD_DESCRIPTIONS["cache_duration_in_minutes"],
        ),
        "unpickle_from_other_projects": dg.Field(
            bool,
            is_required=False,
            default_value=False,
            description=_FIELD_DESCRIPTIONS["unpickle_from_other_projects"],
        ),
    },
    description="W&B Artifacts IO manager (classic style); reads entity and project from `wandb_config`.",
)
def wandb_artifacts_io_manager(context: dg.InitResourceContext) -> ClosingArtifactIO:
    config = context.resource_config
    values = context.resources.wandb_config
    settings = context.resources.wandb_resource.settings(
        entity=values.get("entity", ""),
        project=values.get("project", ""),
        base_dir=config.get("base_dir"),
        instance_storage_dir=_storage_dir(context),
        source="wandb_config",
    )
    worker = build_worker(
        context,
        settings,
        run_name=config.get("run_name"),
        run_id=config.get("run_id"),
        wandb_run_id=config.get("wandb_run_id"),
        run_tags=config["run_tags"],
        cache_duration_in_minutes=config["cache_duration_in_minutes"],
        unpickle_from_other_projects=config["unpickle_from_other_projects"],
        kind=ClosingArtifactIO,
    )
    worker.failed = lambda: step_failed(context)
    return worker
