"""``LocalArtifact``: what readers get offline where they would get a ``wandb.Artifact`` online.

It offers the parts of ``wandb.Artifact`` that reading code uses, backed by one committed version of the
local store. Files are verified against the manifest before they are handed out.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ArtifactNotFoundError
from .base import ArtifactStore, ArtifactVersion


class LocalEntry:
    """One manifest entry; ``download()`` returns a verified local path, as ``ArtifactManifestEntry`` does."""

    def __init__(self, artifact: LocalArtifact, path: str) -> None:
        self._artifact = artifact
        self.path = path
        entry = artifact._version.entries[path]
        self.digest = entry.digest
        self.size = entry.size
        self.ref = entry.ref

    def download(self, root: str | None = None) -> str:
        source = self._artifact._store.local_path(self._artifact._version, self.path)
        if root is None:
            return str(source)
        target = Path(root) / self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return str(target)

    def __repr__(self) -> str:
        return f"LocalEntry({self.path!r}, digest={self.digest!r}, size={self.size})"


class LocalArtifact:
    """A read-only view of one stored version with ``wandb.Artifact``'s reading API."""

    def __init__(self, store: ArtifactStore, version: ArtifactVersion) -> None:
        self._store = store
        self._version = version

    # Descriptive attributes, spelled as on wandb.Artifact.
    @property
    def name(self) -> str:
        return self._version.qualified_name

    @property
    def qualified_name(self) -> str:
        return f"{self._version.id.entity}/{self._version.id.project}/{self.name}"

    @property
    def entity(self) -> str:
        return self._version.id.entity

    @property
    def project(self) -> str:
        return self._version.id.project

    @property
    def version(self) -> str:
        return self._version.version_tag

    @property
    def type(self) -> str:
        return self._version.type

    @property
    def description(self) -> str | None:
        return self._version.description

    @property
    def metadata(self) -> Mapping[str, Any]:
        return dict(self._version.metadata)

    @property
    def aliases(self) -> list[str]:
        return list(self._version.aliases)

    @property
    def digest(self) -> str:
        return self._version.digest

    @property
    def size(self) -> int:
        return self._version.size

    @property
    def stored_version(self) -> ArtifactVersion:
        return self._version

    def _entry_path(self, path: str) -> str:
        if path not in self._version.entries:
            raise ArtifactNotFoundError(
                f"artifact {self.qualified_name} has no entry {path!r}; "
                f"entries: {', '.join(sorted(self._version.entries)) or '(none)'}."
            )
        return path

    def get_entry(self, path: str) -> LocalEntry:
        return LocalEntry(self, self._entry_path(path))

    get_path = get_entry

    def download(self, root: str | None = None) -> str:
        """Without ``root``: the version's own (read-only) folder of verified files; with it, a copy there."""
        if root is None:
            paths = [self._store.local_path(self._version, path) for path in self._stored_entries()]
            if not paths:
                raise ArtifactNotFoundError(f"artifact {self.qualified_name} has no stored files to download.")
            return str(_common_root(paths, self._stored_entries()))
        for path in self._stored_entries():
            LocalEntry(self, path).download(root)
        return str(root)

    def _stored_entries(self) -> list[str]:
        return [path for path, entry in self._version.entries.items() if entry.ref is None]

    def verify(self, root: str | None = None) -> None:
        for path in self._stored_entries():
            self._store.local_path(self._version, path)

    def get(self, name: str) -> Any:
        """The W&B object added under ``name`` (e.g. ``"Table"``), rebuilt from its JSON entry."""
        from wandb.data_types import WBValue  # W&B objects need wandb; plain reads never import it

        for wb_class in WBValue.type_mapping().values():
            path = wb_class.with_suffix(name)
            if path in self._version.entries:
                with open(self._store.local_path(self._version, path)) as handle:
                    return wb_class.from_json(json.load(handle), self)
        raise ArtifactNotFoundError(
            f"artifact {self.qualified_name} has no W&B object named {name!r}; "
            f"entries: {', '.join(sorted(self._version.entries)) or '(none)'}."
        )

    def __repr__(self) -> str:
        return f"LocalArtifact({self.qualified_name!r}, type={self.type!r}, digest={self.digest!r})"


def _common_root(paths: list[Path], entry_paths: list[str]) -> Path:
    # A stored file path ends with its entry path; strip that to find the version's files folder.
    path, entry = paths[0], entry_paths[0]
    return Path(str(path)[: -len(entry)].rstrip("/")) if str(path).endswith(entry) else path.parent
