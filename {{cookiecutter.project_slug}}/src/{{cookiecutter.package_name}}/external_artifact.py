"""Publish the ``wine_labels`` artifact the way a labelling team outside Dagster would.

``raw_dataset`` reads the cultivar names from it, and the ``wine_labels`` external asset observes its W&B
digest, so publishing other names marks the data and training family stale (and, with the sensor or the
automation on, retrains). Offline the version is committed straight to the local store; online it is
logged by its own short W&B run. Content equal to the latest version's publishes nothing.

``make labels`` (or ``python -m <package>.external_artifact [--names a,b,c]``) runs it against
``$DAGSTER_HOME``.
"""

import argparse
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .defs.constants import LABELS_ARTIFACT, LABELS_FILE
from .wandb_integration import ArtifactNotFoundError, WandbResource
from .wandb_integration.settings import WandbSettings
from .wandb_integration.stores.base import ArtifactDraft, ArtifactId
from .wandb_integration.stores.digests import artifact_digest, bytes_digest

LABELS = {"0": "class_0", "1": "class_1", "2": "class_2"}


def seed_external_artifact(settings: WandbSettings, labels: Mapping[str, str] = LABELS) -> str:
    """Publish ``labels`` as ``wine_labels`` (one ``labels.json``) unless its latest version holds them."""
    content = json.dumps(dict(labels), indent=2)
    if settings.mode == "offline":
        from .wandb_integration.stores.local import LocalArtifactStore

        store = LocalArtifactStore(settings.store_dir)
        with store.staging_dir() as folder:
            (folder / LABELS_FILE).write_text(content)
            draft = ArtifactDraft(
                id=ArtifactId(settings.entity, settings.project, LABELS_ARTIFACT),
                type="labels",
                files={LABELS_FILE: folder / LABELS_FILE},
                description="Cultivar names, published outside Dagster.",
            )
            version = store.commit(draft)  # equal content: the store keeps the latest version
        return f"{version.id}:{version.version_tag}"
    return _publish_online(settings, content)


def _publish_online(settings: WandbSettings, content: str) -> str:
    import wandb

    from .wandb_integration.automation import current_version
    from .wandb_integration.settings import wandb_settings

    resource = WandbResource(
        entity=settings.entity,
        project=settings.project,
        mode="online",
        api_key=settings.api_key,
        host=settings.host,
        base_dir=str(settings.base_dir),
    )
    try:
        latest = current_version(resource, LABELS_ARTIFACT)
        if latest.digest == artifact_digest([(LABELS_FILE, bytes_digest(content.encode()))]):
            return f"{latest.ref.id}:{latest.version}"
    except ArtifactNotFoundError:
        pass  # the first version
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / LABELS_FILE
        path.write_text(content)
        run = wandb.init(
            entity=settings.entity,
            project=settings.project,
            job_type="publish-labels",
            dir=str(settings.runs_dir),
            settings=wandb_settings(settings),
            reinit="create_new",
        )
        try:
            artifact = wandb.Artifact(LABELS_ARTIFACT, "labels", description="Cultivar names.")
            artifact.add_file(str(path), name=LABELS_FILE)
            run.log_artifact(artifact).wait()
            return artifact.qualified_name
        finally:
            run.finish()


def main(argv: list[str] | None = None) -> None:
    from .defs.constants import WANDB_ENTITY, WANDB_MODE, WANDB_PROJECT

    parser = argparse.ArgumentParser(description="Publish the wine_labels artifact (cultivar names).")
    parser.add_argument(
        "--names", help="comma-separated names of classes 0, 1, 2, ... (default: class_0,class_1,class_2)"
    )
    args = parser.parse_args(argv)
    labels = LABELS
    if args.names:
        names = [name.strip() for name in args.names.split(",")]
        if len(names) != len(LABELS) or not all(names):
            parser.error(
                f"--names {args.names!r} must give {len(LABELS)} non-empty names, e.g. barolo,grignolino,barbera"
            )
        labels = {str(index): name for index, name in enumerate(names)}
    resource = WandbResource(entity=WANDB_ENTITY, project=WANDB_PROJECT, mode=WANDB_MODE)
    print(seed_external_artifact(resource.settings(instance_storage_dir=_instance_storage()), labels))


def _instance_storage() -> str:
    import dagster as dg

    return dg.DagsterInstance.get().storage_directory()


if __name__ == "__main__":
    main()
