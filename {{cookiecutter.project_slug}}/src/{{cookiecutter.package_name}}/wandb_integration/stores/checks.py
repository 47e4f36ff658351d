"""Validation of what the local store is asked to hold: artifact ids, entry paths, aliases, version tags.

Each check raises ``WandbConfigurationError`` naming the offending value and saying what is allowed.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..errors import WandbConfigurationError
from .base import ArtifactId

VERSION_TAG = re.compile(r"^v([0-9]{1,18})\Z")  # 18 digits: any real version; more is not one
_ALIAS_FORBIDDEN = frozenset("/:")


def check_aliases(aliases: Sequence[str]) -> list[str]:
    """Validated aliases, in order, without duplicates; ``WandbConfigurationError`` names a bad one."""
    if isinstance(aliases, str):
        raise WandbConfigurationError(
            f"aliases must be a list of strings, got the string {aliases!r}; use [{aliases!r}]."
        )
    for alias in aliases:
        if not isinstance(alias, str) or not alias.strip() or len(alias) > 128:
            raise WandbConfigurationError(
                f"alias {alias!r} is not allowed; use a non-empty string of at most 128 characters."
            )
        if _ALIAS_FORBIDDEN.intersection(alias) or not alias.isprintable():
            raise WandbConfigurationError(
                f"alias {alias!r} is not allowed; aliases cannot contain '/', ':' or control characters."
            )
        if VERSION_TAG.match(alias):
            raise WandbConfigurationError(
                f"alias {alias!r} looks like a version number, which W&B reserves; use e.g. '{alias}-prod'."
            )
    return list(dict.fromkeys(aliases))


def check_id(artifact: ArtifactId) -> None:
    for label, value in (("entity", artifact.entity), ("project", artifact.project), ("name", artifact.name)):
        if not isinstance(value, str) or not value or value.startswith(".") or set(value) & set("/\\\0"):
            raise WandbConfigurationError(
                f"artifact {label} {value!r} (in '{artifact}') cannot be stored; it must be non-empty, "
                "not start with '.', and hold no '/' or '\\'."
            )


def is_entry_path(path: object) -> bool:
    """Whether ``path`` is a relative path inside an artifact, like ``data/train.csv`` (so it cannot leave
    the folder it is joined to)."""
    if not isinstance(path, str):
        return False
    parts = path.split("/")
    return not (
        not _is_utf8(path)
        or any(part in ("", ".", "..") or len(part.encode("utf-8")) > 255 for part in parts)
        or "\\" in path
        or any(ord(char) < 32 or ord(char) == 127 for char in path)  # a newline would forge digest lines
    )


def _is_utf8(path: str) -> bool:
    """A file name that is not valid UTF-8 reaches Python with surrogate escapes; W&B names are UTF-8."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


ENTRY_PATH_RULE = (
    "a relative path like 'data/train.csv' in valid UTF-8: no leading '/', no empty, '.' or '..' parts, no part "
    "longer than 255 bytes (what filesystems allow), no backslash, newline or other control character"
)


def check_entry_paths(paths: list[str], artifact: ArtifactId) -> None:
    folders: set[str] = set()
    for path in paths:
        if not is_entry_path(path):
            raise WandbConfigurationError(f"entry path {path!r} of artifact '{artifact}' is not {ENTRY_PATH_RULE}.")
        parts = path.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(set(paths) & folders) or sorted(p for p, n in Counter(paths).items() if n > 1)
    if clash:
        raise WandbConfigurationError(
            f"entry path {clash[0]!r} of artifact '{artifact}' is used twice (as a file and a folder, or "
            "by a file and a reference); rename one of them."
        )


def check_path_lengths(paths: Sequence[str], artifact: ArtifactId, folders: Sequence[Path]) -> None:
    """Each entry must fit below every folder the store keeps it in (``folders``: the version's, its checkout's,
    the scratch folder's, at their longest) within the system's path limit. Past it, the committing rename
    still succeeds, but the version could never be opened again."""
    limit = _path_max(folders[0])
    room = limit - 2 - max(len(os.fsencode(folder)) for folder in folders)  # the '/' before it, the final NUL
    for path in paths:
        size = len(os.fsencode(path))
        if size > room:
            raise WandbConfigurationError(
                f"entry path {path[:80]!r}{'…' if len(path) > 80 else ''} of artifact '{artifact}' is {size} bytes "
                f"long; below the store's folders ({folders[0]}) the system allows {max(room, 0)}, as paths end at "
                f"{limit} bytes. Shorten the entry path or the artifact name, or choose a shorter base_dir."
            )


def _path_max(path: Path) -> int:
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("/"))
    try:
        return os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError):  # no such limit reported: Linux's
        return 4096


def version_number(version: int | str, artifact: ArtifactId) -> int:
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    match = VERSION_TAG.match(version) if isinstance(version, str) else None
    digits = match.group(1) if match else version
    # At most 18 digits (any real version): int() of thousands of digits raises a bare ValueError.
    if not (isinstance(digits, str) and digits.isascii() and digits.isdigit() and len(digits) <= 18):
        raise WandbConfigurationError(f"version {version!r} of artifact '{artifact}' is not like 'v3' or 3.")
    return int(digits)


def parse_target_path(target_path: str, default_entity: str) -> ArtifactId:
    """A registry link target ``[entity/]project/collection`` (W&B's ``target_path``) as an ``ArtifactId``."""
    parts = target_path.split("/") if isinstance(target_path, str) else []
    if len(parts) not in (2, 3) or not all(parts) or ":" in target_path:
        raise WandbConfigurationError(
            f"target_path {target_path!r} is not '[entity/]registry-project/collection', "
            "e.g. 'wandb-registry-model/wine-classifier'."
        )
    return ArtifactId(parts[0] if len(parts) == 3 else default_entity, parts[-2], parts[-1])
