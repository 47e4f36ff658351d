"""Artifact patterns beyond a single object: a hand-built artifact, reads by version and alias, and the
artifact made outside Dagster (``wine_labels``, an observable external asset) read whole.
"""

import json
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg

from ..constants import ARTIFACTS_IO_MANAGER_KEY, EXAMPLES_GROUP, LABELS_FILE, WANDB_POOL

DATASET_SOURCE = "https://archive.ics.uci.edu/dataset/109/wine"


@dg.asset(
    group_name=EXAMPLES_GROUP,
    kinds={"wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    metadata={"wandb_artifact_configuration": {"aliases": ["reference"]}},
)
def dataset_bundle() -> Any:
    """A ``wandb.Artifact`` built by hand: a file, a folder and a reference to the data's origin."""
    import wandb

    artifact = wandb.Artifact(
        "dataset_bundle",
        "dataset",
        description="Documentation bundle of the wine data: class names, a schema folder and its source.",
        metadata={"source": DATASET_SOURCE},
    )
    with tempfile.TemporaryDirectory() as folder:
        classes = Path(folder) / "classes.csv"
        classes.write_text("class,cultivar\n0,class_0\n1,class_1\n2,class_2\n")
        schema = Path(folder) / "schema"
        schema.mkdir()
        (schema / "columns.json").write_text(json.dumps({"target": "int", "features": 13}))
        (schema / "README.md").write_text("Column schema of the wine dataset.\n")
        artifact.add_file(str(classes))
        artifact.add_dir(str(schema), name="schema")
    artifact.add_reference(DATASET_SOURCE, name="source", checksum=False)
    return artifact


@dg.asset(
    group_name=EXAMPLES_GROUP,
    kinds={"wandb"},
    ins={"bundle": dg.AssetIn("dataset_bundle", metadata={"wandb_artifact_configuration": {"version": "v0"}})},
)
def first_bundle_classes(bundle: Any) -> str:
    """Reads a pinned version (``v0``) of the bundle, whatever ``latest`` is now."""
    return Path(bundle.get_entry("classes.csv").download()).read_text()


@dg.asset(
    group_name=EXAMPLES_GROUP,
    kinds={"wandb"},
    ins={"bundle": dg.AssetIn("dataset_bundle", metadata={"wandb_artifact_configuration": {"alias": "reference"}})},
)
def reference_bundle_schema(bundle: Any) -> dict:
    """Reads the version the ``reference`` alias points at."""
    return json.loads(Path(bundle.get_entry("schema/columns.json").download()).read_text())


@dg.asset(group_name=EXAMPLES_GROUP, kinds={"wandb"}, io_manager_key=ARTIFACTS_IO_MANAGER_KEY, pool=WANDB_POOL)
def label_names(wine_labels: Any) -> dict:
    """Reads the external artifact (defs/assets/dataset.py); it holds plain files, so it arrives as an Artifact."""
    return json.loads(Path(wine_labels.get_entry(LABELS_FILE).download()).read_text())
