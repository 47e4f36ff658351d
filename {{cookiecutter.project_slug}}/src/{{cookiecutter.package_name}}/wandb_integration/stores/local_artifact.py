"""``LocalArtifact``: a ``wandb.Artifact`` backed by one committed version of the local store.

Offline, a whole-artifact read returns one, so code typed ``wandb.Artifact`` (Dagster checks the type of an
annotated input) gets exactly that type, and code written for W&B keeps working without a server: the
descriptive attributes (``name`` is ``name:vN``, ``version``, ``aliases``, ``type``, ``description``,
``metadata``, ``digest``, ``size``, ``manifest.entries``, ``created_at``), ``get`` (W&B objects, rebuilt
from their JSON entry), ``get_entry(path).download()``, ``download(root=None)``, ``file()``, ``verify()`` and
``link()`` (into the local registry). Every file is verified against the manifest before it is handed out.
What only a W&B server has (``used_by``, ``logged_by``, ``files``, ``collection``, ``save``, ``delete``,
``unlink``) raises ``WandbModeError`` saying so.

Importing this module imports wandb: the local store imports it only when a whole artifact is read.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import wandb
from wandb.data_types import WBValue

from ..errors import ArtifactIntegrityError, ArtifactNotFoundError, WandbModeError
from .base import ArtifactStore, ArtifactVersion
from .checks import parse_target_path
from .digests import file_digest
from .files import storage_errors


class LocalEntry:
    """One manifest entry; ``download()`` returns a verified local copy, as ``ArtifactManifestEntry`` does."""

    local_path = None  # a committed entry has no draft file, as in a logged wandb.Artifact

    def __init__(self, artifact: LocalArtifact, path: str) -> None:
        self._artifact = artifact
        entry = artifact.stored_version.entries[path]
        self.path, self.digest, self.size, self.ref = path, entry.digest, entry.size, entry.ref

    def download(self, root: str | None = None, skip_cache: bool | None = None) -> str:
        """Without ``root``: the store's checkout copy (the caller's to keep, move or edit); else a copy there."""
        if root is None:
            return str(self._artifact.checkout(self.path))
        source = self._artifact.local_file(self.path)
        target = Path(root) / self.path
        with storage_errors(f"entry {self.path!r} of {self._artifact.qualified_name}", target, action="download"):
            target.parent.mkdir(parents=True, exist_ok=True)
            if not (target.is_file() and os.path.samefile(source, target)):  # a large file's checkout link is
                shutil.copyfile(source, target)  # these very bytes already
        return str(target)

    def parent_artifact(self) -> LocalArtifact:
        return self._artifact

    def __repr__(self) -> str:
        return f"LocalEntry({self.path!r}, digest={self.digest!r}, size={self.size})"


class LocalManifest:
    """The manifest of a stored version: ``entries`` by path, ``digest()`` and ``size()``, as wandb's has."""

    def __init__(self, artifact: LocalArtifact) -> None:
        self._version = artifact.stored_version
        self.entries = {path: LocalEntry(artifact, path) for path in self._version.entries}

    def digest(self) -> str:
        return self._version.digest

    def size(self) -> int:
        return self._version.size


