"""``ArtifactIO``: the worker behind both IO manager styles. It only reads and writes artifacts.

One worker exists per step process. It talks to an ``ArtifactStore`` (local or W&B) and never knows which.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from ..artifact_configuration import (
    ReadConfig,
    ReadSpec,
    WriteConfig,
    parse_read_config,
    parse_version,
    parse_write_config,
    raw_configuration,
)
from ..errors import ArtifactNotFoundError, UnsafeDeserializationError, WandbConfigurationError
from ..runs import RunOptions
from ..serialization import extra_entries, formats
from ..serialization.payload import fill_payload, split_by_partition
from ..serialization.wandb_objects import is_wandb_artifact
from ..settings import WandbSettings
from ..stores.base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion
from ..stores.files import storage_errors
from ..version import __version__
from .context import describe, safe, str_version, upstream_name
from .naming import is_valid_artifact_name, partition_name
from .run_outputs import NOT_WRITTEN_KEY, VERSION_KEY, VERSIONS_KEY, RunOutputs, recorded_entry

INTEGRATION_NAME = "dagster_wandb"


@dataclass
class ArtifactIO(dg.IOManager):
    settings: WandbSettings
    store: ArtifactStore
    options: RunOptions
    _used: list[ArtifactVersion] = field(default_factory=list)
    _run_outputs: RunOutputs = field(init=False)

    def __post_init__(self) -> None:
        self._run_outputs = RunOutputs(self.options.dagster_run_id)

    # ---------------------------------------------------------------- writing
    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        where = describe(context)
        if obj is None:
            # Checked before any validation: an op returning nothing needs no artifact name. Reads of it in
            # this run find the flag in Dagster's record of the output (run_outputs.py) and refuse.
            context.log.warning(f"{where} returned None: no W&B artifact was written.")
            self._add_output_metadata(context, {NOT_WRITTEN_KEY: False, **self._unwritten(context, where)})
            return
        config = parse_write_config(raw_configuration(context.definition_metadata, where), where)
        keys = self._partition_keys(context)
        values = split_by_partition(obj, keys, where)
        versions = {key: self._write(context, config, values[key], key, where) for key in keys}
        if keys == [None]:
            self._add_output_metadata(context, self.output_metadata(versions[None]))
        else:
            per_partition = {key: self.output_metadata_json(version) for key, version in versions.items()}
            # One partition per run (the usual case) also gets the keys an unpartitioned output has, as
            # dagster-wandb writes them: sensors and dashboards read them there.
            shared = self.output_metadata(versions[keys[0]]) if len(keys) == 1 else self.run_metadata()
            self._add_output_metadata(context, {**shared, VERSIONS_KEY: dg.MetadataValue.json(per_partition)})

    @staticmethod
    def _partition_keys(context: dg.OutputContext) -> list[str | None]:
        if context.has_asset_partitions:
            return sorted(context.asset_partition_keys)
        if not context.has_asset_key and context.has_partition_key:  # an op in a partitioned job
            return [context.partition_key]
        return [None]

    def _unwritten(self, context: dg.OutputContext, where: str) -> dict[str, Any]:
        """Metadata naming the artifacts a None output did not write (none for an op output without a name)."""
        raw = raw_configuration(context.definition_metadata, where)
        keys = self._partition_keys(context)
        if not (context.has_asset_key or isinstance(raw.get("name"), str)):
            return self.run_metadata()
        base = context.asset_key.path if context.has_asset_key else [raw["name"]]
        names = {key: partition_name(context, base, key) if context.has_asset_key or key else base[0] for key in keys}
        if keys == [None]:
            return {**self.run_metadata(), "wandb_artifact_name": names[None]}
        per_partition = {key: {"wandb_artifact_name": name} for key, name in names.items()}
        return {VERSIONS_KEY: dg.MetadataValue.json(per_partition), **self.run_metadata()}

    def _add_output_metadata(self, context: dg.OutputContext, metadata: dict[str, Any]) -> None:
        context.add_output_metadata(metadata)
        self._run_outputs.record(context, metadata)

    def _write(
        self,
        context: dg.OutputContext,
        config: WriteConfig,
        value: Any,
        partition_key: str | None,
        where: str,
    ) -> ArtifactVersion:
        artifact_id = self._output_id(context, config, value, partition_key, where)
        with storage_errors(f"artifact '{artifact_id}' ({where})", self.settings.integration_dir):
            return self._commit(context, config, value, artifact_id, partition_key, where)

    def _commit(
        self,
        context: dg.OutputContext,
        config: WriteConfig,
        value: Any,
        artifact_id: ArtifactId,
        partition_key: str | None,
        where: str,
    ) -> ArtifactVersion:
        with self.store.staging_dir() as staging:
            draft = ArtifactDraft(id=artifact_id, type=config.type or "artifact", description=config.description)
            fill_payload(draft, config, value, staging, where, context.log.warning)
            extra_entries.apply(config, staging, draft, where)  # no files at all is fine: W&B logs those too
            draft.aliases = [*config.aliases, self.options.run_alias]
            draft.metadata.update(self._integration_metadata())
            draft.lineage = {
                "dagster_run_id": self.options.dagster_run_id,
                "dagster_step_key": safe(lambda: context.step_key),
                "dagster_asset_key": context.asset_key.to_user_string() if context.has_asset_key else None,
                "dagster_partition_key": partition_key,
                "wandb_run_id": self.options.run_id,
                "used": [str_version(version) for version in self._used],
            }
            return self.store.commit(draft)

    def _output_id(
        self, context: dg.OutputContext, config: WriteConfig, value: Any, partition_key: str | None, where: str
    ) -> ArtifactId:
        own = value.name.split(":")[0] if is_wandb_artifact(value) else None  # a returned Artifact names itself
        if context.has_asset_key:
            name = partition_name(context, context.asset_key.path, partition_key)
            if config.name is not None and config.name != name:
                raise WandbConfigurationError(
                    f"{where}: name {config.name!r} is set but the asset key already names the artifact "
                    f"{name!r}; remove 'name' from wandb_artifact_configuration."
                )
            if own is not None and own != partition_name(context, context.asset_key.path, None):
                context.log.warning(f"{where}: the returned wandb.Artifact is named {own!r}; it is stored as {name!r}.")
        else:
            if own is not None and config.name is not None and config.name != own:
                raise WandbConfigurationError(
                    f"{where}: name {config.name!r} is set but the returned wandb.Artifact is named {own!r}; "
                    "remove 'name' from wandb_artifact_configuration (the Artifact names itself), or rename one."
                )
            base = config.name or own
            if base is None:
                raise WandbConfigurationError(
                    f"{where}: an op output needs a 'name' in wandb_artifact_configuration, "
                    "e.g. Out(metadata={'wandb_artifact_configuration': {'name': 'my_dataset'}}), "
                    "or must return a wandb.Artifact (which carries its name)."
                )
            name = base if partition_key is None else partition_name(context, [base], partition_key)
        if not is_valid_artifact_name(name):
            raise WandbConfigurationError(
                f"{where}: artifact name {name!r} is not valid for W&B; use letters, digits, '-', '_' and '.'."
            )
        return ArtifactId(self.settings.entity, self.settings.project, name)

    def _integration_metadata(self) -> dict[str, Any]:
        return {
            "source_integration": INTEGRATION_NAME,
            "source_integration_version": __version__,
            "source_dagster_run_id": self.options.dagster_run_id,
            "source_created_at": datetime.now(UTC).isoformat(),
            "source_python_version": platform.python_version(),
        }

    def run_metadata(self) -> dict[str, Any]:
        s, o = self.settings, self.options
        return {
            "dagster_run_id": o.dagster_run_id,
            "wandb_entity": s.entity,
            "wandb_project": s.project,
            "wandb_run_id": o.run_id,
            "wandb_run_name": o.run_name,
            "wandb_run_path": f"{s.entity}/{s.project}/{o.run_id}",
            "wandb_mode": s.mode,
        }

    def output_metadata_json(self, version: ArtifactVersion) -> dict[str, Any]:
        return {
            "wandb_artifact_name": version.id.name,
            "wandb_artifact_type": version.type,
            "wandb_artifact_version": version.version_tag,
            "wandb_artifact_size": version.size,
            "wandb_artifact_digest": version.digest,
            "wandb_artifact_aliases": list(version.aliases),
            **self.store.location(version),
        }

    def output_metadata(self, version: ArtifactVersion) -> dict[str, Any]:
        values: dict[str, Any] = {**self.run_metadata(), **self.output_metadata_json(version)}
        values["wandb_artifact_aliases"] = ", ".join(version.aliases)
        values["dagster/size_bytes"] = version.size  # the UI shows it with units ("Storage: 11 KB")
        for key, value in list(values.items()):
            if key.endswith("_url"):
                values[key] = dg.MetadataValue.url(value)
            elif key == "wandb_artifact_path":
                values[key] = dg.MetadataValue.path(value)
        return values

    # ---------------------------------------------------------------- reading
    def load_input(self, context: dg.InputContext) -> Any:
        where = describe(context)
        config = parse_read_config(raw_configuration(context.definition_metadata, where), where)
        if context.has_asset_partitions:
            _check_partition_keys(context, config, where)
            # Always a dict, even when a partition mapping selects a single upstream partition.
            return {
                key: self._read(context, config, config.for_partition(key), key, where)
                for key in context.asset_partition_keys
            }
        # An op input in a partitioned job reads what the op upstream wrote for this run's partition.
        op_partition = context.partition_key if not context.has_asset_key and context.has_partition_key else None
        if config.partitions and op_partition is None:
            raise WandbConfigurationError(
                f"{where}: 'partitions' is set in its wandb_artifact_configuration, but this input reads no "
                "partitions (its upstream is not partitioned); remove 'partitions', or move its settings to the "
                "top level of the configuration."
            )
        return self._read(context, config, config.spec, op_partition, where)

    def _read(
        self,
        context: dg.InputContext,
        config: ReadConfig,
        spec: ReadSpec,
        partition_key: str | None,
        where: str,
    ) -> Any:
        artifact_id = self._input_id(context, config, partition_key, where)
        version = self._resolve(context, artifact_id, spec, partition_key, where)
        self._used.append(version)
        if spec.get is not None:
            found = self.store.open(version).get(spec.get)
            if found is None:  # wandb.Artifact.get returns None rather than raising
                inherited = (
                    f' (the "get" of partitions["*"]: give partition {partition_key!r} its own "get", or '
                    '"get": None to read the whole artifact)'
                    if "get" in config.from_defaults(partition_key)
                    else ""
                )
                entries = sorted(version.entries)
                objects = sorted({p.rsplit(".", 2)[0] for p in entries if p.endswith(".json") and p.count(".") >= 2})
                raise ArtifactNotFoundError(
                    f"{where}: {version.id}:{version.version_tag} has no W&B object named {spec.get!r}{inherited}; "
                    f"objects: {', '.join(objects) or '(none)'}; entries: {', '.join(entries) or '(none)'}."
                )
            return found
        if spec.get_path is not None:
            return str(self.store.checkout(version, spec.get_path))
        fmt = formats.format_of(version.metadata, version.entries)
        if fmt is not None:
            self._check_trusted(version, fmt, where)
            path = self.store.local_path(version, fmt.entry)
            with storage_errors(f"{version.id}:{version.version_tag} for {where}", path, action="read"):
                return formats.load(path, fmt)
        return self.store.open(version)  # also when it holds a W&B object: read that with get, as upstream

    def _input_id(
        self, context: dg.InputContext, config: ReadConfig, partition_key: str | None, where: str
    ) -> ArtifactId:
        name = config.name or upstream_name(context)
        if name is not None:
            parts = name.split("/")
            if len(parts) > 3 or not all(parts):
                raise WandbConfigurationError(
                    f"{where}: name {name!r} is not 'name', 'project/name' or 'entity/project/name'."
                )
            entity, project = self.settings.entity, self.settings.project
            if len(parts) == 3:
                entity, project = parts[0], parts[1]
            elif len(parts) == 2:
                project = parts[0]
            base = parts[-1]
            name = base if partition_key is None else partition_name(context, [base], partition_key)
            return ArtifactId(entity, project, name)
        # An asset input has the key; Dagster's own reloads (``output_for_node``) only give the upstream's.
        upstream = safe(lambda: context.upstream_output)
        asset_key = (
            context.asset_key
            if context.has_asset_key
            else (upstream.asset_key if upstream is not None and upstream.has_asset_key else None)
        )
        if asset_key is not None:
            name = partition_name(context, asset_key.path, partition_key)
            return ArtifactId(self.settings.entity, self.settings.project, name)
        raise WandbConfigurationError(
            f"{where}: an op input needs a 'name' in wandb_artifact_configuration (the artifact to read), "
            "e.g. In(metadata={'wandb_artifact_configuration': {'name': 'my_dataset'}})."
        )

    def _resolve(
        self, context: dg.InputContext, artifact_id: ArtifactId, spec: ReadSpec, partition_key: str | None, where: str
    ) -> ArtifactVersion:
        if spec.version is not None or spec.alias is not None:
            return self.store.resolve(artifact_id, version=spec.version, alias=spec.alias)
        # Default: the version the upstream step wrote in this Dagster run, else latest; never an older
        # version when the upstream returned None in this run.
        recorded = self._run_outputs.upstream(context)
        entry = recorded_entry(recorded, artifact_id, partition_key) if recorded is not None else None
        if entry is not None and recorded.get(NOT_WRITTEN_KEY) is False:
            raise ArtifactNotFoundError(
                f"{where}: upstream returned None in this run, so no artifact {artifact_id} was written; "
                "return a value upstream, or read an older version with 'version' or 'alias'."
            )
        tag = entry.get(VERSION_KEY) if entry is not None else None
        if not tag:
            return self.store.resolve(artifact_id)
        return self.store.resolve(artifact_id, version=parse_version(tag, where))

    def _check_trusted(self, version: ArtifactVersion, fmt: formats.Format, where: str) -> None:
        own = (version.id.entity, version.id.project) == (self.settings.entity, self.settings.project)
        if fmt.runs_code_on_load and not own and not self.options.unpickle_from_other_projects:
            raise UnsafeDeserializationError(
                f"{where}: {version.id}:{version.version_tag} comes from {version.id.entity}/{version.id.project}, "
                f"not {self.settings.entity}/{self.settings.project}; unpickling its {fmt.entry} could run "
                "code. Read it with get_path, or set unpickle_from_other_projects=True on the IO manager if you "
                "trust that project."
            )

    def close(self, failed: Callable[[], bool] = lambda: False) -> None:
        self.store.close(failed)


def _check_partition_keys(context: dg.InputContext, config: ReadConfig, where: str) -> None:
    """Every key configured under ``partitions`` (but ``"*"``) must be a partition of the upstream: a typo
    would otherwise be ignored without a word."""
    partitions_def = context.asset_partitions_def
    for key in config.partitions:
        if key == "*":
            continue
        try:
            known = partitions_def.has_partition_key(key)
        except Exception:
            continue
        if not known:
            keys = list(context.asset_partition_keys)
            raise WandbConfigurationError(
                f"{where}: partitions[{key!r}] in its wandb_artifact_configuration is not a partition of "
                f"{context.asset_key.to_user_string()} (this run reads {', '.join(keys[:5])}"
                f"{', …' if len(keys) > 5 else ''}); correct the key, or use '*' for every partition."
            )
