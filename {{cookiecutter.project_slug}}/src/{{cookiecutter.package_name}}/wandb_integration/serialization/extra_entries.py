"""``add_files`` / ``add_dirs`` / ``add_references`` from the output configuration.

Each item is the keyword dict one would pass to ``wandb.Artifact.add_file`` / ``add_dir`` /
``add_reference``. They are applied here, without wandb, so a plain Python output with extra files needs
no wandb import. Keywords that only tune wandb's upload cache are accepted and have no effect offline.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import WandbConfigurationError
from ..stores.base import ManifestEntry
from ..stores.digests import file_digest

_ADD_FILE_KEYS = {"local_path", "name", "is_tmp", "skip_cache", "policy", "overwrite"}
_ADD_DIR_KEYS = {"local_path", "name", "skip_cache", "policy", "merge"}
_ADD_REFERENCE_KEYS = {"uri", "name", "checksum", "max_objects"}


def _check(kwargs: Mapping[str, Any], allowed: set[str], required: str, where: str) -> None:
    unknown = sorted(set(kwargs) - allowed)
    if unknown:
        raise WandbConfigurationError(
            f"{where}: unknown keyword(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(allowed))}."
        )
    if not kwargs.get(required):
        raise WandbConfigurationError(f"{where}: {required!r} is required, got {dict(kwargs)!r}.")


def add_file(kwargs: Mapping[str, Any], staging_dir: Path, files: dict[str, Path], where: str) -> None:
    _check(kwargs, _ADD_FILE_KEYS, "local_path", where)
    source = Path(kwargs["local_path"])
    if not source.is_file():
        raise WandbConfigurationError(f"{where}: local_path {str(source)!r} is not a file; check the path.")
    _stage(source, kwargs.get("name") or source.name, staging_dir, files, where)


def add_dir(kwargs: Mapping[str, Any], staging_dir: Path, files: dict[str, Path], where: str) -> None:
    _check(kwargs, _ADD_DIR_KEYS, "local_path", where)
    source = Path(kwargs["local_path"])
    if not source.is_dir():
        raise WandbConfigurationError(f"{where}: local_path {str(source)!r} is not a directory; check the path.")
    prefix = kwargs.get("name") or ""
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        entry = path.relative_to(source).as_posix()
        _stage(path, f"{prefix.rstrip('/')}/{entry}" if prefix else entry, staging_dir, files, where)


def add_reference(kwargs: Mapping[str, Any], references: list[ManifestEntry], where: str) -> None:
    _check(kwargs, _ADD_REFERENCE_KEYS, "uri", where)
    uri = str(kwargs["uri"])
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", "http", "https", "s3", "gs", "az", "wandb-artifact"):
        raise WandbConfigurationError(
            f"{where}: reference uri {uri!r} has no supported scheme; use file://, http(s)://, s3://, gs:// or az://."
        )
    name = kwargs.get("name") or Path(parsed.path).name or parsed.netloc
    digest, size = uri, 0
    if parsed.scheme == "file" and kwargs.get("checksum", True):
        local = Path(unquote(parsed.path))
        if not local.is_file():
            raise WandbConfigurationError(f"{where}: reference {uri!r} points to no file; check the path.")
        digest, size = file_digest(local), local.stat().st_size
    references.append(ManifestEntry(path=name, digest=digest, size=size, ref=uri))


def _stage(source: Path, entry: str, staging_dir: Path, files: dict[str, Path], where: str) -> None:
    if entry in files:
        raise WandbConfigurationError(f"{where}: entry {entry!r} is added twice; give one of them another 'name'.")
    target = staging_dir / entry
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    files[entry] = target


def apply(config: Any, staging_dir: Path, files: dict[str, Path], references: list[ManifestEntry], where: str) -> None:
    """Apply a ``WriteConfig``'s extra entries to a draft's ``files`` and ``references``."""
    for index, kwargs in enumerate(config.add_files):
        add_file(kwargs, staging_dir, files, f"{where} add_files[{index}]")
    for index, kwargs in enumerate(config.add_dirs):
        add_dir(kwargs, staging_dir, files, f"{where} add_dirs[{index}]")
    for index, kwargs in enumerate(config.add_references):
        add_reference(kwargs, references, f"{where} add_references[{index}]")
