"""The partition examples: direct invocation per asset, and one run through the IO manager."""

from importlib import import_module

import dagster as dg

from tests._package import PACKAGE_NAME, dataset_assets, external_artifact, integration

from ..conftest import ENTITY, PROJECT

partitioned = import_module(f"{PACKAGE_NAME}.defs.assets.partitioned")
ArtifactId = integration.stores.ArtifactId


def test_daily_measurements_returns_one_frame_per_day_of_the_run(wine):
    context = dg.build_asset_context(partition_key_range=dg.PartitionKeyRange("2024-01-01", "2024-01-03"))
    frames = partitioned.daily_measurements(context, wine)
    assert sorted(frames) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert all(len(frame) == 20 for frame in frames.values())
    assert not frames["2024-01-01"].equals(frames["2024-01-02"])


def test_cultivar_rows_keeps_one_class(wine):
    frame = partitioned.cultivar_rows(dg.build_asset_context(partition_key="class_2"), wine)
    assert set(frame[dataset_assets.TARGET]) == {2}


def test_readers_take_dicts_keyed_by_partition(wine):
    assert partitioned.cultivar_sizes({"class_0": wine.head(3), "class_1": wine.head(5)}) == {
        "class_0": 3,
        "class_1": 5,
    }
    means = partitioned.day_over_day(dg.build_asset_context(partition_key="2024-01-02"), {"2024-01-01": wine})
    assert means == {"2024-01-01": float(wine["alcohol"].mean())}


def test_partitions_through_the_io_manager(resources, instance, store, wandb_resource):
    external_artifact.seed_external_artifact(wandb_resource.settings())  # raw_dataset reads the labels
    assets = [
        dataset_assets.wine_labels,
        dataset_assets.raw_dataset,
        partitioned.daily_measurements,
        partitioned.day_over_day,
        partitioned.cultivar_rows,
        partitioned.cultivar_sizes,
        partitioned.cultivar_daily,
        partitioned.cultivar_daily_rows,
    ]
    defs = dg.Definitions(assets=assets, jobs=[partitioned.daily_backfill_job], resources=resources)
    assert dg.materialize(
        assets, selection=[dataset_assets.raw_dataset], resources=resources, instance=instance
    ).success
    backfill = defs.resolve_job_def("daily_backfill_job").execute_in_process(
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-01-02"},
    )
    assert backfill.success
    for day in ("2024-01-01", "2024-01-02"):
        assert store.resolve(ArtifactId(ENTITY, PROJECT, f"daily_measurements.{day}")).version == 0

    def run(selection, partition_key=None):
        result = dg.materialize(
            assets, selection=selection, partition_key=partition_key, resources=resources, instance=instance
        )
        assert result.success
        return result

    assert list(run([partitioned.day_over_day], "2024-01-02").output_for_node("day_over_day")) == ["2024-01-01"]
    for key in ("class_0", "class_1", "class_2"):
        run([partitioned.cultivar_rows], key)
    assert run([partitioned.cultivar_sizes]).output_for_node("cultivar_sizes") == {
        "class_0": 59,
        "class_1": 71,
        "class_2": 48,
    }
    run([partitioned.cultivar_daily], "class_0|2024-01-01")
    # dagster-wandb's name for a multi-partition key: '|' becomes '-' (one dimension holds dashes)
    assert store.resolve(ArtifactId(ENTITY, PROJECT, "cultivar_daily.class_0-2024-01-01")).version == 0
    rows = run([partitioned.cultivar_daily_rows], "class_0|2024-01-01").output_for_node("cultivar_daily_rows")
    assert list(rows) == ["class_0|2024-01-01"]
