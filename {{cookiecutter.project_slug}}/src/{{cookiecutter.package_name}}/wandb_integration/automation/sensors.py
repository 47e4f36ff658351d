"""A sensor that starts runs when W&B artifacts change: a new version, or an alias that moved.

Each tick asks which version every watched path names now (``versions.current_version``: the local
store offline, the W&B API online). A path whose version or content differs from the cursor requests
one run, with a run key built from that exact version, so the daemon never starts two runs for it; the
cursor (JSON: path -> version key) is stored by Dagster and survives restarts. Watching
``wandb-registry-model/<collection>:production`` fires when the alias moves to another version.

A path that names nothing yet is skipped (and reported in the tick), not an error: the artifact may
simply not be published yet.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from ..errors import ArtifactNotFoundError, WandbConfigurationError
from .observations import DEFAULT_RESOURCE_KEY, observation_metadata
from .versions import CurrentVersion, current_version

RUN_TAG_PREFIX = "wandb/"


def wandb_artifact_sensor(
    name: str,
    artifacts: Sequence[str],
    *,
    target: Any,
    observe: Mapping[str, str | dg.AssetKey] | None = None,
    resource_key: str = DEFAULT_RESOURCE_KEY,
    minimum_interval_seconds: int = 60,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
    description: str | None = None,
) -> dg.SensorDefinition:
    """A sensor named ``name`` requesting one run of ``target`` (a job, or an asset selection) per new
    version of any of ``artifacts`` (paths as ``[[entity/]project/]name[:alias]``).

    ``observe`` maps a watched path to the asset key of its observable external asset: the sensor then
    records the observation too (the digest as data version), so staleness and automation conditions see
    the new version without a separate observation run. Stopped by default, like the project's schedule.
    """
    paths = list(artifacts)
    if not paths or len(set(paths)) != len(paths):
        raise WandbConfigurationError(
            f"wandb_artifact_sensor {name!r} watches {paths!r}; give one or more distinct artifact paths."
        )
    unknown = sorted(set(observe or {}) - set(paths))
    if unknown:
        raise WandbConfigurationError(
            f"wandb_artifact_sensor {name!r}: observe names {unknown}, which it does not watch ({paths})."
        )
    observed = {path: dg.AssetKey.from_coercible(key) for path, key in (observe or {}).items()}

    def evaluate(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        resource = getattr(context.resources, resource_key)
        seen = json.loads(context.cursor) if context.cursor else {}
        requests, events, waiting = [], [], []
        for path in paths:
            try:
                current = current_version(resource, path, instance_storage_dir=context.instance.storage_directory())
            except ArtifactNotFoundError:
                waiting.append(path)
                continue
            if seen.get(path) == current.key:
                continue
            seen[path] = current.key
            requests.append(dg.RunRequest(run_key=f"{name}:{current.key}", tags=run_tags(current)))
            if path in observed:
                events.append(
                    dg.AssetObservation(
                        asset_key=observed[path],
                        tags={"dagster/data_version": current.digest},
                        metadata=observation_metadata(current),
                    )
                )
        cursor = json.dumps(seen, sort_keys=True)
        if requests:
            return dg.SensorResult(run_requests=requests, asset_events=events, cursor=cursor)
        reason = "no new artifact versions" + (f"; not published yet: {', '.join(waiting)}" if waiting else "")
        return dg.SensorResult(skip_reason=reason, cursor=cursor)

    evaluate.__name__ = name
    return dg.sensor(
        name=name,
        target=target,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description=description or f"Starts a run for each new version of {', '.join(paths)} in W&B.",
    )(evaluate)


def run_tags(current: CurrentVersion) -> dict[str, str]:
    """Tags of a requested run: which artifact version started it (searchable in the runs list)."""
    return {
        f"{RUN_TAG_PREFIX}artifact": str(current.ref.id),
        f"{RUN_TAG_PREFIX}artifact_version": current.version,
        f"{RUN_TAG_PREFIX}artifact_digest": current.digest,
    }
