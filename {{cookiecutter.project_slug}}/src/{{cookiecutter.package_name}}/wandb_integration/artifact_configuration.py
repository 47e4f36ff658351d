"""The ``wandb_artifact_configuration`` metadata dict: its typed shape, and parsing with clear errors.

Outputs (``@asset(metadata=…)``, ``Out(metadata=…)``, ``AssetOut(metadata=…)``) and inputs
(``AssetIn(metadata=…)``, ``In(metadata=…)``) carry the same key. Parsing happens once per context and
turns the raw dict into frozen values the IO manager uses; every problem raises
``WandbConfigurationError`` naming the key, the value and where it came from.
"""

from __future__ import annotations

import difflib
import pickle
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from .errors import WandbConfigurationError

CONFIG_KEY = "wandb_artifact_configuration"
# An older spelling that appears in the W&B docs; accepted with a deprecation warning.
LEGACY_CONFIG_KEY = "wandb_artifact_arguments"

SERIALIZATION_MODULES = ("pickle", "dill", "cloudpickle", "joblib")
_VERSION_RE = re.compile(r"^v?(\d+)$")


class SerializationModule(TypedDict, total=False):
    """``{"name": "joblib", "parameters": {"compress": 3}}``: module and keyword arguments for ``dump``."""

    name: str
    parameters: dict[str, Any]


class WandbArtifactConfiguration(TypedDict, total=False):
    """Every key ``wandb_artifact_configuration`` accepts; writers use the first group, readers the second."""

    # Writing
    name: str
    type: str
    description: str
    aliases: list[str]
    add_dirs: list[dict[str, Any]]
    add_files: list[dict[str, Any]]
    add_references: list[dict[str, Any]]
    serialization_module: SerializationModule
    # Reading
    version: str
    alias: str
    get: str
    get_path: str
    partitions: dict[str, dict[str, Any]]


WRITE_KEYS = frozenset(
    {
        "name",
        "type",
        "description",
        "aliases",
        "add_dirs",
        "add_files",
        "add_references",
        "serialization_module",
    }
)
READ_SPEC_KEYS = frozenset({"version", "alias", "get", "get_path"})
READ_KEYS = READ_SPEC_KEYS | {"name", "partitions"}


@dataclass(frozen=True)
class WriteConfig:
    name: str | None = None
    type: str | None = None
    description: str | None = None
    aliases: tuple[str, ...] = ()
    add_files: tuple[dict[str, Any], ...] = ()
    add_dirs: tuple[dict[str, Any], ...] = ()
    add_references: tuple[dict[str, Any], ...] = ()
    serialization_module: str | None = None
    serialization_parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadSpec:
    """What to read from one artifact: which version (number or alias) and which part."""

    version: int | None = None
    alias: str | None = None
    get: str | None = None
    get_path: str | None = None


@dataclass(frozen=True)
class ReadConfig:
    name: str | None = None
    spec: ReadSpec = ReadSpec()
    # Per partition key; "*" holds the defaults that explicit keys extend.
    partitions: Mapping[str, ReadSpec] = field(default_factory=dict)
    # Per partition key, the settings it took from "*" (so an error can say where a value came from); for
    # "*" itself, all it sets, which is what a key without settings of its own reads with.
    defaulted: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def for_partition(self, partition_key: str) -> ReadSpec:
        return self.partitions.get(partition_key) or self.partitions.get("*") or self.spec

    def from_defaults(self, partition_key: str | None) -> frozenset[str]:
        """The settings of ``partition_key``'s read that the ``"*"`` entry supplied."""
        if partition_key is None:
            return frozenset()
        return self.defaulted.get(partition_key if partition_key in self.partitions else "*", frozenset())


