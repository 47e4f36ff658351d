"""Partitioned outputs and inputs: one artifact per partition key, dicts keyed by partition on read."""

import dagster as dg
import pytest

from tests._package import integration
from tests.conftest import ENTITY, PROJECT

ArtifactId = integration.stores.ArtifactId
naming = integration.io_manager.naming


def ids(name):
    return ArtifactId(ENTITY, PROJECT, name)


static = dg.StaticPartitionsDefinition(["red", "white"])
daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-04")
hourly = dg.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-01-01-03:00")
multi = dg.MultiPartitionsDefinition({"color": static, "date": daily})


def test_static_partitions_write_one_artifact_each_and_read_back_as_a_dict(resources, store):
    @dg.asset(partitions_def=static)
    def wine(context: dg.AssetExecutionContext) -> str:
        return f"{context.partition_key} wine"

    @dg.asset
    def cellar(wine: dict) -> dict:
        return wine

    for key in static.get_partition_keys():
        dg.materialize([wine], partition_key=key, resources=resources)
    result = dg.materialize([wine, cellar], selection=[cellar], resources=resources)
    assert result.output_for_node("cellar") == {"red": "red wine", "white": "white wine"}
    assert store.resolve(ids("wine.red")).version == 0


def test_one_partition_per_run_has_the_top_level_output_metadata_dagster_wandb_writes(resources, store):
    @dg.asset(partitions_def=static, metadata={"wandb_artifact_configuration": {"type": "dataset"}})
    def wine(context: dg.AssetExecutionContext) -> str:
        return f"{context.partition_key} wine"

    dg.materialize([wine], partition_key="red", resources=resources)
    result = dg.materialize([wine], partition_key="red", resources=resources)  # equal content: v0 again
    [event] = result.get_asset_materialization_events()
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert metadata["wandb_artifact_name"] == "wine.red" and metadata["wandb_artifact_version"] == "v0"
    assert metadata["wandb_artifact_type"] == "dataset" and "latest" in metadata["wandb_artifact_aliases"]
    assert metadata["wandb_artifact_size"] == store.resolve(ids("wine.red")).size
    assert metadata["wandb_artifact_versions"]["red"]["wandb_artifact_version"] == "v0"


