"""Artifact names from Dagster asset keys and partition keys.

W&B allows letters, digits, ``-``, ``_`` and ``.`` in artifact names (at most 128 characters). The rule:

- the asset key path is joined with ``__`` (``["ml", "model"]`` → ``ml__model``), so prefixed keys keep
  every component;
- a partition key follows after a ``.`` (``daily_sales.2024-01-02``);
- when that plain form is ambiguous or not allowed (a character W&B rejects such as ``|``, ``:``, ``/`` or a
  space; a component that holds ``__``, ``.`` or starts/ends with ``_``; over 128 characters), every
  rejected character becomes ``-`` and ``-`` plus 10 hex digits of a hash of the exact key is appended
  (``hourly.2024-01-02-05-00-1a2b3c4d5e``).

Plain names map back to exactly one key, and hashed names differ whenever the keys differ, so two assets
or partitions never share an artifact.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

MAX_NAME_LENGTH = 128
_HASH_LENGTH = 10
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]+$")
_REJECTED = re.compile(r"[^A-Za-z0-9_.-]")


def _plain_component(component: str) -> bool:
    return (
        bool(_ALLOWED.match(component))
        and "__" not in component
        and not (component.startswith("_") or component.endswith("_"))
    )


def artifact_name(asset_path: Sequence[str], partition_key: str | None = None) -> str:
    """The artifact name for an asset key path and, for partitioned outputs, one partition key."""
    plain = "__".join(asset_path)
    if partition_key is not None:
        plain = f"{plain}.{partition_key}"
    is_plain = all(_plain_component(part) for part in asset_path) and (
        partition_key is None or bool(_ALLOWED.match(partition_key))
    )
    if is_plain and len(plain) <= MAX_NAME_LENGTH:
        return plain
    exact = json.dumps([list(asset_path), partition_key])
    suffix = hashlib.sha1(exact.encode(), usedforsecurity=False).hexdigest()[:_HASH_LENGTH]
    readable = _REJECTED.sub("-", plain)[: MAX_NAME_LENGTH - _HASH_LENGTH - 1]
    return f"{readable}-{suffix}"


def is_valid_artifact_name(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME_LENGTH and not _REJECTED.search(name)
