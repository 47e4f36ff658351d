"""The W&B resource: credentials, entity/project defaults and the mode, for the IO manager and user code.

``WandbResource`` is the Pythonic form. The classic ``wandb_resource`` (config ``api_key``, ``host``) and the
``wandb_config`` values resource (``entity``, ``project``) from the W&B guide build the same object, so
``wandb_resource.configured({"api_key": {"env": "WANDB_API_KEY"}})`` keeps working.

Nothing here imports wandb or reads the environment at import time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import dagster as dg
from pydantic import Field, PrivateAttr, model_validator

from . import run_metrics, runs
from .connectivity import check_connection, check_server
from .errors import WandbModeError
from .settings import WandbSettings, check_entity, check_project, default_base_dir, resolve_mode, wandb_settings

CLASSIC_KEYS = ("sdk", "api", "host")


class WandbResource(dg.ConfigurableResource):
    """Weights & Biases access for assets, ops and the artifacts IO manager (offline by default without a key)."""

    api_key: str | None = Field(
        default=None,
        repr=False,  # a repr ends up in logs and error messages
        description="W&B API key; use dg.EnvVar('WANDB_API_KEY'). Without one, mode 'auto' works offline.",
    )
    host: str | None = Field(
        default=None,
        description="W&B server URL for dedicated or self-hosted W&B; default: wandb's own (or WANDB_BASE_URL).",
    )
    entity: str | None = Field(default=None, description="W&B user or team that owns runs and artifacts.")
    project: str | None = Field(default=None, description="W&B project for runs and artifacts.")
    mode: Literal["auto", "online", "offline"] = Field(
        default="auto",
        description="'auto': online when an API key is available, else the local store. "
        "WANDB_MODE=offline in the environment always wins.",
    )
    base_dir: str | None = Field(
        default=None,
        description="Folder for the local artifact store, cache and run files; default: the Dagster "
        "instance storage directory, else $DAGSTER_HOME.",
    )
    connect_timeout: float = Field(
        default=5.0,
        ge=0,
        description="Online: seconds the first check that the W&B server answers may take before the step "
        "fails with the cause (DNS, refused, no answer, TLS, rejected key); 0 skips the check.",
    )

    _instance_storage_dir: str | None = PrivateAttr(default=None)
    _dagster_run_id: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _validate(self) -> WandbResource:
        # Entity and project may come later from the classic `wandb_config`; check them when given.
        if self.entity is not None:
            check_entity(self.entity, "WandbResource")
        if self.project is not None:
            check_project(self.project, "WandbResource")
        return self

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        if context.instance is not None:
            self._instance_storage_dir = context.instance.storage_directory()
        if context.run is not None:
            self._dagster_run_id = context.run.run_id

    def settings(
        self,
        *,
        entity: str | None = None,
        project: str | None = None,
        base_dir: str | None = None,
        instance_storage_dir: str | None = None,
        source: str = "WandbResource",
    ) -> WandbSettings:
        """Resolved settings; arguments override the resource's own values (the classic ``wandb_config``)."""
        folder = base_dir or self.base_dir or default_base_dir(instance_storage_dir or self._instance_storage_dir)
        return WandbSettings.build(
            entity=entity if entity is not None else (self.entity or ""),
            project=project if project is not None else (self.project or ""),
            mode=self.mode,
            base_dir=folder,
            api_key=self.api_key,
            host=self.host,
            connect_timeout=self.connect_timeout,
            source=source,
        )

    @property
    def sdk(self) -> Any:
        """The ``wandb`` module, imported on first use."""
        import wandb

        return wandb

    def api(self) -> Any:
        """A ``wandb.Api`` with this resource's key and host (nothing written to ``~/.netrc``); needs online."""
        mode, reason = resolve_mode(self.mode, self.api_key)
        if mode == "offline":
            raise WandbModeError(
                f"a W&B API client needs W&B online, but the mode is offline ({reason}); set WANDB_API_KEY "
                "(and unset WANDB_MODE=offline), or keep to what works offline (the IO manager, run())."
            )
        key = self.api_key or os.environ.get("WANDB_API_KEY")
        check_connection(self.host, key, self.connect_timeout)
        return self.sdk.Api(api_key=key, overrides={"base_url": self.host} if self.host else None)

    # dagster-wandb's classic resource was the dict {"sdk": wandb, "api": Api, "host": host}; code that
    # indexes it keeps working. Each value is made on access, so loading definitions imports nothing. (No
    # keys(): dict(resource), which Dagster calls, must keep iterating the config fields.)
    def __getitem__(self, key: str) -> Any:
        if key == "sdk":
            return self.sdk
        if key == "api":
            return self.api()
        if key == "host":
            return self.host or os.environ.get("WANDB_BASE_URL") or self.sdk.Settings().base_url
        raise KeyError(
            f"{key!r}: the W&B resource offers {', '.join(map(repr, CLASSIC_KEYS))} as dagster-wandb did, "
            "and its methods (run(), link_artifact(), settings())."
        )

    def __contains__(self, key: object) -> bool:
        return key in CLASSIC_KEYS

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in CLASSIC_KEYS else default

    @contextlib.contextmanager
    def run(
        self, run_id: str | None = None, *, settings: WandbSettings | None = None, **init_kwargs: Any
    ) -> Iterator[Any]:
        """A W&B run with this id, resumed if it exists, finished on exit (also on failure).

        The id defaults to the Dagster run's id, which is also the artifacts IO manager's default, so
        metrics and artifacts of one Dagster run land in one W&B run (pass ``run_id`` if the IO manager's
        ``run_id`` is configured otherwise). If the IO manager already holds that run open in this process,
        it is shared: ``config`` is merged, ``tags`` added, ``name`` and ``notes`` set, other ``wandb.init``
        arguments are reported with a ``SharedRunWarning``; the run is finished by its last holder, with
        exit code 1 if any holder failed. Outside a run (direct invocation) wandb picks a new id.
        Offline, wandb writes an offline run under ``base_dir`` that ``wandb sync`` can upload later.

        Inside an asset, what the block logs (new or changed summary scalars, and ``config``) is added to
        the asset's materialization metadata as ``wandb_summary/<key>`` (see ``run_metrics.py``).
        """
        resolved = settings or self.settings()
        check_server(resolved)
        wandb = self.sdk
        resolved.runs_dir.mkdir(parents=True, exist_ok=True)
        run_id = run_id or self._dagster_run_id

        def init() -> Any:
            return wandb.init(
                id=run_id,
                resume="allow",
                entity=resolved.entity,
                project=resolved.project,
                dir=str(resolved.runs_dir),
                mode=resolved.mode,
                reinit="create_new",
                settings=wandb_settings(resolved),
                **init_kwargs,
            )

        run = runs.acquire(wandb, run_id, resolved.entity, resolved.project, init, init_kwargs=init_kwargs)
        before = run_metrics.snapshot(run)
        failed = True
        try:
            yield run
            failed = False
            run_metrics.attach_to_current_asset(run_metrics.metadata_since(run, before, init_kwargs.get("config")))
        finally:
            runs.release(wandb, run, failed=failed)

    def link_artifact(
        self,
        source: str,
        target_path: str,
        aliases: Sequence[str] = (),
        *,
        settings: WandbSettings | None = None,
    ) -> dict[str, Any]:
        """Promote ``source`` (``"trained_model:v3"``) into a registry collection (``"wandb-registry-model/x"``).

        Online through ``Artifact.link``; offline into the local store's registry namespace.
        Returns metadata describing the linked version, ready for ``context.add_output_metadata``.
        """
        from .stores.registry import link_artifact

        return link_artifact(settings or self.settings(), source, target_path, aliases)


