"""W&B values as outputs: ``wandb.Artifact`` objects and W&B media/data types (``Table``, ``Image``, …).

Nothing here imports wandb on its own: an object can only be a W&B value if user code already imported
wandb, so the checks look in ``sys.modules``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ..stores.base import ManifestEntry


def is_wandb_artifact(obj: Any) -> bool:
    wandb = sys.modules.get("wandb")
    return wandb is not None and isinstance(obj, wandb.Artifact)


def is_wandb_object(obj: Any) -> bool:
    data_types = sys.modules.get("wandb.data_types")
    return data_types is not None and isinstance(obj, data_types.WBValue)


def wrap_object(obj: Any, name: str, artifact_type: str) -> Any:
    """A new ``wandb.Artifact`` holding ``obj`` under its class name (read back with ``get: "Table"``)."""
    import wandb

    artifact = wandb.Artifact(name, artifact_type)
    artifact.add(obj, type(obj).__name__)
    return artifact


def stage_artifact(artifact: Any, staging_dir: Path) -> tuple[dict[str, Path], list[ManifestEntry]]:
    """Move (or copy) the files of an unlogged ``wandb.Artifact`` into ``staging_dir``.

    wandb keeps its own copies of added files in a staging folder that it never cleans; those are moved,
    anything else (files added with ``policy="immutable"``) is copied so user files stay untouched.
    """
    files: dict[str, Path] = {}
    references: list[ManifestEntry] = []
    wandb_staging = _wandb_staging_dir()
    for path, entry in artifact.manifest.entries.items():
        if entry.ref is not None:
            references.append(ManifestEntry(path=path, digest=str(entry.digest), size=entry.size or 0, ref=entry.ref))
            continue
        target = staging_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = Path(entry.local_path)
        if wandb_staging is not None and source.is_relative_to(wandb_staging):
            shutil.move(source, target)
        else:
            shutil.copyfile(source, target)
        files[path] = target
    return files, references


def _wandb_staging_dir() -> Path | None:
    data_dir = os.environ.get("WANDB_DATA_DIR")
    root = Path(data_dir) if data_dir else Path.home() / ".local" / "share" / "wandb"
    return (root / "artifacts" / "staging").resolve()
