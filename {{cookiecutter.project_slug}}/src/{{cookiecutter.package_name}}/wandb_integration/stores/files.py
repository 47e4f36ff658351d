"""File-system helpers shared by the local artifact store and the download cache: W&B digests while
copying, store JSON, crash-safe appends and fsyncs, and what an OSError means for the user
(``storage_errors``). Scratch folders that survive crashes only until the next sweep: ``scratch.py``."""

from __future__ import annotations

import base64
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any, BinaryIO
from urllib.request import url2pathname

from ..errors import (
    ArtifactIntegrityError,
    ArtifactStorageError,
    WandbConfigurationError,
)

_CHUNK = 1024 * 1024
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class NotRegularFileError(OSError):
    """A pipe, device or socket where a file was expected: reading it could block forever or never end."""


_NOT_REGULAR = "a pipe, device or socket, not a regular file"


def open_regular(path: str | Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (after links); a folder raises
    ``IsADirectoryError``, anything else ``NotRegularFileError``. Opened without blocking, so a planted
    pipe cannot stall the open itself."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot be opened at all
            raise NotRegularFileError(errno.ENXIO, _NOT_REGULAR, str(path)) from exc
        raise
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "a folder, not a file", str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(errno.EINVAL, _NOT_REGULAR, str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def hash_file(source: str | Path, copy_to: Path | None = None) -> tuple[str, int]:
    """W&B digest and size of ``source``, copied to ``copy_to`` in the same pass (the store makes stored
    files durable when it commits them, see ``make_durable``)."""
    md5, size = hashlib.md5(usedforsecurity=False), 0
    with open_regular(source) as reader, ExitStack() as stack:
        writer = stack.enter_context(open(copy_to, "xb")) if copy_to else None
        for chunk in iter(lambda: reader.read(_CHUNK), b""):
            md5.update(chunk)
            size += len(chunk)
            if writer:
                writer.write(chunk)
    return base64.b64encode(md5.digest()).decode("ascii"), size


def file_url_path(url: str) -> Path:
    """The local path a ``file://`` URL names. wandb joins the names of a folder's files onto the folder's URL
    as they are, so a '#' or '?' in a name is part of the path (not a fragment or query), and a name that
    only exists undecoded is taken as it is."""
    rest = url.removeprefix("file:")
    if rest.startswith("//"):  # file://<host>/<path>: the host is empty or localhost
        rest = "/" + rest[2:].partition("/")[2]
    decoded = Path(url2pathname(rest))
    return Path(rest) if not decoded.exists() and Path(rest).exists() else decoded


def make_durable(paths: list[Path]) -> None:
    """fsync each file and make it read-only: what a committing rename may then publish."""
    for path in paths:
        with open(path, "rb") as handle:
            fsync(handle.fileno())
        make_read_only(path)


def make_read_only(path: Path) -> None:
    """chmod ``path`` read-only unless it is already: a chmod changes ctime, which a sealed file's stamp holds."""
    if stat.S_IMODE(os.stat(path).st_mode) != READ_ONLY:
        os.chmod(path, READ_ONLY)


def read_json(path: Path, what: str, format_version: int) -> dict[str, Any]:
    """A store JSON file; damage is an ``ArtifactIntegrityError`` naming the file, not a decode error."""
    try:
        with open_regular(path) as handle:
            data = json.loads(handle.read())
    except FileNotFoundError as exc:
        raise ArtifactIntegrityError(f"{what} is missing: {path}; restore it from a backup.") from exc
    except (IsADirectoryError, NotRegularFileError) as exc:
        raise ArtifactIntegrityError(
            f"{what} at {path} is not a file the store wrote ({exc.strerror}); restore it from a backup."
        ) from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested past reason
        raise ArtifactIntegrityError(
            f"{what} is truncated or not JSON: {path} ({exc}); restore it from a backup, or delete "
            f"{path.parent} to drop it."
        ) from exc
    if not isinstance(data, dict) or data.get("format") != format_version:
        raise ArtifactIntegrityError(
            f"{what} at {path} is not a format-{format_version} store file; restore it from a backup."
        )
    return data


def write_json(path: Path, data: Mapping[str, Any], *, atomic: bool, durable: bool = True) -> None:
    """Write (and with ``durable`` fsync) ``data``; ``atomic`` writes a temp file and renames it over ``path``
    (callers hold a lock). Caches that can be rebuilt are written atomically but not durably."""
    target = path.with_name(path.name + ".tmp") if atomic else path
    with suppress(FileNotFoundError):
        target.unlink()  # a leftover (or a planted link): never written through
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, sort_keys=True, separators=(",", ":")))  # compact: json's C encoder
        if durable:
            handle.flush()
            fsync(handle.fileno())
    if atomic:
        os.replace(target, path)
        if durable:
            fsync_dir(path.parent)


