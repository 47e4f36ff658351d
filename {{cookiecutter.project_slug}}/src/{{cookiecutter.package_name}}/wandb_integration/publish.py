"""Push what was materialized offline to W&B: every local version, with its aliases, metadata and lineage.

``python -m <package>.wandb_integration.publish --base-dir $DAGSTER_HOME/storage [--dry-run]`` (or
``make publish``) needs ``WANDB_API_KEY`` (and ``WANDB_BASE_URL`` for a dedicated server). One W&B run per
entity/project logs the versions oldest first, so W&B numbers them in the same order. Each published
version is recorded next to the artifact's index (``published.json``), so running it again uploads
nothing new; W&B itself also reuses a version whose digest equals the latest one's.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from .errors import WandbModeError
from .resource import wandb_settings
from .settings import WandbSettings
from .store.base import ArtifactId, ArtifactVersion
from .store.local import LocalArtifactStore
from .store.online import LINEAGE_KEY

RECORD = "published.json"


def local_projects(store: LocalArtifactStore) -> Iterator[tuple[str, str]]:
    for entity in sorted(p for p in store.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for project in sorted(p for p in entity.iterdir() if p.is_dir()):
            yield entity.name, project.name


def _record_path(store: LocalArtifactStore, artifact_id: ArtifactId) -> Path:
    return store.root / artifact_id.entity / artifact_id.project / artifact_id.name / RECORD


def published(store: LocalArtifactStore, artifact_id: ArtifactId) -> dict[str, str]:
    path = _record_path(store, artifact_id)
    return json.loads(path.read_text()) if path.is_file() else {}


def _remember(store: LocalArtifactStore, artifact_id: ArtifactId, record: dict[str, str]) -> None:
    path = _record_path(store, artifact_id)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True))
    os.replace(temporary, path)


def pending(store: LocalArtifactStore, entity: str, project: str) -> list[ArtifactVersion]:
    """Local versions of ``entity/project`` not published yet, oldest first per artifact."""
    found = []
    for artifact_id in store.list_artifacts(entity, project):
        done = published(store, artifact_id)
        found += [v for v in store.versions(artifact_id) if v.version_tag not in done]
    return found


def publish_version(store: LocalArtifactStore, run: Any, sdk: Any, version: ArtifactVersion) -> str:
    metadata = {**version.metadata, LINEAGE_KEY: dict(version.lineage), "published_from": "local store"}
    artifact = sdk.Artifact(version.id.name, version.type, description=version.description, metadata=metadata)
    for path, entry in version.entries.items():
        if entry.ref is None:
            artifact.add_file(str(store.local_path(version, path)), name=path, policy="immutable")
        else:
            artifact.add_reference(entry.ref, name=path, checksum=entry.digest != entry.ref)
    aliases = [alias for alias in version.aliases if alias != "latest"]  # W&B moves latest itself
    logged = run.log_artifact(artifact, aliases=aliases)
    logged.wait()
    return f"{version.id.entity}/{version.id.project}/{logged.name}"


def publish(
    store: LocalArtifactStore,
    settings_for: Callable[[str, str], WandbSettings],
    *,
    sdk: Any = None,
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, str]:
    """Publish every pending local version; returns ``{local version: W&B version}``."""
    done: dict[str, str] = {}
    for entity, project in local_projects(store):
        versions = pending(store, entity, project)
        if not versions:
            continue
        if dry_run:
            for version in versions:
                echo(f"would publish {version.id}:{version.version_tag}")
            continue
        settings = settings_for(entity, project)
        if settings.mode != "online":
            raise WandbModeError(
                f"publishing needs W&B online, but the mode is offline ({settings.mode_reason}); "
                "export WANDB_API_KEY and unset WANDB_MODE=offline."
            )
        if sdk is None:
            import wandb as sdk
        settings.runs_dir.mkdir(parents=True, exist_ok=True)
        run = sdk.init(
            entity=entity,
            project=project,
            job_type="publish-offline-artifacts",
            dir=str(settings.runs_dir),
            reinit="create_new",
            settings=wandb_settings(settings),
        )
        try:
            for version in versions:
                remote = publish_version(store, run, sdk, version)
                record = published(store, version.id)
                record[version.version_tag] = remote
                _remember(store, version.id, record)
                done[f"{version.id}:{version.version_tag}"] = remote
                echo(f"published {version.id}:{version.version_tag} as {remote}")
        finally:
            run.finish()
    return done


@dg.op(
    required_resource_keys={"wandb_resource"},
    description="Publishes every local (offline) artifact version to W&B; needs WANDB_API_KEY.",
    tags={"kind": "wandb"},
)
def publish_offline_artifacts(context: dg.OpExecutionContext) -> None:
    resource = context.resources.wandb_resource
    storage = context.instance.storage_directory()
    local_settings = resource.settings(instance_storage_dir=storage)
    store = LocalArtifactStore(local_settings.store_dir)

    def settings_for(entity: str, project: str) -> WandbSettings:
        return WandbSettings.build(
            entity=entity,
            project=project,
            mode="online",
            base_dir=local_settings.base_dir,
            api_key=local_settings.api_key,
            host=local_settings.host,
            source="publish_offline_artifacts",
        )

    done = publish(store, settings_for, echo=context.log.info)
    context.log.info(f"{len(done)} version(s) published.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-dir", required=True, help="The IO manager's base_dir ($DAGSTER_HOME/storage).")
    parser.add_argument("--dry-run", action="store_true", help="List what would be published.")
    args = parser.parse_args(argv)
    base_dir = Path(args.base_dir)
    store = LocalArtifactStore(
        WandbSettings.build(entity="x", project="x", mode="offline", base_dir=base_dir).store_dir
    )

    def settings_for(entity: str, project: str) -> WandbSettings:
        return WandbSettings.build(
            entity=entity,
            project=project,
            mode="online",
            base_dir=base_dir,
            host=os.environ.get("WANDB_BASE_URL"),
            source="publish",
        )

    published_now = publish(store, settings_for, dry_run=args.dry_run)
    print(f"{len(published_now)} version(s) published.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
