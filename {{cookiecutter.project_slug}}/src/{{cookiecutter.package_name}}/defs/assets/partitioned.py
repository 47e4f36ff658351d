"""Partitioned artifacts: one W&B artifact version per partition key, partitioned reads as dicts.

Daily, static and multi-dimensional partitions; a reader of every partition; a reader with a partition
mapping (the previous day); per-partition read settings with ``"*"`` defaults; and a job whose backfills
run all selected days in a single run (each day still gets its own artifact version).
"""

import dagster as dg

from ..constants import ARTIFACTS_IO_MANAGER_KEY, PARTITIONS_GROUP, WANDB_POOL
from .dataset import TARGET
from .frames import DataFrame

CULTIVARS = dg.StaticPartitionsDefinition(["class_0", "class_1", "class_2"])
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-08")
CULTIVAR_DAYS = dg.MultiPartitionsDefinition({"cultivar": CULTIVARS, "day": DAYS})


def daily_sample(raw_dataset: DataFrame, day: str, rows: int = 20) -> DataFrame:
    """A reproducible sample standing in for the measurements of one day."""
    seed = int(day.replace("-", "")) % (2**32)
    return raw_dataset.sample(n=rows, random_state=seed).reset_index(drop=True)


@dg.asset(
    partitions_def=DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name=PARTITIONS_GROUP,
    kinds={"pandas", "wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    metadata={"wandb_artifact_configuration": {"type": "dataset"}},
)
def daily_measurements(context: dg.AssetExecutionContext, raw_dataset: DataFrame) -> dict[str, DataFrame]:
    """One artifact per day. A single-run backfill of several days returns ``{day: frame}``."""
    return {day: daily_sample(raw_dataset, day) for day in context.partition_keys}


@dg.asset(
    partitions_def=CULTIVARS,
    group_name=PARTITIONS_GROUP,
    kinds={"pandas", "wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    metadata={"wandb_artifact_configuration": {"type": "dataset"}},
)
def cultivar_rows(context: dg.AssetExecutionContext, raw_dataset: DataFrame) -> DataFrame:
    """The rows of one cultivar (static partitions)."""
    label = int(context.partition_key.removeprefix("class_"))
    return raw_dataset[raw_dataset[TARGET] == label].reset_index(drop=True)


@dg.asset(group_name=PARTITIONS_GROUP, kinds={"pandas"}, io_manager_key=ARTIFACTS_IO_MANAGER_KEY, pool=WANDB_POOL)
def cultivar_sizes(cultivar_rows: dict[str, DataFrame]) -> dict[str, int]:
    """Reads every partition of ``cultivar_rows``: the input is ``{partition_key: frame}``."""
    return {key: len(frame) for key, frame in sorted(cultivar_rows.items())}


@dg.asset(
    partitions_def=DAYS,
    group_name=PARTITIONS_GROUP,
    kinds={"pandas"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    ins={
        "yesterday": dg.AssetIn(
            "daily_measurements", partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
        )
    },
)
def day_over_day(context: dg.AssetExecutionContext, yesterday: dict[str, DataFrame]) -> dict[str, float]:
    """The previous day's mean alcohol; a mapping to one partition still arrives as ``{key: frame}``."""
    return {day: float(frame["alcohol"].mean()) for day, frame in yesterday.items()}


@dg.asset(
    partitions_def=CULTIVAR_DAYS,
    group_name=PARTITIONS_GROUP,
    kinds={"pandas", "wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    metadata={"wandb_artifact_configuration": {"type": "dataset"}},
)
def cultivar_daily(context: dg.AssetExecutionContext, raw_dataset: DataFrame) -> DataFrame:
    """Two dimensions: partition keys look like ``class_1|2024-01-02`` (dimensions in name order)."""
    keys = context.partition_key.keys_by_dimension
    label = int(keys["cultivar"].removeprefix("class_"))
    sample = daily_sample(raw_dataset, keys["day"], rows=60)
    return sample[sample[TARGET] == label].reset_index(drop=True)


@dg.asset(
    partitions_def=CULTIVAR_DAYS,
    group_name=PARTITIONS_GROUP,
    kinds={"pandas"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    ins={
        "cultivar_daily": dg.AssetIn(
            metadata={
                "wandb_artifact_configuration": {
                    # "*" applies to every partition; an explicit key extends it.
                    "partitions": {"*": {"alias": "latest"}, "class_0|2024-01-01": {"version": "v0"}}
                }
            }
        )
    },
)
def cultivar_daily_rows(cultivar_daily: dict[str, DataFrame]) -> dict[str, int]:
    """Row counts per multi-partition key, read with per-partition settings."""
    return {key: len(frame) for key, frame in cultivar_daily.items()}


daily_backfill_job = dg.define_asset_job(
    "daily_backfill_job",
    selection=[daily_measurements],
    description="Backfills of daily_measurements: all selected days in one run, one artifact version per day.",
)