def append_line(path: Path, line: bytes) -> int:
    """Append ``line`` (ending in a newline) to ``path`` and fsync it (and its folder when the file is new);
    return the new size. A torn last line (a writer killed mid-append) is ended first, so it cannot swallow
    this one."""
    new = not path.exists()
    with open(path, "ab+") as handle:
        end = handle.seek(0, os.SEEK_END)
        if end:
            handle.seek(end - 1)
            if handle.read(1) != b"\n":
                line = b"\n" + line
        handle.write(line)
        handle.flush()
        fsync(handle.fileno())
        size = handle.tell()
    if new:
        fsync_dir(path.parent)
    return size


# What an OSError while writing means for the user, and what to do about it.
_REPAIR = f"python -m {__name__.rpartition('.stores')[0]} repair"
_STORAGE_PROBLEMS = {
    errno.ENOSPC: ("the disk is full", "Free space on that filesystem, or set base_dir to a folder on a larger disk."),
    errno.EDQUOT: ("the disk quota is used up", "Free space within the quota, or set base_dir to another disk."),
    errno.EXDEV: (
        "part of the store is on another filesystem (a mount point inside it), so no version can be renamed in",
        "Keep the whole base_dir on one filesystem: remove the mount, or set base_dir to a folder on the other disk.",
    ),
    errno.EROFS: (
        "the filesystem is read-only",
        "Reading still works; to write, give the IO manager (or resource) a writable base_dir.",
    ),
    errno.EACCES: (
        "permission is denied",
        "Check that the user running Dagster may read and write there (owner and mode of the folder and its "
        "files), or choose another base_dir.",
    ),
    errno.EPERM: ("the operation is not permitted", "Check the folder's owner and mode, or choose another base_dir."),
    errno.ENOTDIR: (
        "a part of the path is a file, not a folder",
        "base_dir must be a folder: move that file away, or choose another base_dir.",
    ),
    errno.EISDIR: (
        "a folder is where the store keeps a file",
        f"That folder is not the store's: move it away, then run `{_REPAIR}`.",
    ),
    errno.EEXIST: (
        "a file is where the store keeps a folder",
        f"That file is not the store's: move it away, then run `{_REPAIR}`.",
    ),
    errno.ELOOP: (
        "a symbolic link is where the store keeps its own file",
        "The store never follows links in its folders: remove the link, then retry.",
    ),
    errno.EIO: (
        "the disk reported an input/output error",
        f"The disk or mount may be failing: check it (dmesg), then run `{_REPAIR}` to see which versions are readable.",
    ),
    errno.ENAMETOOLONG: (
        "a name is too long for the filesystem",
        "Use shorter artifact and entry names (at most 255 bytes per part of a path).",
    ),
}
_ERRNO_IN_TEXT = re.compile(r"\[?errno (\d+)\]?", re.IGNORECASE)


def storage_errno(exc: BaseException) -> int | None:
    """The errno of an OSError that means the store cannot be written, else ``None`` (pyarrow puts it in the
    message only)."""
    if not isinstance(exc, OSError):
        return None
    code = exc.errno
    if code is None and (match := _ERRNO_IN_TEXT.search(str(exc))):
        code = int(match.group(1))
    return code if code in _STORAGE_PROBLEMS else None


@contextmanager
def storage_errors(what: str, where: Path, action: str = "write") -> Iterator[None]:
    """Turn an OSError that means the store's folder cannot be used (full, read-only, permission, something
    not the store's in the way) into an ``ArtifactStorageError`` about ``what``; ``action`` is what failed."""
    try:
        yield
    except OSError as exc:
        code = storage_errno(exc)
        if code is None:
            raise
        problem, advice = _STORAGE_PROBLEMS[code]
        path = exc.filename or where
        raise ArtifactStorageError(
            f"could not {action} {what}: {problem} at {path} ({errno.errorcode.get(code, code)}: "
            f"{os.strerror(code)}). {advice} "
            + ("Nothing was committed; versions written before are intact." if action == "write" else "")
        ) from exc


def check_folder(path: Path, what: str) -> None:
    """``path`` must be a folder or not exist yet: a file there is a clear configuration error up front."""
    if path.exists() and not path.is_dir():
        raise WandbConfigurationError(
            f"{what} {path} is a file, not a folder; point it at a folder (it is created if missing)."
        )


def check_not_linked(folders: list[Path], setting: str) -> None:
    """Folders the integration makes under ``setting`` must not be links: through one, the store and its
    scratch files would be written somewhere no setting names."""
    for folder in folders:
        if folder.is_symlink():
            raise ArtifactStorageError(
                f"{folder} is a link, but the integration keeps its own folder there and never writes through "
                f"links. Remove the link, or set {setting} to the folder it leads to; nothing was written."
            )


def fsync(fd: int) -> None:
    if os.name == "posix":  # Windows cannot fsync a read-only handle
        os.fsync(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (POSIX; Windows cannot open folders)."""
    if os.name == "posix":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_tree(path: Path) -> None:
    """Best effort (a later sweep retries); read-only files, which Windows refuses to delete, are unlocked."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
        return

    def retry(func: Any, target: str, _exc: Any) -> None:
        with suppress(OSError):
            os.chmod(target, stat.S_IRWXU)
            func(target)

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)