@dg.resource(
    config_schema={
        "api_key": dg.Field(dg.StringSource, is_required=False, description="W&B API key (may come from env)."),
        "host": dg.Field(dg.StringSource, is_required=False, description="W&B server URL."),
        "mode": dg.Field(
            dg.StringSource,
            is_required=False,
            default_value="auto",
            description="'auto', 'online' or 'offline'.",
        ),
        "base_dir": dg.Field(dg.StringSource, is_required=False, description="Folder for the local store."),
        "connect_timeout": dg.Field(
            float,
            is_required=False,
            default_value=5.0,
            description="Online: seconds the first check that the W&B server answers may take; 0 skips it.",
        ),
    },
    description="W&B access (classic style); entity and project come from the `wandb_config` resource.",
)
def wandb_resource(context: dg.InitResourceContext) -> WandbResource:
    config = context.resource_config
    resource = WandbResource(
        api_key=config.get("api_key") or None,
        host=config.get("host") or None,
        mode=config.get("mode", "auto"),
        base_dir=config.get("base_dir"),
        connect_timeout=config["connect_timeout"],
    )
    if context.instance is not None:
        resource._instance_storage_dir = context.instance.storage_directory()
    return resource


def wandb_config_resource() -> dg.ResourceDefinition:
    """The guide's ``make_values_resource(entity=str, project=str)``, described."""
    return dg.make_values_resource(
        entity=dg.Field(str, description="W&B user or team."),
        project=dg.Field(str, description="W&B project."),
    )
