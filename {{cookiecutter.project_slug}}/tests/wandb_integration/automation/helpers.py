"""Shared by the automation tests: publish an artifact the way a tool outside Dagster would."""

from importlib import import_module

import dagster as dg

from tests._package import PACKAGE_NAME, local_store, store_base
from tests.conftest import ENTITY, PROJECT

automation = import_module(f"{PACKAGE_NAME}.wandb_integration.automation")
ArtifactId = store_base.ArtifactId


def publish(store, name, text, *, aliases=(), entity=ENTITY, project=PROJECT):
    """Commit ``labels.json`` holding ``text`` as a version of ``name``; unchanged content adds no version."""
    with store.staging_dir() as folder:
        (folder / "labels.json").write_text(text)
        draft = store_base.ArtifactDraft(
            id=ArtifactId(entity, project, name),
            type="labels",
            files={"labels.json": folder / "labels.json"},
            aliases=list(aliases),
        )
        return store.commit(draft)


def open_store(wandb_resource):
    return local_store.LocalArtifactStore(wandb_resource.settings().store_dir)


def labels_graph(io_manager_key="io_manager"):
    """An observable external ``labels`` asset and an asset that reads it."""
    spec = dg.AssetSpec("labels").with_io_manager_key(io_manager_key)
    observable = automation.observable_artifact(spec)

    @dg.asset(
        ins={"labels": dg.AssetIn("labels", metadata={"wandb_artifact_configuration": {"get_path": "labels.json"}})}
    )
    def label_count(labels: str) -> int:
        return len(open(labels).read())

    return observable, label_count
