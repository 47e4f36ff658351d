"""Artifact names from Dagster asset keys and partition keys.

W&B allows letters, digits, ``-``, ``_`` and ``.`` in artifact names (at most 128 characters). The rule:

- the asset key path is joined with ``__`` (``["ml", "model"]`` → ``ml__model``), so prefixed keys keep
  every component (dagster-wandb names them after the first component only, so two prefixed assets
  shared one artifact);
- a partition key follows after a ``.`` (``daily_sales.2024-01-02``); a multi-partition key has its ``|``
  replaced by ``-``, as dagster-wandb does (``m.red-2023-01-02``), when at most one dimension can hold a
  ``-`` (otherwise two keys could end up with one name);
- when that plain form is ambiguous or not allowed (a character W&B rejects such as ``:``, ``/`` or a
  space; a component that holds ``__``, ``.`` or starts/ends with ``_``; over 128 characters; or a name
  that ends like a hashed one, ``-`` and 10 hex digits), every rejected character (and a leading ``.``)
  becomes ``-`` and ``-`` plus 10 hex digits of a hash of the exact key is appended
  (``hourly.2024-01-02-05-00-1a2b3c4d5e``).

Plain names never end like hashed ones and map back to exactly one key; hashed names differ whenever the
keys differ. So two assets or partitions never share an artifact.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import dagster as dg

MAX_NAME_LENGTH = 128
_HASH_LENGTH = 10
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]+$")
_REJECTED = re.compile(r"[^A-Za-z0-9_.-]")
_LOOKS_HASHED = re.compile(r"-[0-9a-f]+$")  # checked with the length below: a hash suffix


def _plain_component(component: str) -> bool:
    return (
        bool(_ALLOWED.match(component))
        and "__" not in component
        and not (component.startswith("_") or component.endswith("_"))
    )


def artifact_name(asset_path: Sequence[str], partition_key: str | None = None, *, join_dimensions: bool = False) -> str:
    """The artifact name for an asset key path and, for partitioned outputs, one partition key.

    ``join_dimensions``: ``partition_key`` is a key of a multi-partitions definition whose dimensions join
    unambiguously with ``-`` (``dimensions_join_cleanly``).
    """
    key = partition_key
    if key is not None and join_dimensions:
        key = key.replace("|", "-")
    plain = "__".join(asset_path) if key is None else f"{'__'.join(asset_path)}.{key}"
    is_plain = (
        all(_plain_component(part) for part in asset_path)
        and (key is None or bool(_ALLOWED.match(key)))
        and len(plain) <= MAX_NAME_LENGTH
        and not _looks_hashed(plain)
    )
    if is_plain:
        return plain
    exact = json.dumps([list(asset_path), partition_key])
    suffix = hashlib.sha1(exact.encode(), usedforsecurity=False).hexdigest()[:_HASH_LENGTH]
    readable = _REJECTED.sub("-", plain)[: MAX_NAME_LENGTH - _HASH_LENGTH - 1]
    if readable.startswith("."):  # a key like ".hidden": a leading dot is no name the store (or W&B) keeps
        readable = "-" + readable[1:]
    return f"{readable}-{suffix}"


def _looks_hashed(name: str) -> bool:
    match = _LOOKS_HASHED.search(name)
    return match is not None and len(match.group()) == _HASH_LENGTH + 1


def dimensions_join_cleanly(partitions_def: Any) -> bool:
    """Whether a multi-partitions definition's keys stay distinct with ``|`` replaced by ``-``: true when at
    most one dimension can have a ``-`` in its keys (static keys are looked at; time windows by their
    format; dynamic keys can hold anything)."""
    dimensions = getattr(partitions_def, "partitions_defs", None)
    if not dimensions:
        return False
    dashed = 0
    for dimension in dimensions:
        definition = dimension.partitions_def
        if hasattr(definition, "fmt"):  # a time window definition: its keys are formatted times
            dashed += "-" in definition.fmt
        elif isinstance(definition, dg.StaticPartitionsDefinition):
            dashed += any("-" in key for key in definition.get_partition_keys())
        else:
            dashed += 1
    return dashed <= 1


def partition_name(context: Any, path: Sequence[str], partition_key: str | None) -> str:
    """``artifact_name`` for the asset or op output/input ``context`` is about (its partitions definition
    decides whether multi-partition keys join with ``-``)."""
    if partition_key is None:
        return artifact_name(path)
    try:
        join = dimensions_join_cleanly(context.asset_partitions_def)
    except (dg.DagsterInvariantViolationError, AttributeError, KeyError):  # an op: no partitions definition
        join = False
    return artifact_name(path, partition_key, join_dimensions=join)


def is_valid_artifact_name(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME_LENGTH and not _REJECTED.search(name)
