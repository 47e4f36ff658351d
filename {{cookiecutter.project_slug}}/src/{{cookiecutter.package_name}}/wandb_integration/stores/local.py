"""The embedded offline store: W&B-style versioned artifacts in a folder, safe for concurrent processes.

On-disk layout (``root`` is ``<base_dir>/wandb/artifacts``)::

    <root>/
      .staging/<token>.lock             held by the live process that owns <token>/
      .staging/<token>/<n>/             a version being written: files/ (from staging_dir()) and manifest.json
      .checkouts/<entity>/<project>/<name>/v<N>/<entry>
                                        copies handed to user code (get_path, download()), see checkout.py
      <entity>/<project>/<name>/
        .lock                           writers of this name take it (cross-process, filelock)
        versions/v<N>/manifest.json     the artifact and N it was committed as, type, digest, entries
                                        {path: digest, size, ref}, description, metadata, lineage,
                                        created_at, the aliases it was committed with
        versions/v<N>/files/<entry>     the stored bytes, read-only
        aliases.jsonl                   alias moves onto versions reused for equal content, one per line
        index.json                      a cache: versions (number, digest, created_at), aliases, and how
                                        much of aliases.jsonl it reflects
        published.json                  what publishing uploaded (publishing/replay.py)

The offline model registry is the same layout under another project, e.g. ``<entity>/wandb-registry-model/
<collection>``; a linked version hard-links the source's files and records ``linked_from`` in its lineage.

Guarantees (tested by ``tests/wandb_integration/stores``, probed from outside as well):

1. A committed version is never deleted or overwritten by the store. A version is committed by one rename
   of a complete folder (files and manifest written and fsynced first) to ``versions/v<N>``; the store
   deletes only its own scratch folders under ``.staging`` (names it handed out, when the process that made
   them is gone; never through a link planted there) and, inside one, files a draft did not list.
2. Version numbers are never reused: a new version is numbered above every ``v<N>`` name present in
   ``versions/`` (whatever it is; N of at most 18 digits, so every version can be asked for by number)
   and every number the index knows.
3. The index is a cache that ``catalog.py`` rebuilds from the manifests and the alias journal when it is
   missing, unreadable, behind the folders, or restored from an older copy (and keeps its aliases when the
   journal is the one lost or put back older); readers rebuild in memory
   (a read-only store stays readable), writers under the lock. ``repair()`` (``repair.py``) also writes it
   back and reports what it cannot explain, deleting nothing.
4. A read never returns another version's bytes: the manifest must name this artifact and number, its
   digest must equal the digest the index recorded for that number and the sum of its entries, its entry
   paths must stay inside the folder, and each file must match its entry's digest (hashed as it is
   committed; then trusted, in any process, while its size, times and inode are what the manifest's stamp
   recorded then, see ``verification.py``; ``verify`` and ``repair`` hash every file).
5. Equal content reuses the latest version only if that version is intact, readable and stores the same
   entries (a file is not a reference with its digest); otherwise the write becomes a new version, so
   writing a value again repairs a damaged latest.
6. User code never gets the store's own files: a path it asks for is a verified copy (``checkout``), so
   moving, editing or deleting it cannot damage a version.
7. Readers take no lock and never see a half version; concurrent writers of one name serialize on its lock.
   What cannot be written or read (disk full, read-only, permission, a folder or link where the store keeps
   its own file or folder, the store root and ``<base_dir>/wandb`` included) is an ``ArtifactStorageError``
   naming the artifact and the path; nothing is half committed. An entry path that would pass the system's
   path limit below any folder the store keeps it in is refused before anything is written. A pipe, device
   or socket where the store keeps a file is never read from (a read would block or never end): it is
   reported like damage. A torn alias-journal line (a writer killed mid-append) never swallows the next one.

What is not protected: someone with write access to the folder can replace a version folder together with its
index entry consistently (the digests are not signed), or edit a stored file together with its entry's stamp
(then reads trust it; ``verify`` and ``repair`` still hash it); bytes that change beneath the filesystem (bit
rot, a block-level restore, a raw write to the disk image) leave a file's size, times and inode as they were,
so reads trust them too until ``verify`` or ``repair`` hashes them; a version whose folder is deleted is gone
(reads of it fail, naming it; restore it from a backup), and once the index is also restored from a copy older
than that version, its number can be given again; manifests from before they named their artifact and number
are trusted where they lie.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from ..errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactStorageError,
    WandbConfigurationError,
)
from . import catalog as catalogs
from .base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion, ManifestEntry
from .catalog import INDEX, JOURNAL, LAST_VERSION, MANIFEST, VERSIONS, Catalog
from .checkout import CHECKOUTS, Checkouts
from .checks import VERSION_TAG, check_aliases, check_entry_paths, check_id, check_path_lengths, version_number
from .commit import name_lock, rename_into_place
from .digests import artifact_digest
from .files import append_line, make_durable, read_json, storage_errors, write_json
from .records import FORMAT, journal_line, new_manifest, version_from
from .references import referenced_file
from .repair import RepairReport, repair_store
from .staging import FILES, STAGING, Staging, link_or_copy
from .verification import Verifier, confirm_stamps

MODEL_REGISTRY_PROJECT = "wandb-registry-model"
log = logging.getLogger(__name__)


class LocalArtifactStore(ArtifactStore):
    """Versions, aliases and files of artifacts under ``root``; see the module docstring for the layout."""

    def __init__(
        self, root: str | os.PathLike[str], *, lock_timeout: float = 600.0, checkout_minutes: float | None = None
    ) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self._staging = Staging(self.root / STAGING)
        self._manifests: dict[Path, dict[str, Any]] = {}  # committed manifests never change
        self._verifier = Verifier()
        self.checkouts = Checkouts(self.root / CHECKOUTS, self._verifier, checkout_minutes)

    # ------------------------------------------------------------------ writing
    def staging_dir(self) -> AbstractContextManager[Path]:
        """The ``files/`` folder of a version being written: what is written here at its entry path is
        committed in place (one rename), anything else is moved or copied in."""
        return self._staging.folder()

    def close(self, failed: Callable[[], bool] = lambda: False) -> None:
        self._staging.close()
        self.checkouts.close()

    def commit(self, draft: ArtifactDraft) -> ArtifactVersion:
        check_id(draft.id)
        if not isinstance(draft.type, str) or not draft.type.strip():
            raise WandbConfigurationError(f"artifact '{draft.id}' has type {draft.type!r}; give a non-empty type.")
        aliases = check_aliases(draft.aliases)
        paths = [*draft.files, *(ref.path for ref in draft.references)]
        check_entry_paths(paths, draft.id)
        self._check_lengths(paths, draft.id)
        with (
            storage_errors(f"artifact '{draft.id}'", self.root),
            self._staging.payload(draft) as (payload, stored, entries),
        ):
            for ref in draft.references:
                entries[ref.path] = ManifestEntry(ref.path, ref.digest, ref.size, ref.ref)
            record = new_manifest(
                draft.type, entries, draft.description, draft.metadata, draft.lineage, draft.id, aliases
            )
            return self._publish(draft.id, payload, record, aliases, stored)

    def link(self, version: ArtifactVersion, target: ArtifactId, aliases: Sequence[str] = ()) -> ArtifactVersion:
        """A new version of the registry collection ``target`` sharing ``version``'s files (hard links)."""
        check_id(target)
        checked = check_aliases(aliases)
        self._check_lengths(list(version.entries), target)
        with storage_errors(f"artifact '{target}'", self.root), self._staging.empty_payload() as payload:
            files_dir, stored = payload / FILES, []
            for path, entry in version.entries.items():
                if entry.ref is None:
                    (files_dir / path).parent.mkdir(parents=True, exist_ok=True)
                    link_or_copy(self.local_path(version, path), files_dir / path)
                    stored.append(files_dir / path)
            lineage = {"linked_from": f"{version.id}:{version.version_tag}", "source_lineage": dict(version.lineage)}
            record = new_manifest(
                version.type, dict(version.entries), version.description, version.metadata, lineage, target, checked
            )
            return self._publish(target, payload, record, checked, stored)

    def _publish(
        self, artifact: ArtifactId, payload: Path, record: dict[str, Any], aliases: list[str], stored: list[Path]
    ) -> ArtifactVersion:
        """Under the name's lock: reuse an intact latest of equal content (its alias moves journaled), or
        make the payload durable (files, manifest) and commit it as a new version with one rename."""
        name_dir = self.name_dir(artifact)
        with self.lock(artifact):
            catalog = self.catalog(artifact) or Catalog(artifact)
            if catalog.rebuilt:
                log.warning("rebuilding the index of artifact '%s': %s", artifact, catalog.rebuilt)
            if catalog.type not in (None, record["type"]):
                raise WandbConfigurationError(
                    f"artifact '{artifact}' has type {catalog.type!r}; a version of type {record['type']!r} "
                    "cannot be added. Use another artifact name or the same type; if its versions so far were a "
                    f"mistake, delete the folder {name_dir} (the local store never deletes versions itself)."
                )
            latest = catalog.latest
            if (
                latest is not None
                and catalog.versions[latest]["digest"] == record["digest"]
                and self._reusable(artifact, latest, catalog, record)
            ):
                number = latest  # same content as an intact latest: W&B reuses the version
                if aliases:
                    catalog.journal_bytes = append_line(name_dir / JOURNAL, journal_line(number, aliases))
            else:
                if not (name_dir / INDEX).exists():  # the index exists before any version folder does
                    self.write_index(artifact, catalog)
                make_durable(stored)
                confirm_stamps(record, payload / FILES)
                number = rename_into_place(name_dir / VERSIONS, payload, record, catalog.floor)
                catalog.add(number, record["digest"], record["created_at"])
                self._manifests[name_dir / VERSIONS / f"v{number}"] = record
                self._remember_hashed(name_dir / VERSIONS / f"v{number}" / FILES, record["entries"])
            catalog.type = record["type"]
            catalog.move(aliases, number)
            try:
                self.write_index(artifact, catalog)
            except OSError as exc:  # committed already (rename or journal); readers rebuild the cache
                log.warning("could not update the index of '%s' (%s); it is rebuilt on the next read", artifact, exc)
        return self._version(artifact, number, catalog)

    def _check_lengths(self, paths: list[str], artifact: ArtifactId) -> None:
        """Entries must fit below the longest folders the store keeps them in (any version number)."""
        last = f"v{LAST_VERSION}"
        scratch = self.root / STAGING / f"{'9' * 10}-{'f' * 32}" / str(LAST_VERSION) / FILES
        folders = [
            self.name_dir(artifact) / VERSIONS / last / FILES,
            self.checkouts.root / str(artifact) / last,
            scratch,
        ]
        check_path_lengths(paths, artifact, folders)

    def lock(self, artifact: ArtifactId) -> AbstractContextManager[None]:
        """Hold the write lock of ``artifact`` (writers and repair take it; readers never do)."""
        return name_lock(self.name_dir(artifact), artifact, self.lock_timeout)

    def _reusable(self, artifact: ArtifactId, number: int, catalog: Catalog, record: dict[str, Any]) -> bool:
        """Whether version ``number``, whose digest equals ``record``'s, holds the same entries the same way
        (W&B's digest does not tell a stored file from a reference with that digest) and reads back as
        recorded (files verified): only then may equal content reuse it."""
        try:
            version = self._version(artifact, number, catalog)
            if {path: entry.ref for path, entry in version.entries.items()} != {
                path: entry["ref"] for path, entry in record["entries"].items()
            }:
                return False
            for path, entry in version.entries.items():
                if entry.ref is None:
                    self.local_path(version, path)
        except (ArtifactIntegrityError, ArtifactStorageError) as exc:  # unreadable is damaged too
            log.warning(
                "latest version of '%s' is damaged (%s); equal content is written as a new version", artifact, exc
            )
            return False
        return True

    def _remember_hashed(self, files_dir: Path, entries: Mapping[str, Any]) -> None:
        """Files hashed while committing count as verified: a read in this process needs no second hash."""
        for entry_path, entry in entries.items():
            if entry["ref"] is None:
                self._verifier.remember(files_dir / entry_path, entry["digest"])

    # ------------------------------------------------------------------ reading
    def resolve(
        self, artifact_id: ArtifactId, *, version: int | str | None = None, alias: str | None = None
    ) -> ArtifactVersion:
        if version is not None and alias is not None:
            raise WandbConfigurationError(
                f"both version {version!r} and alias {alias!r} are given for artifact '{artifact_id}'; "
                "give one of them."
            )
        check_id(artifact_id)
        if alias is not None and (not isinstance(alias, str) or not alias):
            raise WandbConfigurationError(
                f"alias {alias!r} of artifact '{artifact_id}' is not a non-empty string; give one like 'latest'."
            )
        catalog = self._existing(artifact_id)
        if alias is not None and VERSION_TAG.match(alias):
            version, alias = alias, None
        if version is not None:
            number = version_number(version, artifact_id)
            if number not in catalog.versions:
                raise ArtifactNotFoundError(
                    f"artifact '{artifact_id}' has no version v{number}; versions: {_numbers(catalog)}."
                )
            return self._version(artifact_id, number, catalog)
        alias = "latest" if alias is None else alias
        if alias not in catalog.aliases:
            raise ArtifactNotFoundError(
                f"artifact '{artifact_id}' has no alias {alias!r}; aliases: {', '.join(sorted(catalog.aliases))}."
            )
        return self._version(artifact_id, catalog.aliases[alias], catalog)

    def versions(self, artifact_id: ArtifactId) -> list[ArtifactVersion]:
        """Every readable version of ``artifact_id``, oldest first (``scan`` also names the damaged ones)."""
        return self.scan(artifact_id)[0]

    def scan(self, artifact_id: ArtifactId) -> tuple[list[ArtifactVersion], dict[str, str]]:
        """The readable versions, and for each damaged one (``vN``) what is wrong; one does not hide the rest."""
        check_id(artifact_id)
        catalog = self._existing(artifact_id)
        readable, damaged = [], {}
        for number in sorted(catalog.versions):
            try:
                readable.append(self._version(artifact_id, number, catalog))
            except (ArtifactIntegrityError, ArtifactStorageError) as exc:
                damaged[f"v{number}"] = str(exc)
        return readable, damaged

    def list_artifacts(self, entity: str, project: str) -> list[ArtifactId]:
        """The artifacts of ``entity/project`` that have an index or a version folder, by name."""
        check_id(ArtifactId(entity, project, "_"))  # no path tricks such as '..'
        folder = self.root / entity / project
        if not folder.is_dir():
            return []
        return [
            ArtifactId(entity, project, p.name)
            for p in sorted(folder.iterdir())
            if (p / INDEX).is_file() or (p / VERSIONS).is_dir()
        ]

    def local_path(self, version: ArtifactVersion, entry_path: str) -> Path:
        entry = version.entries.get(entry_path)
        where = f"artifact '{version.id}:{version.version_tag}'"
        if entry is None:
            names = sorted(version.entries)
            shown = ", ".join(names[:30]) + (f", … ({len(names)} in all)" if len(names) > 30 else "")
            raise ArtifactNotFoundError(f"{where} has no entry {entry_path!r}; entries: {shown or '(none)'}.")
        if entry.ref is not None:
            return referenced_file(entry, where, "locally", self._verifier)
        path = self.version_dir(version) / FILES / entry_path
        with storage_errors(where, path, action="read"):
            return self._verifier.check(path, entry, where)

    def verify(self, version: ArtifactVersion) -> None:
        """Re-read the manifest from disk and re-hash every stored file of ``version`` (nothing cached)."""
        where = f"artifact '{version.id}:{version.version_tag}'"
        folder = self.version_dir(version)
        self._verifier.forget(folder)
        self._manifests.pop(folder, None)
        with storage_errors(where, folder, action="verify"):
            self._verify_files(version, where, folder)

    def _verify_files(self, version: ArtifactVersion, where: str, folder: Path) -> None:
        on_disk = self._manifest(folder, f"manifest of {where}")
        if on_disk.get("digest") != version.digest:
            raise ArtifactIntegrityError(
                f"{where}: the manifest in {folder} now has digest {on_disk.get('digest')}, not {version.digest}; "
                "the folder was replaced. Restore it from a backup."
            )
        for entry in version.entries.values():
            if entry.ref is None:
                self._verifier.check(folder / FILES / entry.path, entry, where, trust_stamp=False)
        total = artifact_digest((e.path, e.digest) for e in version.entries.values())
        if total != version.digest:
            raise ArtifactIntegrityError(
                f"{where} has digest {version.digest} but its entries add up to {total}; "
                "its manifest was edited. Restore it from a backup."
            )

    def repair(
        self,
        *,
        entity: str | None = None,
        project: str | None = None,
        name: str | None = None,
        verify_files: bool = True,
        dry_run: bool = False,
    ) -> RepairReport:
        """Rebuild lost or stale indexes and report what is damaged or unexplained; deletes nothing."""
        return repair_store(self, entity=entity, project=project, name=name, verify_files=verify_files, dry_run=dry_run)

    def version_dir(self, version: ArtifactVersion) -> Path:
        return self.name_dir(version.id) / VERSIONS / version.version_tag

    def open(self, version: ArtifactVersion) -> Any:
        """The ``wandb.Artifact`` of ``version`` (a ``LocalArtifact``); imports wandb on first use."""
        from .local_artifact import LocalArtifact

        return LocalArtifact(self, version)

    def location(self, version: ArtifactVersion) -> dict[str, str]:
        return {"wandb_artifact_path": str(self.version_dir(version) / FILES)}

    # ------------------------------------------------------------------ internals
    def name_dir(self, artifact: ArtifactId) -> Path:
        return self.root / artifact.entity / artifact.project / artifact.name

    def catalog(self, artifact: ArtifactId) -> Catalog | None:
        """What the version folders of ``artifact`` hold (``None`` if it has none); see ``catalog.py``."""
        with storage_errors(f"artifact '{artifact}'", self.name_dir(artifact), action="read"):
            return catalogs.load(self.name_dir(artifact), artifact, self._manifest_or_none)

    def write_index(self, artifact: ArtifactId, catalog: Catalog) -> None:
        """Replace the index cache of ``artifact`` (under its ``lock``)."""
        write_json(self.name_dir(artifact) / INDEX, catalog.record(), atomic=True, durable=False)

    def _existing(self, artifact: ArtifactId) -> Catalog:
        catalog = self.catalog(artifact)
        if catalog is None or not catalog.versions:
            names = [a.name for a in self.list_artifacts(artifact.entity, artifact.project)]
            raise ArtifactNotFoundError(
                f"artifact '{artifact}' does not exist in the local store {self.root}; artifacts in "
                f"{artifact.entity}/{artifact.project}: {', '.join(names) or '(none)'}."
            )
        return catalog

    def _manifest(self, folder: Path, what: str) -> dict[str, Any]:
        record = self._manifests.get(folder)
        if record is None:
            with storage_errors(what, folder / MANIFEST, action="read"):
                record = read_json(folder / MANIFEST, what, FORMAT)
            self._manifests[folder] = record
        return record

    def _manifest_or_none(self, folder: Path) -> dict[str, Any] | None:
        try:
            return self._manifest(folder, "manifest")
        except (ArtifactIntegrityError, ArtifactStorageError):  # a version that cannot be read is damaged
            return None

    def _version(self, artifact: ArtifactId, number: int, catalog: Catalog) -> ArtifactVersion:
        folder = self.name_dir(artifact) / VERSIONS / f"v{number}"
        where = f"artifact '{artifact}:v{number}'"
        if number in catalog.missing:
            raise ArtifactIntegrityError(
                f"{where} is in its index (digest {catalog.versions[number]['digest']}) but its folder {folder} "
                "is gone; restore it from a backup. The other versions are unaffected."
            )
        record = self._manifest(folder, f"manifest of {where}")
        return version_from(
            artifact, number, catalog.versions[number]["digest"], catalog.aliases_of(number), record, folder
        )


def _numbers(catalog: Catalog) -> str:
    numbers = sorted(catalog.versions)
    if len(numbers) > 1 and numbers == list(range(len(numbers))):
        return f"v0 to v{numbers[-1]}"
    return ", ".join(f"v{n}" for n in numbers)
