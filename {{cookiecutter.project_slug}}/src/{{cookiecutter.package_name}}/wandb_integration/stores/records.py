"""The local store's JSON records, built and parsed here.

- ``manifest.json``: one immutable version (the artifact and version number it was committed as, type,
  digest, entries, descriptive fields, lineage, and the aliases it was committed with);
- ``index.json``: a cache of an artifact's versions (number, digest, created_at) and aliases, plus how much
  of the alias journal it reflects (``journal_bytes``);
- ``aliases.jsonl``: the alias journal, one line ``{"version": N, "aliases": [...]}`` per write that
  reused an existing version (equal content) and moved aliases onto it.

A damaged manifest is an ``ArtifactIntegrityError`` naming the file; a damaged index or journal line is
reported as ``None`` to the caller, which rebuilds from the manifests (see ``catalog.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ArtifactIntegrityError, WandbConfigurationError
from .base import ArtifactId, ArtifactVersion, ManifestEntry
from .checks import is_entry_path
from .digests import artifact_digest

FORMAT = 1


def index_record(
    artifact: ArtifactId,
    type_: str | None,
    versions: Mapping[int, Mapping[str, Any]],
    aliases: Mapping[str, int],
    journal_bytes: int,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "artifact": str(artifact),
        "type": type_,
        "versions": [{"version": n, **dict(versions[n])} for n in sorted(versions)],
        "aliases": dict(sorted(aliases.items())),
        "journal_bytes": journal_bytes,
    }


def parse_index(data: Any, artifact: ArtifactId) -> dict[str, Any] | None:
    """The index as ``{"type", "versions": {n: {digest, created_at}}, "aliases", "journal_bytes"}``, or
    ``None`` when it is not a well-formed index of ``artifact`` (numbers increasing, aliases naming listed
    versions)."""
    try:
        if data.get("format") != FORMAT or data.get("artifact", str(artifact)) != str(artifact):
            return None
        versions = {
            v["version"]: {"digest": v["digest"], "created_at": v.get("created_at", "")} for v in data["versions"]
        }
        numbers = [v["version"] for v in data["versions"]]
        aliases = dict(data["aliases"])
        valid = (
            all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers)
            and numbers == sorted(set(numbers))
            and all(isinstance(v["digest"], str) for v in versions.values())
            and all(isinstance(a, str) and n in versions for a, n in aliases.items())
        )
        journal_bytes = data.get("journal_bytes", 0)
        if not (valid and isinstance(journal_bytes, int)):
            return None
        return {"type": data.get("type"), "versions": versions, "aliases": aliases, "journal_bytes": journal_bytes}
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def journal_line(version: int, aliases: Sequence[str]) -> bytes:
    return (json.dumps({"version": version, "aliases": list(aliases)}) + "\n").encode()


def parse_journal(data: bytes) -> tuple[list[tuple[int, list[str]]], int]:
    """``(version, aliases)`` moves in order, and how many lines could not be read (a torn last line)."""
    moves, bad = [], 0
    for line in data.splitlines():
        try:
            entry = json.loads(line)
            version, aliases = entry["version"], entry["aliases"]
            if type(version) is int and all(isinstance(alias, str) for alias in aliases):  # not a bool
                moves.append((version, list(aliases)))
                continue
        except (ValueError, KeyError, TypeError):
            pass
        bad += 1
    return moves, bad


def new_manifest(
    type_: str,
    entries: Mapping[str, ManifestEntry],
    description: str | None,
    metadata: Any,
    lineage: Any,
    artifact: ArtifactId,
    aliases: Sequence[str] = (),
) -> dict[str, Any]:
    record = {
        "format": FORMAT,
        "artifact": str(artifact),  # with "version" (set when committed): a copied folder is told apart
        "type": type_,
        "digest": artifact_digest((e.path, e.digest) for e in entries.values()),
        "description": description,
        "created_at": datetime.now(UTC).isoformat(),
        "entries": {p: _entry_record(e) for p, e in sorted(entries.items())},
        # So a lost index can be rebuilt with the aliases each version was committed with.
        "aliases": list(aliases),
    }
    for key, value in (("metadata", metadata), ("lineage", lineage)):
        try:  # a round trip both checks and detaches the caller's dict
            check_plain(value or {}, f"{key} of artifact '{artifact}'")
            record[key] = json.loads(json.dumps(dict(value or {})))
        except (TypeError, ValueError) as exc:
            raise WandbConfigurationError(
                f"{key} of artifact '{artifact}' is not JSON-serializable ({exc}); use strings, numbers, "
                "booleans, None, lists and dicts."
            ) from exc
    return record


_MAX_DEPTH = 64  # far deeper than any real metadata, well inside Python's recursion limit


def check_plain(value: Any, what: str, depth: int = 0) -> None:
    """Refuse what JSON would silently lose: keys that become equal as text (``1`` and ``"1"``), and
    nesting so deep that encoding it would fail with a bare ``RecursionError``. What JSON only changes,
    as W&B's metadata does too, is kept: tuples read back as lists, non-string keys as strings."""
    if depth > _MAX_DEPTH:
        raise WandbConfigurationError(
            f"{what} is nested more than {_MAX_DEPTH} levels deep; flatten it (e.g. 'a.b.c' keys) or store "
            "the structure as a file of the artifact."
        )
    if isinstance(value, Mapping):
        seen: dict[str, Any] = {}
        for key, item in value.items():
            text = key if isinstance(key, str) else next(iter(json.loads(json.dumps({key: None}))))
            if text in seen:
                raise WandbConfigurationError(
                    f"{what} has keys {seen[text]!r} and {key!r}, which are the same key {text!r} in JSON, so one "
                    "value would be lost; rename one of them."
                )
            seen[text] = key
            check_plain(item, what, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            check_plain(item, what, depth + 1)


def version_from(
    artifact: ArtifactId,
    number: int,
    indexed_digest: str,
    aliases: Sequence[str],
    record: Mapping[str, Any],
    folder: Path,
) -> ArtifactVersion:
    """The ``ArtifactVersion`` for manifest ``record``, checked against the digest the index recorded."""
    where = f"artifact '{artifact}:v{number}'"
    try:
        entries = {
            p: ManifestEntry(p, e["digest"], e["size"], e.get("ref"), _stamp(e.get("stamp")))
            for p, e in record["entries"].items()
        }
        digest = record["digest"]
        version = ArtifactVersion(
            id=artifact,
            version=number,
            type=record["type"],
            digest=digest,
            entries=entries,
            aliases=tuple(aliases),
            description=record.get("description"),
            metadata=record.get("metadata") or {},
            lineage=record.get("lineage") or {},
            created_at=record.get("created_at", ""),
            handle=folder,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ArtifactIntegrityError(
            f"manifest {folder / 'manifest.json'} of {where} is malformed ({exc!r}); restore the version folder "
            "from a backup."
        ) from exc
    committed_as = (record.get("artifact", str(artifact)), record.get("version", number))
    if committed_as != (str(artifact), number):  # manifests written before these fields are trusted as placed
        raise ArtifactIntegrityError(
            f"{where}: its manifest in {folder} was committed as '{committed_as[0]}:v{committed_as[1]}' (digest "
            f"{digest}; the index recorded {indexed_digest} for this version), so the folder was copied or moved "
            "here from there. Restore the original folder from a backup; the store never changes a version."
        )
    outside = sorted(path for path in entries if not is_entry_path(path))
    if outside:
        raise ArtifactIntegrityError(
            f"{where}: its manifest in {folder} lists entry {outside[0]!r}, which would lead out of the version "
            "folder, so the manifest was edited. Restore the version folder from a backup."
        )
    if digest != indexed_digest:
        raise ArtifactIntegrityError(
            f"{where}: its manifest in {folder} has digest {digest} but the index recorded {indexed_digest} for "
            "this version, so the folder holds another version's content (copied, swapped or restored from "
            "another backup). Restore the original folder from a backup; the store never changes a version."
        )
    total = artifact_digest((e.path, e.digest) for e in entries.values())
    if total != digest:
        raise ArtifactIntegrityError(
            f"{where}: its manifest in {folder} says digest {digest} but its entries add up to {total}, so the "
            "manifest was edited. Restore the version folder from a backup."
        )
    return version


def _entry_record(entry: ManifestEntry) -> dict[str, Any]:
    record = {"digest": entry.digest, "size": entry.size, "ref": entry.ref}
    if entry.stamp is not None:
        record["stamp"] = list(entry.stamp)  # confirmed (or dropped) when the file is durable
    return record


def _stamp(value: Any) -> tuple[int, ...] | None:
    """A manifest entry's stamp, or ``None`` (then the file is simply hashed) when it is missing or odd."""
    if isinstance(value, list) and len(value) == 4 and all(type(item) is int for item in value):
        return tuple(value)
    return None