def raw_configuration(metadata: Mapping[str, Any] | None, where: str) -> dict[str, Any]:
    """The configuration dict from output or input metadata (empty when absent)."""
    metadata = metadata or {}
    if CONFIG_KEY in metadata and LEGACY_CONFIG_KEY in metadata:
        raise WandbConfigurationError(
            f"{where} sets both {CONFIG_KEY!r} and {LEGACY_CONFIG_KEY!r}; keep only {CONFIG_KEY!r}."
        )
    if LEGACY_CONFIG_KEY in metadata:
        warnings.warn(
            f"{where}: metadata key {LEGACY_CONFIG_KEY!r} is deprecated; rename it to {CONFIG_KEY!r}.",
            DeprecationWarning,
            stacklevel=2,
        )
        raw = metadata[LEGACY_CONFIG_KEY]
    else:
        if CONFIG_KEY not in metadata:
            _refuse_near_misses(metadata, where)
        raw = metadata.get(CONFIG_KEY, {})
    if not isinstance(raw, Mapping):
        raise WandbConfigurationError(f"{where}: {CONFIG_KEY} must be a dict, got {type(raw).__name__} {raw!r}.")
    return dict(raw)


def _refuse_near_misses(metadata: Mapping[str, Any], where: str) -> None:
    """A misspelled configuration key would be ignored: the artifact written with the defaults (type
    ``artifact``, no aliases), found out only when the spelling is fixed and the type then clashes."""
    # Spelled in another case or with spaces, or a few letters off; never a longer key of the user's own
    # that starts with the real one (wandb_artifact_configuration_notes).
    keys = [
        key
        for key in metadata
        if isinstance(key, str) and _normal(key).startswith("wandb") and not _normal(key).startswith(f"{CONFIG_KEY}_")
    ]
    near = [key for key in keys if _normal(key) == CONFIG_KEY]
    near = near or (difflib.get_close_matches(CONFIG_KEY, keys, n=1, cutoff=0.85) if keys else [])
    if near:
        raise WandbConfigurationError(
            f"{where}: metadata key {near[0]!r} is not one the W&B IO manager reads; did you mean {CONFIG_KEY!r}? "
            "Rename it (as written, its settings would be ignored)."
        )


