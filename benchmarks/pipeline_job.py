"""Case 8's job: the example pipeline's data and training steps, on the baked project's own definitions.

Step processes of the multiprocess executor rebuild the job from this module (``dg.reconstructable``),
so everything they need comes from the environment the worker sets: ``BENCH_PACKAGE`` (the baked
package), ``BENCH_IO`` (``ours``: the project's resources as generated; ``fs``: the same graph with Dagster's
``FilesystemIOManager`` under both IO manager keys) and ``BENCH_FS_DIR`` (the baseline's folder). The
labels artifact the graph starts from is provided first, outside the clock (``provide_labels``).

The graph stops at ``trained_model``: ``model_evaluation`` returns a ``wandb.Artifact`` and its readers use
``get`` / ``get_path``, which only the W&B IO manager serves, so there is no baseline for them.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
from pathlib import Path

import dagster as dg

STEPS = ["raw_dataset", "training_dataset", "validation_dataset", "trained_model"]


def provide_labels(package: str, io: str, home: str) -> None:
    """The ``wine_labels`` artifact raw_dataset reads, made as a labelling team would: published into the
    local store for ours (as ``make labels`` does); for the baseline, the path of a ``labels.json`` pickled
    where ``FilesystemIOManager`` loads the ``wine_labels`` input from."""
    external = importlib.import_module(f"{package}.external_artifact")
    if io == "ours":
        external.main([])
        return
    labels = Path(home, "labels.json")
    labels.write_text(json.dumps(external.LABELS))
    Path(os.environ["BENCH_FS_DIR"]).mkdir(parents=True, exist_ok=True)
    Path(os.environ["BENCH_FS_DIR"], "wine_labels").write_bytes(pickle.dumps(str(labels)))


def training_steps_job() -> dg.JobDefinition:
    package = os.environ["BENCH_PACKAGE"]
    defs = importlib.import_module(f"{package}.definitions").defs
    defs = defs() if callable(defs) else defs
    constants = importlib.import_module(f"{package}.defs.constants")
    resources = dict(defs.resources or {})
    if os.environ["BENCH_IO"] == "fs":
        baseline = dg.FilesystemIOManager(base_dir=os.environ["BENCH_FS_DIR"])
        resources[constants.ARTIFACTS_IO_MANAGER_KEY] = baseline
        resources["io_manager"] = baseline
    job = dg.define_asset_job("bench_training_steps", selection=dg.AssetSelection.assets(*STEPS))
    return dg.Definitions(
        assets=list(defs.assets or []),
        resources=resources,
        jobs=[job],
        executor=dg.multiprocess_executor.configured({"max_concurrent": 2}),
    ).resolve_job_def("bench_training_steps")
