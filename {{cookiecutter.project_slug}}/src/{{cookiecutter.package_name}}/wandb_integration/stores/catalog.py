"""One artifact's catalog in the local store: its versions, where its aliases point, what else is there.

The version folders are the truth and ``index.json`` is a cache of them. A folder ``versions/v<N>`` with a
readable manifest is committed version N (it appears by one rename of a complete folder); the aliases of
a version are recorded in its manifest when it is committed, and each later write that reuses it (equal
content) appends its alias moves to ``aliases.jsonl``. So the index can always be rebuilt:

- an index that lists exactly the version folders and the whole journal is used as is (the common case:
  one read, one folder listing, one stat);
- an index that is stale (a writer died between its rename and the index update, or the index was restored
  from an older copy) is brought up to date from the newer manifests and the journal's newer lines;
- a missing or unreadable index is rebuilt from every manifest and the whole journal.

Numbers are never reused: the next version is above every ``v<N>`` folder and every number the index
knows. An indexed version whose folder is gone stays listed (reads of it fail, naming it); a folder that is
no committed version (no readable manifest, or another name) is "unexplained" and left alone.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ArtifactStorageError
from .base import ArtifactId
from .files import NotRegularFileError, open_regular
from .records import index_record, parse_index, parse_journal

INDEX, JOURNAL, VERSIONS, MANIFEST = "index.json", "aliases.jsonl", "versions", "manifest.json"
# \Z: "v1\n" is no version folder; more than 18 digits is no version anyone can ask for (checks.py)
VERSION_FOLDER = re.compile(r"^v(0|[1-9][0-9]{0,17})\Z")
LAST_VERSION = 10**18 - 1


@dataclass
class Catalog:
    artifact: ArtifactId
    type: str | None = None
    versions: dict[int, dict[str, Any]] = field(default_factory=dict)  # number -> digest, created_at
    aliases: dict[str, int] = field(default_factory=dict)
    journal_bytes: int = 0
    floor: int = 0  # the number the next new version gets
    missing: list[int] = field(default_factory=list)  # indexed versions whose folder is gone
    unexplained: list[str] = field(default_factory=list)  # entries of versions/ that are no version
    rebuilt: str | None = None  # why the index could not be used as it is

    @property
    def latest(self) -> int | None:
        return self.aliases.get("latest")

    def aliases_of(self, number: int) -> tuple[str, ...]:
        named = sorted(alias for alias, n in self.aliases.items() if n == number and alias != "latest")
        return (("latest",) if self.latest == number else ()) + tuple(named)

    def add(self, number: int, digest: str, created_at: str) -> None:
        self.versions[number] = {"digest": digest, "created_at": created_at}
        self.floor = max(self.floor, number + 1)

    def move(self, aliases: list[str], number: int) -> None:
        """Point ``aliases`` at ``number``; ``latest`` always names the newest version."""
        self.aliases.update(dict.fromkeys(aliases, number))
        self.aliases["latest"] = max(self.versions)

    def record(self) -> dict[str, Any]:
        return index_record(self.artifact, self.type, self.versions, self.aliases, self.journal_bytes)


def version_folders(versions_dir: Path) -> tuple[set[int], list[str]]:
    """The numbers of the ``v<N>`` folders, and the names of every other entry of ``versions/`` (links
    included)."""
    numbered, others = set(), []
    try:
        with os.scandir(versions_dir) as listing:
            # The listing's own file types: no stat per version, however many versions there are.
            kinds = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing]
    except (FileNotFoundError, NotADirectoryError):
        return set(), []
    for name, is_folder in kinds:
        match = VERSION_FOLDER.match(name)
        if match and is_folder:  # the store only ever makes real folders (a link to one is not a version)
            numbered.add(int(match.group(1)))
        else:
            others.append(name)
    return numbered, sorted(others)


def load(
    name_dir: Path, artifact: ArtifactId, read_manifest: Callable[[Path], dict[str, Any] | None]
) -> Catalog | None:
    """The catalog of ``artifact``, or ``None`` when it has neither an index nor a version folder.

    ``read_manifest(folder)`` returns a version folder's manifest, or ``None`` if it is missing or unreadable.
    """
    try:
        with open_regular(name_dir / INDEX) as handle:
            raw = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        raw = None
    except (IsADirectoryError, NotRegularFileError, PermissionError):
        raw = b""  # not the store's, or no one may read it: a cache, rebuilt (the next write replaces it)
    try:
        index = parse_index(json.loads(raw), artifact) if raw is not None else None
    except (ValueError, UnicodeDecodeError):
        index = None
    folders, others = version_folders(name_dir / VERSIONS)
    # Every v<N> name counts as used, whatever it is (a stray file, a dangling link): never numbered again.
    taken = {*folders, *(int(m.group(1)) for name in others if (m := VERSION_FOLDER.match(name)))}
    if raw is None and not folders:
        return None
    try:
        journal_size = (name_dir / JOURNAL).stat().st_size
    except FileNotFoundError:
        journal_size = 0
    unexplained = [f"{VERSIONS}/{name}" for name in others]
    if index is not None and set(index["versions"]) == folders and index["journal_bytes"] == journal_size:
        catalog = Catalog(artifact, index["type"], index["versions"], index["aliases"], journal_size)
        catalog.floor = max([*catalog.versions, *taken], default=-1) + 1
        catalog.unexplained = unexplained
        return catalog
    catalog = _rebuild(name_dir, artifact, index, raw is None, folders, unexplained, journal_size, read_manifest)
    catalog.floor = max(catalog.floor, max(taken, default=-1) + 1)
    return catalog


def _rebuild(
    name_dir: Path,
    artifact: ArtifactId,
    index: dict[str, Any] | None,
    index_missing: bool,
    folders: set[int],
    unexplained: list[str],
    journal_size: int,
    read_manifest: Callable[[Path], dict[str, Any] | None],
) -> Catalog:
    # Over the index, which names this artifact (parse_index): when the journal grew, the index is a past
    # state and the journal's tail is replayed; when the journal shrank (truncated, deleted, an older copy
    # put back), the index holds alias moves the journal lost, so they are kept and nothing is replayed.
    shrunk = index is not None and index["journal_bytes"] > journal_size
    base = index if index is not None else {"type": None, "versions": {}, "aliases": {}}
    offset = journal_size if shrunk else index["journal_bytes"] if index is not None else 0
    catalog = Catalog(artifact, base["type"], dict(base["versions"]), dict(base["aliases"]), journal_size)
    if index_missing:
        catalog.rebuilt = "its index was missing"
    elif index is None:
        catalog.rebuilt = "its index was unreadable"
    elif shrunk:
        catalog.rebuilt = "its alias journal is shorter than the index says; the index's aliases were kept"
    else:
        catalog.rebuilt = "its index was behind the version folders or the alias journal"
    events: list[tuple[int, int, list[str]]] = []
    unrecoverable = 0
    for number in sorted(folders - set(catalog.versions)):
        manifest = read_manifest(name_dir / VERSIONS / f"v{number}")
        if manifest is None or not isinstance(manifest.get("digest"), str):
            unexplained.append(f"{VERSIONS}/v{number}")
            continue
        catalog.versions[number] = {"digest": manifest["digest"], "created_at": str(manifest.get("created_at", ""))}
        catalog.type = catalog.type or manifest.get("type")
        if isinstance(manifest.get("aliases"), list):
            events.append((number, 0, [a for a in manifest["aliases"] if isinstance(a, str)]))
        else:
            unrecoverable += 1  # written before manifests recorded aliases
    try:
        with open_regular(name_dir / JOURNAL) as handle:
            handle.seek(offset)
            moves, _torn = parse_journal(handle.read(journal_size - offset))
    except FileNotFoundError:
        moves = []
    except NotRegularFileError as exc:  # a folder there is reported like every other storage problem
        raise ArtifactStorageError(
            f"could not read artifact '{artifact}': its alias journal {exc.filename} is {exc.strerror}. "
            "Restore the journal from a backup, or remove it to keep the aliases the version "
            "manifests recorded."
        ) from exc
    events += [(number, 1, aliases) for number, aliases in moves]
    for number, _kind, aliases in sorted(events, key=lambda event: event[:2]):
        if number in catalog.versions:
            catalog.aliases.update(dict.fromkeys(aliases, number))
    catalog.missing = sorted(set(catalog.versions) - folders)
    if catalog.versions:
        catalog.aliases["latest"] = max(catalog.versions)
    catalog.aliases = {alias: n for alias, n in catalog.aliases.items() if n in catalog.versions}
    catalog.floor = max([*folders, *catalog.versions], default=-1) + 1
    catalog.unexplained = sorted(unexplained)
    if unrecoverable and index is None:
        catalog.rebuilt += f"; aliases other than latest of {unrecoverable} older version(s) could not be recovered"
    return catalog
