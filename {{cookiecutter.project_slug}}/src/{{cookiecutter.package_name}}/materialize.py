"""``make materialize``: every asset and job of the project, in process, into ``$DAGSTER_HOME``.

Offline (no ``WANDB_API_KEY``) the artifacts go to the local store; the runs show up in ``make dev``.
Prints what was materialized, the trained model's validation metrics and where the artifacts are.
"""

import importlib.util
import json
import os
import sys
from collections.abc import Callable

import dagster as dg

from .definitions import defs as load_definitions
from .external_artifact import seed_external_artifact
from .wandb_integration.automation.checks import CHECK_NAME as INTEGRITY_CHECK

PARTITIONS_MODULE = f"{__package__}.defs.assets.partitioned"
LAUNCH_MODULE = f"{__package__}.defs.launch_jobs"


def run_job(
    definitions: dg.Definitions, instance: dg.DagsterInstance, name: str, **kwargs
) -> dg.ExecuteInProcessResult:
    result = definitions.resolve_job_def(name).execute_in_process(instance=instance, **kwargs)
    if not result.success:
        raise SystemExit(f"job {name} failed; see the Dagster UI (make dev) for the run's logs.")
    return result


def partition_runs(definitions: dg.Definitions, instance: dg.DagsterInstance) -> list[str]:
    """Materialize a few partitions of each partitioned example (when the option was chosen)."""
    if importlib.util.find_spec(PARTITIONS_MODULE) is None:
        return []
    partitioned = importlib.import_module(PARTITIONS_MODULE)
    resources = definitions.resources
    assets = [
        definitions.get_assets_def(key)
        for key in (
            partitioned.daily_measurements.key,
            partitioned.cultivar_rows.key,
            partitioned.cultivar_sizes.key,
            partitioned.day_over_day.key,
            partitioned.cultivar_daily.key,
            partitioned.cultivar_daily_rows.key,
        )
    ]
    upstream = [dg.AssetSpec("raw_dataset").with_io_manager_key(partitioned.ARTIFACTS_IO_MANAGER_KEY)]
    done = []

    def materialize(selection: list, **kwargs) -> None:
        result = dg.materialize(
            [*upstream, *assets], selection=selection, resources=resources, instance=instance, **kwargs
        )
        if not result.success:
            raise SystemExit(f"materializing {selection} failed; see the Dagster UI (make dev).")
        done.append(f"{', '.join(a.key.to_user_string() for a in selection)} {kwargs.get('partition_key', '')}".strip())

    run_job(
        definitions,
        instance,
        "daily_backfill_job",
        tags={"dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-01-03"},
    )
    done.append("daily_measurements 2024-01-01..2024-01-03 (one run)")
    for key in partitioned.CULTIVARS.get_partition_keys():
        materialize([partitioned.cultivar_rows], partition_key=key)
        materialize([partitioned.cultivar_daily], partition_key=f"{key}|2024-01-01")
    materialize([partitioned.cultivar_sizes])
    materialize([partitioned.day_over_day], partition_key="2024-01-02")
    materialize([partitioned.cultivar_daily_rows], partition_key="class_1|2024-01-01")
    return done


def check_lines(evaluations: list) -> list[str]:
    """One line per asset check that ran: the threshold gate in full, the integrity checks summed up."""
    lines, integrity = [], []
    for evaluation in evaluations:
        if evaluation.check_name == INTEGRITY_CHECK:
            integrity.append(evaluation)
            continue
        outcome = "passed" if evaluation.passed else "FAILED"
        where = evaluation.asset_key.to_user_string()
        lines.append(f"check {evaluation.check_name} on {where}: {outcome} ({evaluation.description})")
    if integrity:
        failed = [e.asset_key.to_user_string() for e in integrity if not e.passed]
        verdict = f"failed for {', '.join(failed)}" if failed else "every stored version intact"
        lines.append(f"check {INTEGRITY_CHECK} on {len(integrity)} assets: {verdict}")
    return lines


def main(echo: Callable[[str], None] = print) -> dict:
    if not os.environ.get("DAGSTER_HOME"):
        raise SystemExit("DAGSTER_HOME is not set; run `make materialize`, or export DAGSTER_HOME=<a folder>.")
    instance = dg.DagsterInstance.get()
    definitions = load_definitions()
    wandb_resource = definitions.resources["wandb_resource"]
    settings = wandb_resource.settings(instance_storage_dir=instance.storage_directory())
    echo(f"W&B mode: {settings.mode} ({settings.mode_reason})")
    echo(f"published the labels artifact (as a labelling team would): {seed_external_artifact(settings)}")
    checks = []
    for job in ("training_job", "artifact_integrity_job", "artifact_patterns_job", "classic_job"):
        checks += run_job(definitions, instance, job).get_asset_check_evaluations()
        echo(f"ran {job}")
    for line in partition_runs(definitions, instance):
        echo(f"materialized {line}")
    if importlib.util.find_spec(LAUNCH_MODULE) is not None:
        run_job(definitions, instance, "local_training_job")
        echo("ran local_training_job (launch/train.py; the agent and queued jobs need a W&B server)")
    evaluation = instance.get_latest_materialization_event(dg.AssetKey("model_evaluation"))
    metadata = evaluation.asset_materialization.metadata
    metrics = {name: round(metadata[name].value, 4) for name in ("accuracy", "f1_macro", "roc_auc_ovr")}
    decision = instance.get_latest_materialization_event(dg.AssetKey("registered_model")).asset_materialization
    echo(f"validation metrics of trained_model: {json.dumps(metrics)}")
    for line in check_lines(checks):
        echo(line)
    echo(f"promoted to the registry: {decision.metadata['promoted'].value}")
    where = settings.store_dir if settings.mode == "offline" else f"W&B {settings.entity}/{settings.project}"
    echo(f"artifacts: {where}")
    echo("open the UI with `make dev` (http://127.0.0.1:3000) to see the runs, assets and W&B metadata")
    return metrics


if __name__ == "__main__":
    main()
    sys.exit(0)
