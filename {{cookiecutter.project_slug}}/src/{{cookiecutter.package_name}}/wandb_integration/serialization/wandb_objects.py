"""W&B values as outputs: ``wandb.Artifact`` objects and W&B media/data types (``Table``, ``Image``, …).

Nothing here imports wandb on its own: an object can only be a W&B value if user code already imported
wandb, so the checks look in ``sys.modules``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import WandbConfigurationError
from ..stores.base import ManifestEntry
from ..stores.checks import ENTRY_PATH_RULE, is_entry_path
from ..stores.files import hash_file
from ..stores.staging import link_or_copy
from ..stores.verification import seal


def is_wandb_artifact(obj: Any) -> bool:
    wandb = sys.modules.get("wandb")
    return wandb is not None and isinstance(obj, wandb.Artifact)


def is_wandb_object(obj: Any) -> bool:
    data_types = sys.modules.get("wandb.data_types")
    return data_types is not None and isinstance(obj, data_types.WBValue)


def stage_object(obj: Any, staging_dir: Path, draft: Any, where: str) -> None:
    """``obj`` in a new ``wandb.Artifact`` under its class name (read back with ``get: "Table"``), staged
    onto ``draft``. wandb writes the object's files into its staging folder, keeping two copies of some for
    good; pointed at a scratch folder of this process inside the store, they go when it is removed."""
    import wandb

    with tempfile.TemporaryDirectory(dir=staging_dir.parent.parent) as data_dir, _wandb_data_dir(data_dir):
        artifact = wandb.Artifact(draft.id.name, draft.type)
        artifact.add(obj, type(obj).__name__)
        stage_artifact(artifact, staging_dir, draft, where)


@contextmanager
def _wandb_data_dir(folder: str) -> Iterator[None]:
    """wandb reads ``WANDB_DATA_DIR`` whenever it stages a file; a step runs in one thread."""
    before = os.environ.get("WANDB_DATA_DIR")
    os.environ["WANDB_DATA_DIR"] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("WANDB_DATA_DIR", None)
        else:
            os.environ["WANDB_DATA_DIR"] = before


def stage_artifact(artifact: Any, staging_dir: Path, draft: Any, where: str) -> None:
    """Hard-link (or copy) the files of a ``wandb.Artifact`` into ``staging_dir`` and onto ``draft``.

    wandb keeps its own copies of added files in a staging folder: those are hard-linked (no second copy
    on disk, and wandb's stays valid, so the same Artifact can be returned for another output too);
    anything else (files added with ``policy="immutable"``, a read artifact's files) is copied, so user
    files stay untouched. Every entry name is checked first, so nothing lands outside the artifact.
    """
    entries = dict(artifact.manifest.entries)
    for path in entries:
        if not is_entry_path(path):
            raise WandbConfigurationError(
                f"{where}: the returned wandb.Artifact has an entry {path!r}; it must be {ENTRY_PATH_RULE}."
            )
    wandb_staging = _wandb_staging_dir()
    for path, entry in entries.items():
        if entry.ref is not None:
            draft.references.append(
                ManifestEntry(path=path, digest=str(entry.digest), size=entry.size or 0, ref=entry.ref)
            )
            continue
        target = staging_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = Path(entry.local_path) if entry.local_path else None
        if source is None or not source.is_file():
            if artifact.is_draft():
                raise WandbConfigurationError(
                    f"{where}: file {entry.local_path!r} of entry {path!r} of the returned wandb.Artifact is gone; "
                    "keep the files you add until the output is handled, or add them with new_file()."
                )
            # A logged Artifact passed on (read, then returned): its local copies (if wandb kept the object
            # from when it logged it) may be gone; get the bytes the public way.
            source = Path(artifact.get_entry(path).download())
        if wandb_staging is not None and source.is_relative_to(wandb_staging):
            link_or_copy(source, target)
        else:
            draft.digests[path] = hash_file(source, copy_to=target)
            draft.stamps[path] = seal(target)
        draft.files[path] = target


def _wandb_staging_dir() -> Path | None:
    data_dir = os.environ.get("WANDB_DATA_DIR")
    root = Path(data_dir) if data_dir else Path.home() / ".local" / "share" / "wandb"
    return (root / "artifacts" / "staging").resolve()
