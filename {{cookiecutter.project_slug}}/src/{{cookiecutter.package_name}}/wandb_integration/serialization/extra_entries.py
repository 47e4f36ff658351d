"""``add_files`` / ``add_dirs`` / ``add_references`` from the output configuration.

Each item is the keyword dict one would pass to ``wandb.Artifact.add_file`` / ``add_dir`` /
``add_reference``. They are applied here, without wandb, so a plain Python output with extra files needs
no wandb import. ``is_tmp`` and ``overwrite`` do what they do in wandb (a name made from the file's digest;
a later ``add_files`` item replacing an earlier one of the same name); keywords that only tune wandb's
upload cache (``skip_cache``, ``policy``) are accepted and have no effect. A ``file://`` reference to a
folder becomes one reference per file below it, as in wandb.

Every entry name is checked, for all items, before anything is copied: a name that is absolute or
climbs out with ``..`` is refused, so nothing is ever written outside the artifact. In ``add_dirs``, a
link to a file inside the folder is stored as that file's bytes; a link that leads out of the folder, or
to a folder, is refused with the link and its target named (wandb would silently copy the first and skip
the second).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from ..errors import WandbConfigurationError
from ..stores.base import ManifestEntry
from ..stores.checks import ENTRY_PATH_RULE, check_entry_paths, is_entry_path
from ..stores.digests import file_digest
from ..stores.files import file_url_path, hash_file
from ..stores.verification import seal

_ADD_FILE_KEYS = {"local_path", "name", "is_tmp", "skip_cache", "policy", "overwrite"}
_ADD_DIR_KEYS = {"local_path", "name", "skip_cache", "policy", "merge"}
_ADD_REFERENCE_KEYS = {"uri", "name", "checksum", "max_objects"}
_MAX_OBJECTS = 10_000_000  # wandb's default limit of files one add_reference of a folder may track


def _check(kwargs: Mapping[str, Any], allowed: set[str], required: str, where: str) -> None:
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise WandbConfigurationError(
            f"{where}: unknown keyword(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}."
        )
    if not kwargs.get(required):
        raise WandbConfigurationError(f"{where}: {required!r} is required, got {dict(kwargs)!r}.")


def _entry(name: Any, where: str, what: str, given: Any = None) -> str:
    if not is_entry_path(name):
        raise WandbConfigurationError(
            f"{where}: {what} {given or repr(name)} is not {ENTRY_PATH_RULE}; entries are stored inside the artifact."
        )
    return name


def file_entries(kwargs: Mapping[str, Any], where: str) -> list[tuple[str, Path]]:
    _check(kwargs, _ADD_FILE_KEYS, "local_path", where)
    source = Path(kwargs["local_path"])
    if not source.is_file():
        raise WandbConfigurationError(f"{where}: local_path {str(source)!r} is not a file; check the path.")
    name = _entry(kwargs.get("name") or source.name, where, "name")
    if kwargs.get("is_tmp"):  # as wandb does: the file name's first part becomes 20 hex digits of its digest
        folder, _, file_name = name.rpartition("/")
        parts = file_name.split(".")
        parts[0] = base64.b64decode(file_digest(source)).hex()[:20]
        name = f"{folder}/{'.'.join(parts)}" if folder else ".".join(parts)
    return [(name, source)]


def dir_entries(kwargs: Mapping[str, Any], where: str) -> list[tuple[str, Path]]:
    _check(kwargs, _ADD_DIR_KEYS, "local_path", where)
    source = Path(kwargs["local_path"])
    if not source.is_dir():
        raise WandbConfigurationError(f"{where}: local_path {str(source)!r} is not a directory; check the path.")
    prefix = kwargs.get("name") or ""
    if prefix:
        prefix = _entry(prefix.rstrip("/"), where, "name", given=repr(prefix))
    root = source.resolve()
    found = []
    for folder, dirs, names in os.walk(source):
        for name in sorted(dirs):
            if (Path(folder) / name).is_symlink():
                link = Path(folder) / name
                raise WandbConfigurationError(
                    f"{where}: {str(link)!r} is a link to the folder {str(_link_target(link, where))!r}, which is not "
                    "followed; add that folder with its own add_dirs entry, or put the folder itself there."
                )
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_symlink() and not (target := _link_target(path, where)).is_relative_to(root):
                raise WandbConfigurationError(
                    f"{where}: {str(path)!r} is a link to {str(target)!r}, outside {str(source)!r}; "
                    "links out of the folder are refused. Copy the file into the folder, or add it with add_files."
                )
            if not path.is_file():
                continue  # a socket, a fifo, a broken link: nothing to store
            entry = path.relative_to(source).as_posix()
            found.append((_entry(f"{prefix}/{entry}" if prefix else entry, where, "entry"), path))
    return found


def _link_target(link: Path, where: str) -> Path:
    try:
        return link.resolve()
    except (OSError, RuntimeError) as exc:  # Python 3.11 raises RuntimeError for a loop
        raise WandbConfigurationError(
            f"{where}: {str(link)!r} is a link that loops ({exc}); remove it or replace it by the file itself."
        ) from exc


def add_reference(kwargs: Mapping[str, Any], references: list[ManifestEntry], where: str) -> None:
    _check(kwargs, _ADD_REFERENCE_KEYS, "uri", where)
    uri = str(kwargs["uri"])
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", "http", "https", "s3", "gs", "az", "wandb-artifact"):
        raise WandbConfigurationError(
            f"{where}: reference uri {uri!r} has no supported scheme; use file://, http(s)://, s3://, gs:// or az://."
        )
    checksum = kwargs.get("checksum", True)
    local = file_url_path(uri) if parsed.scheme == "file" else None
    if local is not None and local.is_dir():
        references.extend(_folder_references(kwargs, uri, local, checksum, where))
        return
    default = local.name if local is not None else Path(parsed.path).name or parsed.netloc  # decoded, as wandb's
    name = _entry(kwargs.get("name") or default, where, "name")
    digest, size = uri, 0
    if local is not None and checksum:
        if not local.is_file():
            raise WandbConfigurationError(f"{where}: reference {uri!r} points to no file or folder; check the path.")
        digest, size = file_digest(local), local.stat().st_size
    references.append(ManifestEntry(path=name, digest=digest, size=size, ref=uri))


def _folder_references(
    kwargs: Mapping[str, Any], uri: str, folder: Path, checksum: bool, where: str
) -> list[ManifestEntry]:
    """A ``file://`` folder becomes one reference per file below it, named by its path inside the folder (under
    ``name`` if given), as wandb's ``add_reference`` does; at most ``max_objects`` files."""
    limit = kwargs.get("max_objects") or _MAX_OBJECTS
    prefix = _entry(kwargs["name"].rstrip("/"), where, "name") + "/" if kwargs.get("name") else ""
    found = []
    for parent, dirs, names in os.walk(folder):
        dirs.sort()
        for file_name in sorted(names):
            path = Path(parent) / file_name
            if not path.is_file():
                continue  # a socket, a fifo, a broken link: no bytes to refer to
            if len(found) == limit:
                raise WandbConfigurationError(
                    f"{where}: reference {uri!r} holds more than max_objects={limit} files; raise max_objects or "
                    "refer to a smaller folder."
                )
            inside = path.relative_to(folder).as_posix()
            ref = f"{uri.rstrip('/')}/{quote(inside)}"
            digest, size = (file_digest(path), path.stat().st_size) if checksum else (ref, 0)
            found.append(ManifestEntry(path=_entry(prefix + inside, where, "entry"), digest=digest, size=size, ref=ref))
    return found