class LocalArtifact(wandb.Artifact):
    """A committed local version, read-only, offering ``wandb.Artifact``'s reading API."""

    def __init__(self, store: ArtifactStore, version: ArtifactVersion) -> None:
        # The name and type given here are placeholders: the properties below answer from the version.
        super().__init__("local", "local")
        self._store = store
        self._stored = version
        self.finalize()  # read-only: wandb's add_file & co. refuse a finalized artifact

    # What a logged artifact has, answered from the stored version.
    def is_draft(self) -> bool:
        return False

    @property
    def state(self) -> str:
        return "COMMITTED"

    @property
    def id(self) -> str | None:
        return None

    @property
    def name(self) -> str:
        return self._stored.qualified_name

    @property
    def source_name(self) -> str:
        return self._stored.qualified_name

    @property
    def entity(self) -> str:
        return self._stored.id.entity

    @property
    def project(self) -> str:
        return self._stored.id.project

    @property
    def version(self) -> str:
        return self._stored.version_tag

    @property
    def source_version(self) -> str:
        return self._stored.version_tag

    @property
    def aliases(self) -> list[str]:
        return list(self._stored.aliases)

    @property
    def type(self) -> str:
        return self._stored.type

    @property
    def description(self) -> str | None:
        return self._stored.description

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._stored.metadata)

    @property
    def digest(self) -> str:
        return self._stored.digest

    @property
    def size(self) -> int:
        return self._stored.size

    @property
    def created_at(self) -> str:
        return self._stored.created_at

    @property
    def url(self) -> str:
        return self._store.location(self._stored)["wandb_artifact_path"]

    @property
    def manifest(self) -> LocalManifest:  # type: ignore[override]
        return LocalManifest(self)

    @property
    def stored_version(self) -> ArtifactVersion:
        return self._stored

    # Reading.
    def local_file(self, path: str) -> Path:
        """The verified stored file of entry ``path`` (the store's own: read it, never change or move it)."""
        return self._store.local_path(self._stored, path)

    def _local_entries(self) -> list[str]:
        """Entries whose bytes are on this machine: stored files, and ``file://`` references (as wandb's
        download copies those too)."""
        return [p for p, e in self._stored.entries.items() if e.ref is None or e.ref.startswith("file://")]

    def checkout(self, path: str) -> Path:
        """A verified copy of entry ``path`` that the caller owns."""
        return self._store.checkout(self._stored, path)

    def get_entry(self, name: str) -> LocalEntry:
        if name not in self._stored.entries:
            raise ArtifactNotFoundError(
                f"artifact {self.qualified_name} has no entry {name!r}; "
                f"entries: {', '.join(sorted(self._stored.entries)) or '(none)'}."
            )
        return LocalEntry(self, name)

    get_path = get_entry

    def get(self, name: str) -> Any:
        """The W&B object added under ``name`` (e.g. ``"Table"``), rebuilt from its JSON entry; ``None`` if
        there is none (as ``wandb.Artifact.get``)."""
        for wb_class in WBValue.type_mapping().values():
            path = wb_class.with_suffix(name)
            if path in self._stored.entries:
                with open(self.local_file(path)) as handle:
                    return wb_class.from_json(json.load(handle), self)
        return None

    def download(self, root: str | None = None, *args: Any, **kwargs: Any) -> str:
        """Without ``root``: the store's checkout folder of this version (verified copies the caller owns,
        as wandb's ``./artifacts/<name>:<version>``; see ``checkout.py``); with it, copies there."""
        stored = self._local_entries()
        if root is None:
            folder = self._store.checkouts.folder(self._stored)
            handed = [self.checkout(path) for path in stored]
            if handed and all(path.is_relative_to(folder) for path in handed):
                return str(folder)
            # Nothing to check out, or a store no one here can change: the version's own folder.
            return self._store.location(self._stored)["wandb_artifact_path"]
        for path in stored:
            LocalEntry(self, path).download(root)
        return str(root)

    def file(self, root: str | None = None) -> str:
        stored = self._local_entries()
        if len(stored) != 1:
            raise ArtifactNotFoundError(
                f"artifact {self.qualified_name} holds {len(stored)} stored files; file() needs exactly one "
                "(use get_entry(path).download())."
            )
        return LocalEntry(self, stored[0]).download(root)

    def verify(self, root: str | None = None) -> None:
        """Re-hash the stored files (or, with ``root``, the files downloaded there) against the manifest."""
        if root is None:
            self._store.verify(self._stored)
            return
        folder = Path(root)
        for found in sorted(folder.rglob("*")):  # as wandb's verify: every file there must be an entry
            member = found.relative_to(folder).as_posix()
            if (found.is_symlink() or not found.is_dir()) and member not in self._stored.entries:
                raise ArtifactIntegrityError(
                    f"{found} is not a member of {self.qualified_name}; verify a folder that holds only this "
                    "artifact's files, as download() leaves them."
                )
        for path, entry in self._stored.entries.items():
            if entry.ref is None:
                try:
                    digest = file_digest(folder / path)
                except OSError as exc:  # missing, a folder, unreadable
                    raise ArtifactIntegrityError(
                        f"{folder / path}, entry {path!r} of {self.qualified_name}, cannot be read "
                        f"({exc.strerror or exc}); download the artifact there again."
                    ) from exc
                if digest != entry.digest:
                    raise ArtifactIntegrityError(
                        f"{folder / path} does not match entry {path!r} of {self.qualified_name} ({entry.digest})."
                    )

    def wait(self, timeout: int | None = None) -> LocalArtifact:
        return self

    def link(self, target_path: str, aliases: Iterable[str] | None = None) -> LocalArtifact:
        """Link this version into a collection of the local store (the offline model registry)."""
        target = parse_target_path(target_path, self.entity)
        linked = self._store.link(self._stored, target, list(aliases or ()))
        return LocalArtifact(self._store, linked)

    # What only a W&B server has.
    def _needs_wandb(self, what: str) -> WandbModeError:
        return WandbModeError(
            f"{what} of {self.qualified_name} needs W&B online; offline this is a version of the local store, "
            "which has no such record. Set WANDB_API_KEY (and unset WANDB_MODE=offline) to use it."
        )

    @property
    def collection(self) -> Any:
        raise self._needs_wandb("collection")

    def used_by(self) -> Any:
        raise self._needs_wandb("used_by()")

    def logged_by(self) -> Any:
        raise self._needs_wandb("logged_by()")

    def files(self, *args: Any, **kwargs: Any) -> Any:
        raise self._needs_wandb("files()")

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise self._needs_wandb("save()")

    def delete(self, *args: Any, **kwargs: Any) -> None:
        raise self._needs_wandb("delete()")

    def unlink(self) -> None:
        raise self._needs_wandb("unlink()")

    def __repr__(self) -> str:
        return f"LocalArtifact({self.qualified_name!r}, type={self.type!r}, digest={self.digest!r})"
