"""Where a version of the local store is assembled before its one committing rename.

``Staging`` hands out payload folders under ``<root>/.staging``, inside one scratch folder per process
(``ProcessScratch``: held by its live process, swept with everything in it once the process is gone; made
once, not per write) and fills a payload from a draft: files already written at their
entry path of a handed-out folder stay where they are (the common case: the IO manager serializes straight
into it), files elsewhere in a handed-out folder are moved, the caller's own files are copied. Every stored
file ends up hashed and a regular file (a link is replaced by its bytes); the store makes the files of a
new version durable when it commits them.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import WandbConfigurationError
from .base import ArtifactDraft, ArtifactId, ManifestEntry
from .files import check_not_linked, hash_file, remove_tree
from .scratch import ProcessScratch, ScratchArea
from .verification import seal

FILES = "files"
STAGING = ".staging"  # under the store root
_Stored = tuple[Path, str, int]  # stored copy, digest, size of a draft file


class Staging:
    def __init__(self, root: Path) -> None:
        # Resolved once (handed-out paths compare as given), but not through a link planted as the area itself.
        self._store_root = root.parent
        self._scratch = ProcessScratch(ScratchArea(root.parent.resolve() / root.name))  # holds the payloads
        self._handed_out: dict[Path, Path] = {}  # files folder handed out by folder() -> its payload

    @contextmanager
    def folder(self) -> Iterator[Path]:
        """A new payload's empty ``files/`` folder, removed on exit unless committed."""
        with self.empty_payload() as payload:
            files = payload / FILES
            self._handed_out[files] = payload
            try:
                yield files
            finally:
                self._handed_out.pop(files, None)

    @contextmanager
    def payload(self, draft: ArtifactDraft) -> Iterator[tuple[Path, list[Path], dict[str, ManifestEntry]]]:
        """The payload folder holding ``draft``'s files, the stored files, and their manifest entries."""
        sources = {path: Path(source) for path, source in draft.files.items()}
        entries: dict[str, ManifestEntry] = {}
        for files_dir, payload in self._handed_out.items():
            if sources and all(source == files_dir / path for path, source in sources.items()):
                yield payload, self._keep_in_place(draft, files_dir, entries), entries
                return
        with self.empty_payload() as payload:
            yield payload, self._take_all(draft, payload / FILES, entries), entries

    def close(self) -> None:
        """Let go of this process's scratch folder (a later write makes a new one)."""
        self._scratch.close()

    @contextmanager
    def empty_payload(self) -> Iterator[Path]:
        """A new payload folder with an empty ``files/`` (also what the store assembles links in); removed
        on exit unless its rename committed it."""
        check_not_linked([self._store_root], "base_dir")  # resolved above: a link there would be followed
        while True:
            payload = self._scratch.new_path()
            try:
                payload.mkdir()
                break
            except FileExistsError:  # put there by someone else: never written through
                continue
        (payload / FILES).mkdir()
        try:
            yield payload
        finally:
            if os.path.lexists(payload):
                remove_tree(payload)

    def _keep_in_place(self, draft: ArtifactDraft, files_dir: Path, entries: dict[str, ManifestEntry]) -> list[Path]:
        """Hash the staged files (unless the writer did); drop anything the draft does not list."""
        for path in sorted(draft.files):
            linked = next((p for p in Path(path).parents if (files_dir / p).is_symlink()), None)
            if linked is not None:  # committing it would commit the link, and what it points to may change
                raise WandbConfigurationError(
                    f"entry {path!r} of artifact '{draft.id}' was written under {str(linked)!r}, a link in the "
                    "staging folder; the store keeps bytes, not links. Write the files into real folders there."
                )
        for folder, dirs, names in os.walk(files_dir):
            for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = Path(folder) / name
                if path.relative_to(files_dir).as_posix() not in draft.files:
                    path.unlink()  # our own scratch folder: a file the draft did not name is no entry
        stored = []
        for path in sorted(draft.files):
            target = files_dir / path
            if not target.is_file():
                raise _not_a_file(target, path, draft.id)
            if not stat.S_ISREG(os.lstat(target).st_mode):  # a link staged here: store the bytes, not the link
                handle, copy = tempfile.mkstemp(dir=target.parent, prefix=".copy-")  # new: no planted name
                os.close(handle)
                shutil.copyfile(target, copy)
                os.replace(copy, target)
            if path in draft.digests:
                (digest, size), stamp = draft.digests[path], draft.stamps.get(path)
            else:
                stamp = seal(target)
                digest, size = hash_file(target)
            entries[path] = ManifestEntry(path, digest, size, stamp=stamp)
            stored.append(target)
        return stored

    def _take_all(self, draft: ArtifactDraft, files_dir: Path, entries: dict[str, ManifestEntry]) -> list[Path]:
        taken: dict[Path, _Stored] = {}
        for path, source in sorted(draft.files.items()):
            target = files_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            digest, size, stamp = self._take(Path(source), target, taken, draft.id, path)
            entries[path] = ManifestEntry(path, digest, size, stamp=stamp)
        return [stored for stored, _, _ in taken.values()]

    def _take(
        self, source: Path, target: Path, taken: dict[Path, _Stored], artifact: ArtifactId, path: str
    ) -> tuple[str, int, tuple[int, ...] | None]:
        """Move a file out of a handed-out folder, copy any other; return (digest, size, stamp).

        Never moved: the caller's own files, and symlinks (the store must hold the bytes, not a link).
        """
        resolved = source.resolve()
        if resolved in taken:  # one source under several entry paths: share the stored bytes
            stored, digest, size = taken[resolved]
            link_or_copy(stored, target)
            return digest, size, None  # a new link changes the shared file's ctime: stored unstamped
        if not source.is_file():
            raise _not_a_file(source, path, artifact)
        if not source.is_symlink() and any(resolved.is_relative_to(folder) for folder in self._handed_out):
            os.replace(resolved, target)
            stamp = seal(target)
            digest, size = hash_file(target)
        else:
            digest, size = hash_file(source, target)
            stamp = seal(target)
        taken[resolved] = (target, digest, size)
        return digest, size, stamp


def link_or_copy(source: Path, target: Path) -> None:
    """Share immutable stored bytes by a hard link; copy where links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _not_a_file(source: Path, path: str, artifact: ArtifactId) -> WandbConfigurationError:
    return WandbConfigurationError(
        f"file {str(source)!r} for entry {path!r} of artifact '{artifact}' does not exist or is not a regular "
        "file; write the file before committing."
    )