def _normal(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def _reject_unknown(raw: Mapping[str, Any], allowed: frozenset[str], where: str, role: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise WandbConfigurationError(
            f"{where}: unknown {CONFIG_KEY} key(s) {', '.join(map(repr, unknown))} for {role}; "
            f"allowed keys are {', '.join(sorted(allowed))}."
        )


def _optional_str(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise WandbConfigurationError(f"{where}: {key} must be a non-empty string, got {value!r}.")
    return value


def _kwargs_list(raw: Mapping[str, Any], key: str, where: str) -> tuple[dict[str, Any], ...]:
    value = raw.get(key, [])
    if not isinstance(value, list | tuple) or not all(isinstance(item, Mapping) for item in value):
        raise WandbConfigurationError(
            f"{where}: {key} must be a list of keyword dicts, e.g. "
            + "[{'local_path': 'data.csv'}]"
            + f", got {value!r}."
        )
    return tuple(dict(item) for item in value)


def parse_version(value: Any, where: str) -> int:
    match = _VERSION_RE.match(str(value)) if isinstance(value, str | int) and not isinstance(value, bool) else None
    if match is None:
        raise WandbConfigurationError(
            f"{where}: version {value!r} is not an artifact version; use 'v0', 'v1', … (or the number)."
        )
    return int(match.group(1))


def parse_write_config(raw: Mapping[str, Any], where: str) -> WriteConfig:
    _reject_unknown(raw, WRITE_KEYS, where, "an output")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list | tuple) or not all(isinstance(a, str) and a for a in aliases):
        raise WandbConfigurationError(f"{where}: aliases must be a list of non-empty strings, got {aliases!r}.")
    module, parameters = None, {}
    if "serialization_module" in raw:
        module, parameters = _parse_serialization(raw["serialization_module"], where)
    return WriteConfig(
        name=_optional_str(raw, "name", where),
        type=_optional_str(raw, "type", where),
        description=_optional_str(raw, "description", where),
        aliases=tuple(aliases),
        add_files=_kwargs_list(raw, "add_files", where),
        add_dirs=_kwargs_list(raw, "add_dirs", where),
        add_references=_kwargs_list(raw, "add_references", where),
        serialization_module=module,
        serialization_parameters=parameters,
    )


def _parse_serialization(value: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(value, Mapping) or set(value) - {"name", "parameters"}:
        raise WandbConfigurationError(
            f"{where}: serialization_module must be " + "{'name': ..., 'parameters': {...}}" + f", got {value!r}."
        )
    name = value.get("name")
    if name not in SERIALIZATION_MODULES:
        # The usual wrong guess: Parquet is what a DataFrame gets already, with options chosen by measurement.
        parquet = (
            " DataFrames are written as Parquet without it; remove serialization_module." if name == "parquet" else ""
        )
        raise WandbConfigurationError(
            f"{where}: serialization_module name {name!r} is not supported; "
            f"use one of {', '.join(SERIALIZATION_MODULES)}.{parquet}"
        )
    parameters = value.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise WandbConfigurationError(
            f"{where}: serialization_module parameters must be a dict of keyword arguments, got {parameters!r}."
        )
    if "protocol" in parameters:
        protocol = parameters["protocol"]
        if isinstance(protocol, bool) or not isinstance(protocol, int) or not 0 <= protocol <= pickle.HIGHEST_PROTOCOL:
            raise WandbConfigurationError(
                f"{where}: serialization_module {name!r} parameter protocol {protocol!r} is not a pickle protocol; "
                f"use 0 to {pickle.HIGHEST_PROTOCOL} (the default is {pickle.HIGHEST_PROTOCOL}), or leave it out."
            )
    return name, dict(parameters)


def _parse_read_spec(raw: Mapping[str, Any], where: str) -> ReadSpec:
    if raw.get("version") is not None and raw.get("alias") is not None:
        raise WandbConfigurationError(
            f"{where}: version {raw['version']!r} and alias {raw['alias']!r} are both set; pick one."
        )
    if raw.get("get") is not None and raw.get("get_path") is not None:
        raise WandbConfigurationError(
            f"{where}: get {raw['get']!r} and get_path {raw['get_path']!r} are both set; pick one."
        )
    return ReadSpec(
        version=parse_version(raw["version"], where) if raw.get("version") is not None else None,
        alias=_optional_str(raw, "alias", where),
        get=_optional_str(raw, "get", where),
        get_path=_optional_str(raw, "get_path", where),
    )


# Keys that exclude each other: an explicit choice of one drops the "*" default of the other.
_EXCLUSIVE = (("version", "alias"), ("get", "get_path"))


def _extend(defaults: Mapping[str, Any], explicit: Mapping[str, Any]) -> dict[str, Any]:
    """Explicit partition settings extend the ``"*"`` defaults rather than replacing them."""
    merged = dict(defaults)
    for pair in _EXCLUSIVE:
        if any(explicit.get(key) is not None for key in pair):
            for key in pair:
                merged.pop(key, None)
    merged.update(explicit)
    return merged


def parse_read_config(raw: Mapping[str, Any], where: str) -> ReadConfig:
    _reject_unknown(raw, READ_KEYS, where, "an input")
    partitions_raw = raw.get("partitions", {})
    if not isinstance(partitions_raw, Mapping):
        raise WandbConfigurationError(
            f"{where}: partitions must map partition keys to read settings, got {partitions_raw!r}."
        )
    defaults = partitions_raw.get("*", {})
    partitions: dict[str, ReadSpec] = {}
    defaulted: dict[str, frozenset[str]] = {}
    for key, value in partitions_raw.items():
        if not isinstance(value, Mapping):
            raise WandbConfigurationError(
                f"{where}: partitions[{key!r}] must be a dict of {', '.join(sorted(READ_SPEC_KEYS))}, got {value!r}."
            )
        _reject_unknown(value, READ_SPEC_KEYS, f"{where} partitions[{key!r}]", "a partition")
        merged = dict(value) if key == "*" else _extend(defaults, value)
        partitions[key] = _parse_read_spec(merged, f"{where} partitions[{key!r}]")
        defaulted[key] = frozenset(k for k, v in merged.items() if (key == "*" or k not in value) and v is not None)
    return ReadConfig(
        name=_optional_str(raw, "name", where),
        spec=_parse_read_spec(raw, where),
        partitions=partitions,
        defaulted=defaulted,
    )
