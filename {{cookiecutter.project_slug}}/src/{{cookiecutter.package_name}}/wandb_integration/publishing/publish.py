"""Publish what was materialized offline to W&B: a command, a Dagster op and a job factory.

Command (needs ``WANDB_API_KEY``; ``WANDB_BASE_URL`` for a dedicated W&B server)::

    python -m <package>.wandb_integration publish [--base-dir DIR] [--entity E] [--project P] [--dry-run]

``--base-dir`` is the IO manager's ``base_dir`` (default ``$DAGSTER_HOME/storage``, the Dagster instance's
storage folder). ``--entity`` / ``--project`` publish only those local artifacts; ``--dry-run`` lists what
is pending and needs no key. In Dagster: the ``publish_offline_artifacts`` op (config ``entity``,
``project``, ``dry_run``; resource ``wandb_resource``), or a job from ``make_publish_job()``.

What is replayed and how repeated runs stay idempotent: see ``replay.py``.
"""

# No `from __future__ import annotations`: Dagster reads the op's config annotation at definition time.
import argparse
import os
import sys
from pathlib import Path

import dagster as dg
from pydantic import Field

from ..errors import WandbArtifactsIOManagerError, WandbConfigurationError
from ..settings import WandbSettings
from ..stores.local import LocalArtifactStore
from .replay import PublishReport, publish, publish_store

__all__ = ["PublishReport", "main", "make_publish_job", "publish", "publish_offline_artifacts", "publish_store"]

# Placeholders for settings that only carry credentials: publish_store scopes them to each local project.
_ANY = "local"


def store_at(base_dir: Path) -> LocalArtifactStore:
    """The local store under an IO manager ``base_dir``, where the settings put it."""
    return LocalArtifactStore(_settings(base_dir, "offline").store_dir)


def _settings(base_dir: Path, mode: str, api_key: str | None = None, host: str | None = None) -> WandbSettings:
    return WandbSettings.build(
        entity=_ANY, project=_ANY, mode=mode, base_dir=base_dir, api_key=api_key, host=host, source="publish"
    )


class PublishConfig(dg.Config):
    entity: str | None = Field(default=None, description="Publish only this entity's local artifacts.")
    project: str | None = Field(default=None, description="Publish only this project's local artifacts.")
    dry_run: bool = Field(default=False, description="Only list what would be published; needs no API key.")


@dg.op(
    required_resource_keys={"wandb_resource"},
    description="Publishes local (offline) W&B artifact versions with aliases and metadata; needs WANDB_API_KEY.",
    tags={"kind": "wandb"},
)
def publish_offline_artifacts(context: dg.OpExecutionContext, config: PublishConfig) -> None:
    resource = context.resources.wandb_resource
    # The resource may have no entity/project (the classic style keeps them in wandb_config); the local
    # store's folders say which ones exist.
    settings = resource.settings(
        entity=resource.entity or _ANY,
        project=resource.project or _ANY,
        instance_storage_dir=context.instance.storage_directory(),
        source="publish_offline_artifacts",
    )
    report = publish_store(
        settings,
        LocalArtifactStore(settings.store_dir),
        entity=config.entity,
        project=config.project,
        dry_run=config.dry_run,
        echo=context.log.info,
    )
    context.log.info(report.summary())


def make_publish_job(name: str = "publish_job", **job_kwargs: object) -> dg.JobDefinition:
    """A job running ``publish_offline_artifacts``; ``job_kwargs`` go to ``dg.job`` (e.g. ``resource_defs``)."""

    @dg.job(name=name, description="Publish local (offline) artifact versions to W&B; needs a key.", **job_kwargs)
    def publish_offline_job() -> None:
        publish_offline_artifacts()

    return publish_offline_job


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="publish", description="Publish local (offline) W&B artifact versions to W&B."
    )
    home = os.environ.get("DAGSTER_HOME")
    parser.add_argument(
        "--base-dir",
        default=str(Path(home) / "storage") if home else None,
        help="The IO manager's base_dir (default: $DAGSTER_HOME/storage).",
    )
    parser.add_argument("--entity", help="Only this entity's local artifacts.")
    parser.add_argument("--project", help="Only this project's local artifacts.")
    parser.add_argument("--dry-run", action="store_true", help="List what would be published; needs no key.")
    args = parser.parse_args(argv)
    if args.base_dir is None:
        parser.error("--base-dir is required when DAGSTER_HOME is not set")
    base_dir = Path(args.base_dir)
    try:
        store = store_at(base_dir)
        if not store.root.is_dir():
            raise WandbConfigurationError(
                f"there is no local artifact store under --base-dir {base_dir} (no {store.root}); "
                "pass the base_dir the IO manager used."
            )
        # Offline for a dry run: it lists only and must work without a key.
        mode = "offline" if args.dry_run else "online"
        settings = _settings(base_dir, mode, host=os.environ.get("WANDB_BASE_URL"))
        report = publish_store(settings, store, entity=args.entity, project=args.project, dry_run=args.dry_run)
    except WandbArtifactsIOManagerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
