"""``ArtifactIO``: the worker behind both IO manager styles. It only reads and writes artifacts.

One worker exists per step process. It talks to an ``ArtifactStore`` (local or W&B) and never knows which.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from ..artifact_configuration import (
    ReadConfig,
    ReadSpec,
    WriteConfig,
    parse_read_config,
    parse_write_config,
    raw_configuration,
)
from ..errors import ArtifactNotFoundError, UnsafeDeserializationError, WandbConfigurationError
from ..runs import RunOptions
from ..serialization import extra_entries, formats
from ..serialization.payload import WANDB_OBJECT_KEY, fill_payload, split_by_partition
from ..settings import WandbSettings
from ..stores.base import ArtifactDraft, ArtifactId, ArtifactStore, ArtifactVersion
from .context import describe, safe, str_version, upstream_name
from .naming import artifact_name, is_valid_artifact_name

INTEGRATION_NAME = "dagster_wandb"
INTEGRATION_VERSION = "0.1.0"
NOT_WRITTEN_KEY = "wandb_artifact_written"


@dataclass
class ArtifactIO(dg.IOManager):
    settings: WandbSettings
    store: ArtifactStore
    options: RunOptions
    _used: list[ArtifactVersion] = field(default_factory=list)

    # ---------------------------------------------------------------- writing
    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        where = describe(context)
        if obj is None:
            # Checked before any validation: an op returning nothing needs no artifact name.
            context.log.warning(f"{where} returned None: no W&B artifact was written.")
            context.add_output_metadata({NOT_WRITTEN_KEY: False})
            for artifact_id in self._none_output_ids(context):
                marker = self._unwritten_marker(artifact_id)
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()
            return
        config = parse_write_config(raw_configuration(context.definition_metadata, where), where)
        keys = sorted(context.asset_partition_keys) if context.has_asset_partitions else [None]
        values = split_by_partition(obj, keys, where)
        versions = {key: self._write(context, config, values[key], key, where) for key in keys}
        if keys == [None]:
            context.add_output_metadata(self.output_metadata(versions[None]))
        else:
            context.add_output_metadata(
                {
                    "wandb_artifact_versions": dg.MetadataValue.json(
                        {key: self.output_metadata_json(version) for key, version in versions.items()}
                    ),
                    **self.run_metadata(),
                }
            )

    def _write(
        self,
        context: dg.OutputContext,
        config: WriteConfig,
        value: Any,
        partition_key: str | None,
        where: str,
    ) -> ArtifactVersion:
        artifact_id = self._output_id(context, config, partition_key, where)
        with self.store.staging_dir() as staging:
            draft = ArtifactDraft(id=artifact_id, type=config.type or "artifact", description=config.description)
            fill_payload(draft, config, value, staging, where, context.log.warning)
            extra_entries.apply(config, staging, draft.files, draft.references, where)
            if not draft.files and not draft.references:
                raise WandbConfigurationError(f"{where}: the artifact {artifact_id} would hold no files; add some.")
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
            version = self.store.commit(draft)
        # A retried step may have returned None before; this run has the artifact now.
        self._unwritten_marker(artifact_id).unlink(missing_ok=True)
        return version

    def _output_id(
        self, context: dg.OutputContext, config: WriteConfig, partition_key: str | None, where: str
    ) -> ArtifactId:
        if context.has_asset_key:
            name = artifact_name(context.asset_key.path, partition_key)
            if config.name is not None and config.name != name:
                raise WandbConfigurationError(
                    f"{where}: name {config.name!r} is set but the asset key already names the artifact "
                    f"{name!r}; remove 'name' from wandb_artifact_configuration."
                )
        elif config.name is None:
            raise WandbConfigurationError(
                f"{where}: an op output needs a 'name' in wandb_artifact_configuration, "
                "e.g. Out(metadata={'wandb_artifact_configuration': {'name': 'my_dataset'}})."
            )
        else:
            name = config.name if partition_key is None else artifact_name([config.name], partition_key)
        if not is_valid_artifact_name(name):
            raise WandbConfigurationError(
                f"{where}: artifact name {name!r} is not valid for W&B; use letters, digits, '-', '_' and '.'."
            )
        return ArtifactId(self.settings.entity, self.settings.project, name)

    def _integration_metadata(self) -> dict[str, Any]:
        return {
            "source_integration": INTEGRATION_NAME,
            "source_integration_version": INTEGRATION_VERSION,
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
            # Always a dict, even when a partition mapping selects a single upstream partition.
            return {
                key: self._read(context, config, config.for_partition(key), key, where)
                for key in context.asset_partition_keys
            }
        return self._read(context, config, config.spec, None, where)

    def _read(
        self,
        context: dg.InputContext,
        config: ReadConfig,
        spec: ReadSpec,
        partition_key: str | None,
        where: str,
    ) -> Any:
        artifact_id = self._input_id(context, config, partition_key, where)
        version = self._resolve(artifact_id, spec, where)
        self._used.append(version)
        if spec.get is not None:
            found = self.store.open(version).get(spec.get)
            if found is None:  # wandb.Artifact.get returns None rather than raising
                raise ArtifactNotFoundError(
                    f"{where}: {version.id}:{version.version_tag} has no W&B object named {spec.get!r}; "
                    f"entries: {', '.join(sorted(version.entries)) or '(none)'}."
                )
            return found
        if spec.get_path is not None:
            return str(self.store.local_path(version, spec.get_path))
        record = formats.record_of(version.metadata)
        if record is not None:
            self._check_trusted(version, record, where)
            return formats.load(self.store.local_path(version, record["entry"]), record)
        artifact = self.store.open(version)
        wandb_object = version.metadata.get(WANDB_OBJECT_KEY)
        return artifact.get(wandb_object) if isinstance(wandb_object, str) else artifact

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
            return ArtifactId(entity, project, base if partition_key is None else artifact_name([base], partition_key))
        # An asset input has the key; Dagster's own reloads (``output_for_node``) only give the upstream's.
        upstream = safe(lambda: context.upstream_output)
        asset_key = (
            context.asset_key
            if context.has_asset_key
            else (upstream.asset_key if upstream is not None and upstream.has_asset_key else None)
        )
        if asset_key is not None:
            return ArtifactId(self.settings.entity, self.settings.project, artifact_name(asset_key.path, partition_key))
        raise WandbConfigurationError(
            f"{where}: an op input needs a 'name' in wandb_artifact_configuration (the artifact to read), "
            "e.g. In(metadata={'wandb_artifact_configuration': {'name': 'my_dataset'}})."
        )

    def _resolve(self, artifact_id: ArtifactId, spec: ReadSpec, where: str) -> ArtifactVersion:
        if spec.version is not None or spec.alias is not None:
            return self.store.resolve(artifact_id, version=spec.version, alias=spec.alias)
        # Default: the version an upstream step wrote in this Dagster run, else latest; never an older
        # version when upstream returned None in this run.
        if self._unwritten_marker(artifact_id).exists():
            raise ArtifactNotFoundError(
                f"{where}: upstream returned None in this run, so no artifact {artifact_id} was written; "
                "return a value upstream, or read an older version with 'version' or 'alias'."
            )
        try:
            ours = self.store.resolve(artifact_id, alias=self.options.run_alias)
        except ArtifactNotFoundError:
            return self.store.resolve(artifact_id)
        if ours.lineage.get("dagster_run_id") == self.options.dagster_run_id:
            return ours
        return self.store.resolve(artifact_id)

    def _none_output_ids(self, context: dg.OutputContext) -> list[ArtifactId]:
        """The artifacts a None output would have written (none for an op output without a name)."""
        raw = raw_configuration(context.definition_metadata, describe(context))
        keys = sorted(context.asset_partition_keys) if context.has_asset_partitions else [None]
        if context.has_asset_key:
            names = [artifact_name(context.asset_key.path, key) for key in keys]
        elif isinstance(raw.get("name"), str):
            names = [raw["name"] if key is None else artifact_name([raw["name"]], key) for key in keys]
        else:
            names = []
        return [ArtifactId(self.settings.entity, self.settings.project, name) for name in names]

    def _unwritten_marker(self, artifact_id: ArtifactId) -> Path:
        """Marks an artifact whose upstream returned None in this run (a stat on read, no event-log query)."""
        run_dir = self.settings.integration_dir / "runs" / self.options.dagster_run_id
        return run_dir / "unwritten" / artifact_id.entity / artifact_id.project / artifact_id.name

    def _check_trusted(self, version: ArtifactVersion, record: Mapping[str, Any], where: str) -> None:
        fmt = formats.FORMATS[record["name"]]
        own = (version.id.entity, version.id.project) == (self.settings.entity, self.settings.project)
        if fmt.runs_code_on_load and not own and not self.options.unpickle_from_other_projects:
            raise UnsafeDeserializationError(
                f"{where}: {version.id}:{version.version_tag} comes from {version.id.entity}/{version.id.project}, "
                f"not {self.settings.entity}/{self.settings.project}; unpickling its {record['entry']} could run "
                "code. Read it with get_path, or set unpickle_from_other_projects=True on the IO manager if you "
                "trust that project."
            )

    def close(self) -> None:
        self.store.close()