def apply(config: Any, staging_dir: Path, draft: Any, where: str) -> None:
    """Apply a ``WriteConfig``'s extra entries to an ``ArtifactDraft`` whose files are staged in ``staging_dir``.

    Every name of every item is checked before the first file is copied.
    """
    staged: dict[str, tuple[Path, str]] = {}
    for key, entries_of in (("add_files", file_entries), ("add_dirs", dir_entries)):
        for index, kwargs in enumerate(getattr(config, key)):
            item = f"{where} {key}[{index}]"
            replaces = key == "add_files" and bool(kwargs.get("overwrite"))  # wandb's add_file(overwrite=True)
            for entry, source in entries_of(kwargs, item):
                if entry in draft.files or (entry in staged and not replaces):
                    raise WandbConfigurationError(
                        f"{item}: entry {entry!r} is added twice; give one of them another 'name'"
                        + ("." if entry in draft.files else ", or set overwrite: True on the later add_files item.")
                    )
                staged[entry] = (source, item)
    for index, kwargs in enumerate(config.add_references):
        add_reference(kwargs, draft.references, f"{where} add_references[{index}]")
    # A file named like another's folder ('a' and 'a/b') is refused here too, before anything is copied.
    check_entry_paths([*draft.files, *staged, *(r.path for r in draft.references)], draft.id)
    for entry, (source, _item) in staged.items():
        target = staging_dir / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        draft.digests[entry] = hash_file(source, copy_to=target)  # hashed while it is copied
        draft.stamps[entry] = seal(target)
        draft.files[entry] = target
