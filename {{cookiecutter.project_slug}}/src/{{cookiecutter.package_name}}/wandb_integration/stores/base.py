"""The artifact-store interface the IO manager talks to, and the values that cross it.

Two back ends implement ``ArtifactStore``: ``LocalArtifactStore`` (the embedded, offline default) and
``WandbArtifactStore`` (W&B through the public SDK). Neither the IO manager nor the serializers know
which one they have.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .digests import url_digest

if TYPE_CHECKING:
    from .checkout import Checkouts


@dataclass(frozen=True, order=True)
class ArtifactId:
    """``entity/project/name`` of an artifact collection (all of its versions)."""

    entity: str
    project: str
    name: str

    def __str__(self) -> str:
        return f"{self.entity}/{self.project}/{self.name}"


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a version: its path inside the artifact, W&B-style digest and size.

    ``ref`` is set for reference entries (``add_reference``): the bytes live elsewhere and are not stored.
    ``stamp`` is the local store's record of its stored file as committed (size, mtime, ctime, inode), so a
    later process can skip hashing a file nobody touched since (``verification.py``).
    """

    path: str
    digest: str
    size: int
    ref: str | None = None
    stamp: tuple[int, ...] | None = field(default=None, compare=False)

    @property
    def unchecked(self) -> bool:
        """A reference logged with ``checksum=False``: its digest stands for its URL, not its bytes, so the
        bytes cannot be checked. This store records the URL itself; wandb the MD5 of a file's resolved URL."""
        if self.ref is None:
            return False
        return self.digest == self.ref or (self.ref.startswith("file://") and self.digest == url_digest(self.ref))


@dataclass(frozen=True)
class ArtifactVersion:
    """One committed, immutable version as recorded by a store."""

    id: ArtifactId
    version: int
    type: str
    digest: str
    entries: Mapping[str, ManifestEntry]
    aliases: tuple[str, ...] = ()
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)
    created_at: str = ""
    # Back-end specific handle (e.g. the wandb.Artifact online); never compared or serialized.
    handle: Any = field(default=None, compare=False, repr=False)

    @property
    def version_tag(self) -> str:
        return f"v{self.version}"

    @property
    def qualified_name(self) -> str:
        """``name:vN``, as ``wandb.Artifact.name`` spells a logged version."""
        return f"{self.id.name}:{self.version_tag}"

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self.entries.values())


@dataclass
class ArtifactDraft:
    """A version being written: files staged on local disk plus the descriptive fields.

    ``files`` maps the path inside the artifact to a local file holding its bytes. The store copies or
    moves them; a draft is used once. ``digests`` holds ``(digest, size)`` of files whose bytes were
    hashed while they were written, so the store need not read them again; ``stamps`` the stamp their
    writer took right after (``verification.seal``). A file with a digest but no stamp is stored unstamped.
    """

    id: ArtifactId
    type: str
    files: dict[str, Path] = field(default_factory=dict)
    digests: dict[str, tuple[str, int]] = field(default_factory=dict)
    stamps: dict[str, tuple[int, ...]] = field(default_factory=dict)
    references: list[ManifestEntry] = field(default_factory=list)
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    lineage: dict[str, Any] = field(default_factory=dict)


class ArtifactStore(abc.ABC):
    """Versioned artifact storage: commit drafts, resolve versions, hand out verified local files."""

    checkouts: Checkouts  # where checkout() copies entries for user code

    @abc.abstractmethod
    def commit(self, draft: ArtifactDraft) -> ArtifactVersion:
        """Make ``draft`` the newest version (or reuse the latest when digests are equal) and add aliases."""

    @abc.abstractmethod
    def resolve(
        self, artifact_id: ArtifactId, *, version: int | None = None, alias: str | None = None
    ) -> ArtifactVersion:
        """The version with that number or alias (default ``latest``); ``ArtifactNotFoundError`` otherwise."""

    @abc.abstractmethod
    def local_path(self, version: ArtifactVersion, entry_path: str) -> Path:
        """A local path to one stored entry whose bytes were verified against the manifest digest."""

    def checkout(self, version: ArtifactVersion, entry_path: str) -> Path:
        """A verified copy of one stored entry that user code owns (``checkout.py``): moving, editing or
        deleting it leaves the store intact. ``local_path`` is the store's own file, for its own reads."""
        return self.checkouts.provide(self.local_path(version, entry_path), version, version.entries[entry_path])

    @abc.abstractmethod
    def link(self, version: ArtifactVersion, target: ArtifactId, aliases: Sequence[str] = ()) -> ArtifactVersion:
        """Link ``version`` into a registry collection ``target`` (model registry promotion)."""

    @abc.abstractmethod
    def staging_dir(self) -> AbstractContextManager[Path]:
        """A scratch folder on the store's own filesystem, removed on exit.

        Writers serialize straight into it, each file at its entry path; ``commit`` then publishes the
        files where they are (or moves them) instead of copying them.
        """

    @abc.abstractmethod
    def open(self, version: ArtifactVersion) -> Any:
        """An object with ``wandb.Artifact``'s reading API for ``version`` (``get``, ``get_entry``, …)."""

    def location(self, version: ArtifactVersion) -> dict[str, str]:
        """Where ``version`` can be seen: a local folder offline, URLs online (Dagster output metadata)."""
        return {}

    def close(self, failed: Callable[[], bool] = lambda: False) -> None:  # noqa: B027 - optional hook
        """Release what the store holds for this step (finish the W&B run, expire the cache); ``failed()``
        says whether the step failed, asked only by stores that report it (W&B marks the run failed)."""
