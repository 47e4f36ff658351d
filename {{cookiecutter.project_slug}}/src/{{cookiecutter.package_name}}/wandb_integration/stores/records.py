"""The local store's JSON records: ``index.json`` (versions and aliases of a name) and ``manifest.json``
(one immutable version). Built and parsed here; damage is an ``ArtifactIntegrityError`` naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ArtifactIntegrityError, WandbConfigurationError
from .base import ArtifactId, ArtifactVersion, ManifestEntry
from .digests import artifact_digest

FORMAT = 1


def empty_index(artifact: ArtifactId) -> dict[str, Any]:
    return {"format": FORMAT, "artifact": str(artifact), "type": None, "versions": [], "aliases": {}}


def check_index(index: dict[str, Any], path: Path, artifact: ArtifactId) -> dict[str, Any]:
    """``index`` if its versions are numbered 0..n-1 and every alias points at one of them."""
    try:
        count = len(index["versions"])
        valid = all(v["version"] == n for n, v in enumerate(index["versions"])) and all(
            isinstance(n, int) and 0 <= n < count for n in index["aliases"].values()
        )
    except (KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise ArtifactIntegrityError(
            f"index {path} of artifact '{artifact}' is malformed; restore it from a backup, or delete "
            f"{path.parent} to drop this artifact."
        )
    return index


def new_manifest(
    type_: str,
    entries: Mapping[str, ManifestEntry],
    description: str | None,
    metadata: Any,
    lineage: Any,
    artifact: ArtifactId,
) -> dict[str, Any]:
    record = {
        "format": FORMAT,
        "type": type_,
        "digest": artifact_digest((e.path, e.digest) for e in entries.values()),
        "description": description,
        "created_at": datetime.now(UTC).isoformat(),
        "entries": {p: {"digest": e.digest, "size": e.size, "ref": e.ref} for p, e in sorted(entries.items())},
    }
    for key, value in (("metadata", metadata), ("lineage", lineage)):
        try:  # a round trip both checks and detaches the caller's dict
            record[key] = json.loads(json.dumps(dict(value or {})))
        except (TypeError, ValueError) as exc:
            raise WandbConfigurationError(
                f"{key} of artifact '{artifact}' is not JSON-serializable ({exc}); use strings, numbers, "
                "booleans, None, lists and dicts."
            ) from exc
    return record


def version_from(
    artifact: ArtifactId, number: int, index: Mapping[str, Any], record: Mapping[str, Any], folder: Path
) -> ArtifactVersion:
    """The ``ArtifactVersion`` for manifest ``record``, with the aliases ``index`` gives it now."""
    named = sorted(a for a, n in index["aliases"].items() if n == number and a != "latest")
    try:
        return ArtifactVersion(
            id=artifact,
            version=number,
            type=record["type"],
            digest=record["digest"],
            entries={p: ManifestEntry(p, e["digest"], e["size"], e.get("ref")) for p, e in record["entries"].items()},
            aliases=(("latest",) if index["aliases"].get("latest") == number else ()) + tuple(named),
            description=record.get("description"),
            metadata=record.get("metadata") or {},
            lineage=record.get("lineage") or {},
            created_at=record.get("created_at", ""),
            handle=folder,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ArtifactIntegrityError(
            f"manifest in {folder} of artifact '{artifact}:v{number}' is malformed ({exc!r}); restore it from a backup."
        ) from exc