def test_hourly_partition_keys_are_sanitised(resources, store):
    @dg.asset(partitions_def=hourly)
    def readings(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    dg.materialize([readings], partition_key="2024-01-01-01:00", resources=resources)
    name = naming.artifact_name(["readings"], "2024-01-01-01:00")
    assert store.resolve(ids(name)).version == 0


def test_multi_partitions_with_star_defaults_extended_by_explicit_keys(resources, store):
    @dg.asset(partitions_def=multi)
    def sales(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    keys = ["red|2024-01-01", "white|2024-01-01"]
    for key in keys:
        dg.materialize([sales], partition_key=key, resources=resources)
    # A second version of one partition so "version" has something to pick.
    dg.materialize([sales], partition_key="red|2024-01-01", resources=resources, tags={"retry": "1"})

    read_config = {"partitions": {"*": {"alias": "latest"}, "red|2024-01-01": {"version": "v0"}}}

    @dg.asset(
        partitions_def=multi,
        ins={"sales": dg.AssetIn(metadata={"wandb_artifact_configuration": read_config})},
    )
    def report(sales: dict) -> dict:
        return sales

    result = dg.materialize([sales, report], selection=[report], partition_key="white|2024-01-01", resources=resources)
    assert result.output_for_node("report") == {"white|2024-01-01": "white|2024-01-01"}


def test_single_run_backfill_writes_one_version_per_partition(resources, store):
    @dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
    def daily_counts(context: dg.AssetExecutionContext) -> dict:
        return {key: len(key) for key in context.partition_keys}

    job = dg.define_asset_job("backfill", selection=[daily_counts])
    defs = dg.Definitions(assets=[daily_counts], jobs=[job], resources=resources)
    result = defs.resolve_job_def("backfill").execute_in_process(
        tags={
            "dagster/asset_partition_range_start": "2024-01-01",
            "dagster/asset_partition_range_end": "2024-01-03",
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    for key in ("2024-01-01", "2024-01-02", "2024-01-03"):
        assert store.resolve(ids(f"daily_counts.{key}")).version == 0
    [event] = [e for e in result.get_asset_materialization_events() if e.partition == "2024-01-02"]
    metadata = {key: value.value for key, value in event.materialization.metadata.items()}
    assert "wandb_artifact_name" not in metadata  # several partitions: each one's under its key
    assert metadata["wandb_artifact_versions"]["2024-01-02"]["wandb_artifact_name"] == "daily_counts.2024-01-02"


def test_several_partitions_need_a_dict_per_partition(resources):
    @dg.asset(partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run())
    def daily_counts(context: dg.AssetExecutionContext) -> int:
        return 1

    job = dg.define_asset_job("backfill", selection=[daily_counts])
    defs = dg.Definitions(assets=[daily_counts], jobs=[job], resources=resources)
    with pytest.raises(integration.WandbConfigurationError, match="return a dict"):
        defs.resolve_job_def("backfill").execute_in_process(
            tags={
                "dagster/asset_partition_range_start": "2024-01-01",
                "dagster/asset_partition_range_end": "2024-01-02",
            },
            instance=dg.DagsterInstance.ephemeral(),
        )


def test_a_mapping_to_one_partition_still_returns_a_dict(resources):
    @dg.asset(partitions_def=daily)
    def daily_value(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    @dg.asset(
        partitions_def=daily,
        ins={
            "daily_value": dg.AssetIn(partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))
        },
    )
    def previous_day(daily_value: dict) -> dict:
        return daily_value

    dg.materialize([daily_value], partition_key="2024-01-01", resources=resources)
    result = dg.materialize(
        [daily_value, previous_day], selection=[previous_day], partition_key="2024-01-02", resources=resources
    )
    assert result.output_for_node("previous_day") == {"2024-01-01": "2024-01-01"}


def test_two_partitions_never_share_an_artifact_even_when_one_key_spells_the_others_hashed_name(resources, store):
    """`a/b` is stored as `part.a-b-<hash>`; a second key spelled exactly `a-b-<hash>` gets its own artifact."""
    hashed_tail = naming.artifact_name(["part"], "a/b").removeprefix("part.")
    keys = ["a/b", hashed_tail, "k" * 200, naming.artifact_name(["part"], "k" * 200).removeprefix("part.")]
    collide = dg.StaticPartitionsDefinition(keys)

    @dg.asset(partitions_def=collide)
    def part(context: dg.AssetExecutionContext) -> str:
        return f"value of {context.partition_key}"

    @dg.asset
    def everything(part: dict) -> dict:
        return part

    for key in keys:
        dg.materialize([part], partition_key=key, resources=resources)
    result = dg.materialize([part, everything], selection=[everything], resources=resources)
    assert result.output_for_node("everything") == {key: f"value of {key}" for key in keys}
    artifacts = [a for a in store.list_artifacts(ENTITY, PROJECT) if a.name.startswith("part.")]
    assert len(artifacts) == len(keys)
    for artifact in artifacts:  # each artifact holds the versions of exactly one partition
        assert len({v.lineage["dagster_partition_key"] for v in store.versions(artifact)}) == 1


def test_a_star_get_that_a_partition_lacks_names_its_origin_and_get_none_reads_that_partition_whole(resources):
    """Upstream's advanced partitions example: "*" reads a Table, one partition holds a plain value."""

    @dg.asset(partitions_def=static)
    def tables(context: dg.AssetExecutionContext) -> object:
        import wandb

        return wandb.Table(columns=["k"], data=[[1]]) if context.partition_key == "white" else "plain red"

    for key in ("red", "white"):
        dg.materialize([tables], partition_key=key, resources=resources)

    def reader_with(partitions):
        @dg.asset(ins={"tables": dg.AssetIn(metadata={"wandb_artifact_configuration": {"partitions": partitions}})})
        def reader(tables: dict) -> list:
            return sorted(tables)

        return reader

    failing = reader_with({"*": {"get": "Table"}, "red": {"version": "v0"}})
    with pytest.raises(
        integration.ArtifactNotFoundError,
        match=r"""'Table' \(the "get" of partitions\["\*"\]: give partition 'red' its own "get", or "get": None""",
    ):
        dg.materialize([tables, failing], selection=[failing], resources=resources)
    fixed = reader_with({"*": {"get": "Table"}, "red": {"version": "v0", "get": None}})
    assert dg.materialize([tables, fixed], selection=[fixed], resources=resources).output_for_node("reader") == [
        "red",
        "white",
    ]


def failure_of(assets, resources, **kwargs) -> str:
    result = dg.materialize(assets, resources=resources, raise_on_error=False, **kwargs)
    assert not result.success
    [failure] = result.get_step_failure_events()
    return str(failure.step_failure_data.error)


def test_partitions_settings_on_an_input_that_reads_no_partitions_are_an_error_not_ignored(resources):
    @dg.asset
    def plain() -> str:
        return "whole"

    @dg.asset(ins={"plain": dg.AssetIn(metadata={"wandb_artifact_configuration": {"partitions": {"*": {"get": "x"}}}})})
    def reader(plain) -> None:
        raise AssertionError("read with its partitions settings ignored")

    dg.materialize([plain], resources=resources)
    message = failure_of([plain, reader], resources, selection=[reader])
    assert "'partitions' is set" in message and "reads no partitions" in message


def test_a_misspelled_partition_key_in_the_input_settings_is_an_error_naming_it(resources):
    @dg.asset(partitions_def=static)
    def wine(context: dg.AssetExecutionContext) -> str:
        return f"{context.partition_key} wine"

    settings = {"wandb_artifact_configuration": {"partitions": {"redd": {"version": "v0"}}}}

    @dg.asset(ins={"wine": dg.AssetIn(metadata=settings)})
    def cellar(wine: dict) -> None:
        raise AssertionError("read with a misspelled partition key ignored")

    for key in static.get_partition_keys():
        dg.materialize([wine], partition_key=key, resources=resources)
    message = failure_of([wine, cellar], resources, selection=[cellar])
    assert "partitions['redd']" in message and "not a partition of wine" in message and "red" in message
