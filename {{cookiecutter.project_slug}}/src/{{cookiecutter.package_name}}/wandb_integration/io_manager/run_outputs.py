"""What the steps of this Dagster run recorded for their outputs, so a read can take "the version the
upstream step wrote in this run" (or refuse when it returned None) instead of ``latest``.

The record is Dagster's own: the metadata the IO manager adds to each output (``wandb_artifact_version``,
``wandb_artifact_versions`` per partition, ``wandb_artifact_written``), as this worker wrote it (one process:
the in-process executor) or as the run's ``HANDLED_OUTPUT`` events hold it (step processes of the
multiprocess executor). Events are read at most once per missing upstream, from where the last read ended,
and only by reads that need them; nothing is written anywhere for this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from ..stores.base import ArtifactId
from .context import safe

VERSION_KEY = "wandb_artifact_version"
VERSIONS_KEY = "wandb_artifact_versions"
NOT_WRITTEN_KEY = "wandb_artifact_written"


class RunOutputs:
    def __init__(self, dagster_run_id: str) -> None:
        self._run_id = dagster_run_id
        self._known: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._cursor: str | None = None

    def record(self, context: dg.OutputContext, metadata: Mapping[str, Any]) -> None:
        """What this worker added to an output's metadata (plain values)."""
        step, name = safe(lambda: context.step_key), safe(lambda: context.name)
        if step is not None and name is not None:
            self._known[(step, name)] = {key: _plain(value) for key, value in metadata.items()}

    def upstream(self, context: dg.InputContext) -> Mapping[str, Any] | None:
        """The metadata the upstream output of ``context`` got in this run, or ``None`` if it did not run."""
        upstream = safe(lambda: context.upstream_output)
        key = (safe(lambda: upstream.step_key), safe(lambda: upstream.name)) if upstream is not None else None
        if key is None or None in key:
            return None
        if key not in self._known:
            self._read_events(context)
        return self._known.get(key)

    def _read_events(self, context: dg.InputContext) -> None:
        instance = safe(lambda: context.instance)
        if instance is None:  # a test-built context: no run to look at
            return
        result = instance.get_records_for_run(
            self._run_id, cursor=self._cursor, of_type=dg.DagsterEventType.HANDLED_OUTPUT
        )
        for record in result.records:
            event = record.event_log_entry.dagster_event
            data = event.event_specific_data
            self._known[(event.step_key, data.output_name)] = {k: _plain(v) for k, v in data.metadata.items()}
        self._cursor = result.cursor


def recorded_entry(
    metadata: Mapping[str, Any], artifact: ArtifactId, partition_key: str | None
) -> Mapping[str, Any] | None:
    """What an upstream's ``metadata`` records about ``artifact`` (for that partition): its
    ``wandb_artifact_version`` when written; ``None`` when it concerns another artifact (the input reads
    one by name)."""
    if (metadata.get("wandb_entity"), metadata.get("wandb_project")) != (artifact.entity, artifact.project):
        return None
    entry = metadata
    if partition_key is not None and isinstance(metadata.get(VERSIONS_KEY), Mapping):
        entry = metadata[VERSIONS_KEY].get(partition_key) or {}
    return entry if entry.get("wandb_artifact_name") == artifact.name else None


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, dg.MetadataValue) else value
