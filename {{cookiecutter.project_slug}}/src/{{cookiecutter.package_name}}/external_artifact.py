"""Publish the ``wine_labels`` artifact the way a tool outside Dagster would, so the external-asset example
(``defs/assets/advanced.py``) has something to read.

Offline it is committed straight to the local store; online it is logged by its own short W&B run.
``python -m <package>.external_artifact`` runs it against ``$DAGSTER_HOME``.
"""

import json
import tempfile
from pathlib import Path

from .defs.assets.advanced import EXTERNAL_ARTIFACT
from .wandb_integration import WandbResource
from .wandb_integration.settings import WandbSettings
from .wandb_integration.stores.base import ArtifactDraft, ArtifactId

LABELS = {"0": "class_0", "1": "class_1", "2": "class_2"}


def seed_external_artifact(settings: WandbSettings) -> str:
    """Write ``wine_labels`` (one ``labels.json``) unless the same content is already its latest version."""
    if settings.mode == "offline":
        from .wandb_integration.stores.local import LocalArtifactStore

        store = LocalArtifactStore(settings.store_dir)
        with store.staging_dir() as folder:
            (folder / "labels.json").write_text(json.dumps(LABELS, indent=2))
            draft = ArtifactDraft(
                id=ArtifactId(settings.entity, settings.project, EXTERNAL_ARTIFACT),
                type="labels",
                files={"labels.json": folder / "labels.json"},
                description="Cultivar names, published outside Dagster.",
            )
            version = store.commit(draft)
        return f"{version.id}:{version.version_tag}"
    import wandb

    from .wandb_integration.settings import wandb_settings

    with tempfile.TemporaryDirectory() as folder:
        labels = Path(folder) / "labels.json"
        labels.write_text(json.dumps(LABELS, indent=2))
        run = wandb.init(
            entity=settings.entity,
            project=settings.project,
            job_type="publish-labels",
            dir=str(settings.runs_dir),
            settings=wandb_settings(settings),
            reinit="create_new",
        )
        try:
            artifact = wandb.Artifact(EXTERNAL_ARTIFACT, "labels", description="Cultivar names.")
            artifact.add_file(str(labels))
            run.log_artifact(artifact).wait()
            return f"{artifact.qualified_name}"
        finally:
            run.finish()


def main() -> None:
    from .defs.constants import WANDB_ENTITY, WANDB_MODE, WANDB_PROJECT

    resource = WandbResource(entity=WANDB_ENTITY, project=WANDB_PROJECT, mode=WANDB_MODE)
    print(seed_external_artifact(resource.settings(instance_storage_dir=_instance_storage())))


def _instance_storage() -> str:
    import dagster as dg

    return dg.DagsterInstance.get().storage_directory()


if __name__ == "__main__":
    main()
