"""What an asset logs to its W&B run, shown on its Dagster materialization.

``WandbResource.run()`` notes the run's summary when its block starts; when the block ends without an
error, every scalar that is new or changed since then (``run.log({...})``, ``run.summary[...] = ...``)
and the ``config`` given to that call are added to the metadata of the asset (or assets) the current
step materializes. Numbers become float or int metadata, so the UI's Plots tab charts them over
materializations; online, the run's page is linked. Outside an asset step (an op, a direct call) nothing
is attached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dagster as dg

SUMMARY_PREFIX = "wandb_summary/"
MAX_METRICS = 100  # the Plots tab charts at most 100 labels


def scalars(summary: Mapping[str, Any], prefix: str = "") -> dict[str, float | int]:
    """Numeric summary values by ``/``-joined key; wandb's own ``_step``, ``_runtime``... are left out."""
    found: dict[str, float | int] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if str(key).startswith("_"):
            continue
        if isinstance(value, Mapping) or hasattr(value, "keys"):  # wandb's nested summaries are not Mappings
            found.update(scalars(_as_dict(value), f"{name}/"))
        elif isinstance(value, bool):
            continue  # a bool is an int in Python, but not a metric
        elif isinstance(value, int | float) and math.isfinite(value):
            found[name] = value
    return found


def snapshot(run: Any) -> dict[str, float | int]:
    return scalars(_summary_dict(run))


def metadata_since(run: Any, before: Mapping[str, float | int], config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Metadata for what ``run`` logged since ``before`` (a ``snapshot``), plus ``config`` and the run link."""
    changed = {key: value for key, value in snapshot(run).items() if before.get(key) != value}
    metadata: dict[str, Any] = {}
    for key in sorted(changed)[:MAX_METRICS]:
        value = changed[key]
        metadata[SUMMARY_PREFIX + key] = dg.MetadataValue.int(value) if isinstance(value, int) else float(value)
    if config:
        metadata["wandb_run_config"] = dg.MetadataValue.json(dict(config))
    if metadata:
        url = getattr(run, "url", None)
        if url:
            metadata["wandb_run_url"] = dg.MetadataValue.url(url)
    return metadata


def attach_to_current_asset(metadata: Mapping[str, Any]) -> bool:
    """Add ``metadata`` to every asset the current step materializes; False when no asset step runs."""
    if not metadata:
        return False
    try:
        context = dg.AssetExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return False  # not inside a Dagster step (a direct call, a script)
    if not context.has_assets_def:
        return False  # an op: no materialization to attach to
    for key in context.selected_asset_keys:
        context.add_asset_metadata(dict(metadata), asset_key=key)
    return True


def _summary_dict(run: Any) -> dict[str, Any]:
    summary = getattr(run, "summary", None)
    if summary is None:
        return {}
    try:
        return _as_dict(summary)
    except (AttributeError, KeyError, TypeError):
        return {}


def _as_dict(summary: Any) -> dict[str, Any]:
    # wandb's Summary is not iterable (iteration asks for summary[0]) and turns unknown attributes into
    # key lookups, so only keys() and [] are safe.
    return {key: summary[key] for key in summary.keys()}  # noqa: SIM118
