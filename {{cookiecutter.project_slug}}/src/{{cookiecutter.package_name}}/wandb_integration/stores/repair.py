"""``repair``: check the local store and bring its indexes up to date; deletes nothing.

Like ``git fsck``, it explains what it finds and changes only what it can rebuild: for each artifact, under
its write lock, the index is rewritten from the version folders and the alias journal when it is missing,
unreadable or stale; every version is read back (manifest against the index, with ``verify_files`` every
file against its digest); anything the store did not make is reported and left where it is. Command::

    python -m <package>.wandb_integration repair [--base-dir DIR] [--entity E] [--project P]
                                                  [--artifact NAME] [--quick] [--dry-run]

``--base-dir`` is the IO manager's ``base_dir`` (default ``$DAGSTER_HOME/storage``); ``--quick`` skips
hashing the stored files; ``--dry-run`` reports without rewriting any index (and takes no lock, so it runs on
a read-only store). Exit status 0 when nothing is damaged or unexplained, 1 otherwise (the report names each
path), 2 when the store cannot be checked (none there, or it cannot be read or written: the message says
why). In Python: ``LocalArtifactStore(root).repair(...)``.
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArtifactIntegrityError, ArtifactStorageError, WandbConfigurationError
from .base import ArtifactId, ArtifactVersion
from .catalog import INDEX, JOURNAL, MANIFEST, VERSIONS
from .checkout import CHECKOUTS
from .checks import check_id
from .commit import LOCK
from .files import storage_errors
from .staging import FILES, STAGING

if TYPE_CHECKING:
    from .local import LocalArtifactStore

# What the store (and publishing) keep in an artifact's folder; anything else is not theirs.
_KNOWN = {INDEX, f"{INDEX}.tmp", JOURNAL, VERSIONS, LOCK, "published.json", "published.json.tmp"}


@dataclasses.dataclass
class RepairReport:
    """What ``repair`` found; keys are artifacts (``entity/project/name``) or versions (``…:vN``)."""

    artifacts: int = 0
    rebuilt: dict[str, str] = dataclasses.field(default_factory=dict)  # artifact -> why its index was rewritten
    damaged: dict[str, str] = dataclasses.field(default_factory=dict)  # version -> what is wrong
    unexplained: list[str] = dataclasses.field(default_factory=list)  # paths left in place

    @property
    def clean(self) -> bool:
        return not self.damaged and not self.unexplained

    def lines(self) -> list[str]:
        found = [f"rebuilt the index of {artifact}: {why}" for artifact, why in sorted(self.rebuilt.items())]
        found += [f"damaged {version}: {problem}" for version, problem in sorted(self.damaged.items())]
        found += [f"unexplained (left in place): {path}" for path in self.unexplained]
        return found

    def summary(self) -> str:
        return (
            f"{self.artifacts} artifact(s) checked: {len(self.rebuilt)} index(es) rebuilt, "
            f"{len(self.damaged)} damaged version(s), {len(self.unexplained)} unexplained path(s)."
        )


def repair_store(
    store: LocalArtifactStore,
    *,
    entity: str | None = None,
    project: str | None = None,
    name: str | None = None,
    verify_files: bool = True,
    dry_run: bool = False,
) -> RepairReport:
    report = RepairReport()
    with storage_errors("the local store", store.root, action="read"):
        artifacts, report.unexplained = survey(store, (entity, project, name))
    for artifact in artifacts:
        report.artifacts += 1
        # A dry run only reads, like any reader: no lock, so it also runs on a read-only store. What cannot
        # be written (the lock, the index) stops the repair; what cannot be read is reported, and the rest checked.
        with (
            storage_errors(f"artifact '{artifact}'", store.name_dir(artifact), action="repair"),
            nullcontext() if dry_run else store.lock(artifact),
        ):
            _repair_one(store, artifact, report, verify_files=verify_files, dry_run=dry_run)
    return report


def survey(store: LocalArtifactStore, wanted: tuple[str | None, ...]) -> tuple[list[ArtifactId], list[str]]:
    """The artifact folders under ``store.root`` (an index, a journal or ``versions/`` in a real folder at
    ``entity/project/name``, all valid names) matching ``wanted``, and every other path on the way there,
    which the store did not make (a file, a link, a folder it cannot hold, an empty or foreign folder)."""
    artifacts: list[ArtifactId] = []
    unexplained: list[str] = []

    def walk(folder: Path, parts: tuple[str, ...]) -> None:
        for path in sorted(folder.iterdir()):
            if not parts and path.name in (STAGING, CHECKOUTS):
                continue
            want = wanted[len(parts)]
            if want is not None and path.name != want:
                continue
            if path.is_symlink() or not path.is_dir() or not _valid_name(path.name):
                unexplained.append(str(path))
            elif len(parts) < 2:
                walk(path, (*parts, path.name))
            elif any(os.path.lexists(path / known) for known in (INDEX, JOURNAL, VERSIONS)):
                artifacts.append(ArtifactId(*parts, path.name))
            else:
                unexplained.append(str(path))

    if store.root.is_dir():
        walk(store.root, ())
    return artifacts, unexplained


def _valid_name(name: str) -> bool:
    try:
        check_id(ArtifactId(name, name, name))
    except WandbConfigurationError:
        return False
    return True


def _repair_one(
    store: LocalArtifactStore, artifact: ArtifactId, report: RepairReport, *, verify_files: bool, dry_run: bool
) -> None:
    name_dir = store.name_dir(artifact)
    try:
        catalog = store.catalog(artifact)
    except ArtifactStorageError as exc:
        report.damaged[str(artifact)] = f"cannot be checked: {exc}"
        return
    if catalog is None:
        return
    report.unexplained += [str(name_dir / path) for path in catalog.unexplained]
    report.unexplained += [str(p) for p in sorted(name_dir.iterdir()) if p.name not in _KNOWN]
    if catalog.rebuilt:
        report.rebuilt[str(artifact)] = catalog.rebuilt
        if not dry_run:
            store.write_index(artifact, catalog)
    readable, damaged = store.scan(artifact)
    report.damaged.update({f"{artifact}:{tag}": problem for tag, problem in damaged.items()})
    for version in readable:
        tag = f"{artifact}:{version.version_tag}"
        try:
            with storage_errors(f"artifact '{tag}'", store.version_dir(version), action="read"):
                report.unexplained += _foreign_files(store, version)
            if verify_files:
                store.verify(version)
        except (ArtifactIntegrityError, ArtifactStorageError) as exc:
            report.damaged[tag] = str(exc)


def _foreign_files(store: LocalArtifactStore, version: ArtifactVersion) -> list[str]:
    """What is in ``version``'s folder besides its manifest and the files it lists."""
    folder = store.version_dir(version)
    files_dir = folder / FILES
    listed = {path for path, entry in version.entries.items() if entry.ref is None}
    return [str(p) for p in sorted(folder.iterdir()) if p.name not in (FILES, MANIFEST)] + [
        str(path)
        for path in sorted(files_dir.rglob("*"))
        if (path.is_symlink() or not path.is_dir()) and path.relative_to(files_dir).as_posix() not in listed
    ]
