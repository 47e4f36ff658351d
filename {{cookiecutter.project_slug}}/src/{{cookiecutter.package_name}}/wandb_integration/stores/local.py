"""The embedded offline store: W&B-style versioned artifacts in a folder, safe for concurrent processes.

On-disk layout (``root`` is ``<base_dir>/wandb/artifacts``)::

    <root>/
      .staging/<token>.lock             held by the live process that owns <token>/
      .staging/<token>/                 a write in progress (or a folder handed out by staging_dir())
      <entity>/<project>/<name>/
        .lock                           writers of this name take it (cross-process, filelock)
        index.json                      versions (number, digest, created_at) and aliases {alias: number}
        versions/v<N>/manifest.json     type, digest, entries {path: digest, size, ref}, description,
                                        metadata, lineage, created_at
        versions/v<N>/files/<entry>     the stored bytes, read-only

The offline model registry is the same layout under another project, e.g. ``<entity>/wandb-registry-model/
<collection>``; a linked version hard-links the source's files and records ``linked_from`` in its lineage.

Writing: files are staged under ``.staging`` (same filesystem, so publishing is a rename), hashed, and the
manifest is written. Then, under the name's lock, the latest version is reused when its digest is equal
(it gains the new aliases), or the staged folder is renamed to ``versions/v<N>`` and ``index.json`` is
replaced atomically (temp file, fsync, ``os.replace``). Only the index makes a version visible, so a crash
at any point leaves no half version. What a crashed writer leaves is removed by the next writer: staging
folders whose ``.lock`` no live process holds (checked without waiting), and under the name's lock the one
unindexed ``versions/v<N>`` a writer can leave (it renames only to the next free number). Nothing is
ever deleted from the index, so readers, which take no lock, never lose a version they resolved.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    WandbArtifactsIOManagerError,
    WandbConfigurationError,
)
from .base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion, ManifestEntry
from .checks import VERSION_TAG, check_aliases, check_entry_paths, check_id, version_number
from .digests import artifact_digest, file_digest
from .files import ScratchArea, fsync_dir, hash_file, make_read_only, read_json, remove_tree, write_json
from .local_artifact import LocalArtifact
from .records import FORMAT, check_index, empty_index, new_manifest, version_from

MODEL_REGISTRY_PROJECT = "wandb-registry-model"
_INDEX, _MANIFEST, _FILES, _VERSIONS = "index.json", "manifest.json", "files", "versions"
_STAGING, _LOCK = ".staging", ".lock"
_Stored = tuple[Path, str, int]  # stored copy, digest, size of a draft file


class LocalArtifactStore(ArtifactStore):
    """Versions, aliases and files of artifacts under ``root``; see the module docstring for the layout."""

    def __init__(self, root: str | os.PathLike[str], *, lock_timeout: float = 600.0) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self._scratch = ScratchArea(self.root / _STAGING)
        self._handed_out: set[Path] = set()
        # Published manifests never change; a verified file is remembered by a stat signature that any
        # rewrite changes, so repeated reads of a large file cost one stat, not a re-hash.
        self._manifests: dict[Path, dict[str, Any]] = {}
        self._verified: dict[Path, tuple[int, int, int, int, str]] = {}

    # ------------------------------------------------------------------ writing
    @contextmanager
    def staging_dir(self) -> Iterator[Path]:
        """A scratch folder on the store's filesystem; ``commit`` moves (not copies) draft files from it."""
        with self._scratch.folder() as scratch:
            folder = (scratch / "draft").resolve()
            folder.mkdir()
            self._handed_out.add(folder)
            try:
                yield folder
            finally:
                self._handed_out.discard(folder)

    def commit(self, draft: ArtifactDraft) -> ArtifactVersion:
        check_id(draft.id)
        if not isinstance(draft.type, str) or not draft.type.strip():
            raise WandbConfigurationError(f"artifact '{draft.id}' has type {draft.type!r}; give a non-empty type.")
        aliases = check_aliases(draft.aliases)
        check_entry_paths([*draft.files, *(ref.path for ref in draft.references)], draft.id)
        self._scratch.sweep()
        with self._scratch.folder() as scratch:
            files_dir = scratch / "payload" / _FILES
            entries: dict[str, ManifestEntry] = {}
            taken: dict[Path, _Stored] = {}
            for path, source in sorted(draft.files.items()):
                target = files_dir / path
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size = self._take(Path(source), target, taken, draft.id, path)
                entries[path] = ManifestEntry(path, digest, size)
            for ref in draft.references:
                entries[ref.path] = ManifestEntry(ref.path, ref.digest, ref.size, ref.ref)
            record = new_manifest(draft.type, entries, draft.description, draft.metadata, draft.lineage, draft.id)
            return self._publish(draft.id, scratch / "payload", record, aliases)

    def link(self, version: ArtifactVersion, target: ArtifactId, aliases: Sequence[str] = ()) -> ArtifactVersion:
        """A new version of the registry collection ``target`` sharing ``version``'s files (hard links)."""
        check_id(target)
        checked = check_aliases(aliases)
        self._scratch.sweep()
        with self._scratch.folder() as scratch:
            files_dir = scratch / "payload" / _FILES
            files_dir.mkdir(parents=True)
            for path, entry in version.entries.items():
                if entry.ref is None:
                    (files_dir / path).parent.mkdir(parents=True, exist_ok=True)
                    _link_or_copy(self.local_path(version, path), files_dir / path)
            lineage = {
                "linked_from": f"{version.id}:{version.version_tag}",
                "source_lineage": dict(version.lineage),
            }
            record = new_manifest(
                version.type, dict(version.entries), version.description, version.metadata, lineage, target
            )
            return self._publish(target, scratch / "payload", record, checked)

    def _take(
        self, source: Path, target: Path, taken: dict[Path, _Stored], artifact: ArtifactId, path: str
    ) -> tuple[str, int]:
        """Move a file out of a ``staging_dir()`` folder, copy any other; return (digest, size).

        Never moved: the caller's own files, and symlinks (the store must hold the bytes, not a link).
        """
        resolved = source.resolve()
        if resolved in taken:  # one source under several entry paths: share the stored bytes
            stored, digest, size = taken[resolved]
            _link_or_copy(stored, target)
            return digest, size
        if not source.is_file():
            raise WandbConfigurationError(
                f"file {str(source)!r} for entry {path!r} of artifact '{artifact}' does not exist or is "
                "not a regular file; write the file before committing."
            )
        if not source.is_symlink() and any(resolved.is_relative_to(folder) for folder in self._handed_out):
            os.replace(resolved, target)
            digest, size = hash_file(target)
        else:
            digest, size = hash_file(source, target)
        taken[resolved] = (target, digest, size)
        return digest, size

    def _publish(
        self, artifact: ArtifactId, payload: Path, record: dict[str, Any], aliases: list[str]
    ) -> ArtifactVersion:
        make_read_only(payload / _FILES)
        write_json(payload / _MANIFEST, record, atomic=False)
        name_dir = self._name_dir(artifact)
        name_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(name_dir / _LOCK, thread_local=False)
        try:
            lock.acquire(timeout=self.lock_timeout)
        except Timeout as exc:
            raise WandbArtifactsIOManagerError(
                f"waited {self.lock_timeout:.0f} s for the write lock {name_dir / _LOCK} of artifact "
                f"'{artifact}'; another live process holds it. Find and stop the stuck writer, then retry."
            ) from exc
        try:
            index = self._index(artifact, missing_ok=True)
            versions = index["versions"]
            stray = name_dir / _VERSIONS / f"v{len(versions)}"
            if stray.exists():  # renamed but never indexed by a writer that crashed
                remove_tree(stray)
            if index["type"] not in (None, record["type"]):
                raise WandbConfigurationError(
                    f"artifact '{artifact}' has type {index['type']!r}; a version of type {record['type']!r} "
                    "cannot be added. Use another artifact name or the same type."
                )
            if versions and versions[-1]["digest"] == record["digest"]:
                number = len(versions) - 1  # same content as latest: W&B reuses the version
            else:
                number = len(versions)
                (name_dir / _VERSIONS).mkdir(exist_ok=True)
                os.rename(payload, name_dir / _VERSIONS / f"v{number}")
                fsync_dir(name_dir / _VERSIONS)
                self._remember_hashed(name_dir / _VERSIONS / f"v{number}" / _FILES, record["entries"])
                versions.append({"version": number, "digest": record["digest"], "created_at": record["created_at"]})
            index["type"] = record["type"]
            index["aliases"].update(dict.fromkeys(["latest", *aliases], number))
            write_json(name_dir / _INDEX, index, atomic=True)
        finally:
            lock.release()
        return self._version(artifact, number, index)

    def _remember_hashed(self, files_dir: Path, entries: Mapping[str, Any]) -> None:
        """Files hashed while committing count as verified: a read in this process needs no second hash."""
        for entry_path, entry in entries.items():
            if entry["ref"] is None:
                info = (files_dir / entry_path).stat()
                signature = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, entry["digest"])
                self._verified[files_dir / entry_path] = signature

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
        index = self._index(artifact_id)
        count = len(index["versions"])
        if alias is not None and VERSION_TAG.match(alias):
            version, alias = alias, None
        if version is not None:
            number = version_number(version, artifact_id)
            if not 0 <= number < count:
                raise ArtifactNotFoundError(
                    f"artifact '{artifact_id}' has no version v{number}; versions: v0 to v{count - 1}."
                )
            return self._version(artifact_id, number, index)
        alias = alias or "latest"
        if alias not in index["aliases"]:
            raise ArtifactNotFoundError(
                f"artifact '{artifact_id}' has no alias {alias!r}; aliases: {', '.join(sorted(index['aliases']))}."
            )
        return self._version(artifact_id, index["aliases"][alias], index)

    def versions(self, artifact_id: ArtifactId) -> list[ArtifactVersion]:
        """Every version of ``artifact_id``, oldest first."""
        check_id(artifact_id)
        index = self._index(artifact_id)
        return [self._version(artifact_id, number, index) for number in range(len(index["versions"]))]

    def list_artifacts(self, entity: str, project: str) -> list[ArtifactId]:
        """The artifacts of ``entity/project`` that have at least one version, by name."""
        check_id(ArtifactId(entity, project, "_"))  # no path tricks such as '..'
        folder = self.root / entity / project
        if not folder.is_dir():
            return []
        return [ArtifactId(entity, project, p.name) for p in sorted(folder.iterdir()) if (p / _INDEX).is_file()]

    def local_path(self, version: ArtifactVersion, entry_path: str) -> Path:
        entry = version.entries.get(entry_path)
        where = f"artifact '{version.id}:{version.version_tag}'"
        if entry is None:
            names = sorted(version.entries)
            shown = ", ".join(names[:30]) + (f", … ({len(names)} in all)" if len(names) > 30 else "")
            raise ArtifactNotFoundError(f"{where} has no entry {entry_path!r}; entries: {shown or '(none)'}.")
        if entry.ref is not None:
            raise ArtifactNotFoundError(
                f"entry {entry_path!r} of {where} is a reference to {entry.ref}; its bytes are not stored "
                "locally. Read it from the reference."
            )
        path = self.version_dir(version) / _FILES / entry_path
        try:
            info = path.stat()
        except FileNotFoundError as exc:
            raise ArtifactIntegrityError(
                f"stored file {path} of {where} is missing; the store was changed by hand. Restore the file "
                "or write the artifact again."
            ) from exc
        signature = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev, entry.digest)
        if self._verified.get(path) != signature:
            _check_file(path, entry, where)
            self._verified[path] = signature
        return path

    def verify(self, version: ArtifactVersion) -> None:
        """Re-hash every stored file of ``version`` (no cache) and check the total digest."""
        where = f"artifact '{version.id}:{version.version_tag}'"
        self._verified = {p: s for p, s in self._verified.items() if not p.is_relative_to(self.version_dir(version))}
        for entry in version.entries.values():
            if entry.ref is None:
                path = self.version_dir(version) / _FILES / entry.path
                if not path.is_file():
                    raise ArtifactIntegrityError(f"stored file {path} of {where} is missing; restore it.")
                _check_file(path, entry, where)
        total = artifact_digest((e.path, e.digest) for e in version.entries.values())
        if total != version.digest:
            raise ArtifactIntegrityError(
                f"{where} has digest {version.digest} but its entries add up to {total}; "
                "its manifest was edited. Restore it from a backup."
            )

    def open(self, version: ArtifactVersion) -> LocalArtifact:
        return LocalArtifact(self, version)

    def version_dir(self, version: ArtifactVersion) -> Path:
        return self._name_dir(version.id) / _VERSIONS / version.version_tag

    def location(self, version: ArtifactVersion) -> dict[str, str]:
        return {"wandb_artifact_path": str(self.version_dir(version) / _FILES)}

    # ------------------------------------------------------------------ internals
    def _name_dir(self, artifact: ArtifactId) -> Path:
        return self.root / artifact.entity / artifact.project / artifact.name

    def _index(self, artifact: ArtifactId, missing_ok: bool = False) -> dict[str, Any]:
        path = self._name_dir(artifact) / _INDEX
        if path.exists():
            return check_index(read_json(path, f"index of artifact '{artifact}'", FORMAT), path, artifact)
        if missing_ok:
            return empty_index(artifact)
        names = [a.name for a in self.list_artifacts(artifact.entity, artifact.project)]
        raise ArtifactNotFoundError(
            f"artifact '{artifact}' does not exist in the local store {self.root}; artifacts in "
            f"{artifact.entity}/{artifact.project}: {', '.join(names) or '(none)'}."
        )

    def _version(self, artifact: ArtifactId, number: int, index: Mapping[str, Any]) -> ArtifactVersion:
        folder = self._name_dir(artifact) / _VERSIONS / f"v{number}"
        record = self._manifests.get(folder)
        if record is None:
            record = read_json(folder / _MANIFEST, f"manifest of artifact '{artifact}:v{number}'", FORMAT)
            self._manifests[folder] = record
        return version_from(artifact, number, index, record, folder)


def _link_or_copy(source: Path, target: Path) -> None:
    """Share immutable stored bytes by a hard link; copy where links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _check_file(path: Path, entry: ManifestEntry, where: str) -> None:
    actual = file_digest(path)
    if actual != entry.digest:
        raise ArtifactIntegrityError(
            f"stored file {path} (entry {entry.path!r} of {where}) has digest {actual} but the manifest says "
            f"{entry.digest}; it was changed or corrupted. Restore it, or write the artifact again."
        )
