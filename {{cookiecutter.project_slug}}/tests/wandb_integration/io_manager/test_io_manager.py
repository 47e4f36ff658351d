"""The artifacts IO manager end to end through Dagster, offline: what each output becomes, what reads return."""

import os
import pickle

import dagster as dg
import pandas as pd
import pytest
import wandb

from tests._package import digests, integration
from tests.conftest import ENTITY, PROJECT

ArtifactId = integration.stores.ArtifactId


def ids(name):
    return ArtifactId(ENTITY, PROJECT, name)


def materialize(assets, resources, **kwargs):
    result = dg.materialize(assets, resources=resources, **kwargs)
    assert result.success
    return result


def output_metadata(result, asset_name):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset_name]
    return {key: value.value for key, value in event.materialization.metadata.items()}


def test_python_object_round_trip_and_output_metadata(resources, store):
    @dg.asset(metadata={"wandb_artifact_configuration": {"type": "dataset", "description": "numbers"}})
    def numbers() -> list[int]:
        return [1, 2, 3]

    @dg.asset
    def total(numbers: list[int]) -> int:
        return sum(numbers)

    result = materialize([numbers, total], resources)
    assert result.output_for_node("total") == 6
    version = store.resolve(ids("numbers"))
    assert version.type == "dataset"
    assert version.description == "numbers"
    assert set(version.entries) == {"output.pickle"}
    assert version.metadata["source_serialization_module"] == "pickle"
    meta = output_metadata(result, "numbers")
    assert meta["wandb_artifact_version"] == "v0"
    assert meta["wandb_artifact_digest"] == version.digest
    assert meta["wandb_mode"] == "offline"
    assert meta["dagster_run_id"] == result.run_id
    assert meta["wandb_run_id"] == result.run_id
    assert f"dagster-run-{result.run_id[:8]}" in meta["wandb_artifact_aliases"]
    for key in (
        "wandb_entity",
        "wandb_project",
        "wandb_run_name",
        "wandb_run_path",
        "wandb_artifact_size",
        "wandb_artifact_type",
        "wandb_artifact_name",
        "wandb_artifact_path",
    ):
        assert key in meta, key


def round_trip(frame: pd.DataFrame, resources) -> pd.DataFrame:
    """``frame`` stored by an asset ``table`` and read back by a downstream asset."""

    @dg.asset
    def table() -> pd.DataFrame:
        return frame

    @dg.asset
    def copy(table: pd.DataFrame) -> pd.DataFrame:
        return table

    return materialize([table, copy], resources).output_for_node("copy")


def test_dataframe_is_parquet_and_comes_back_equal(resources, store):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}, index=[10, 20])
    pd.testing.assert_frame_equal(round_trip(frame, resources), frame)
    assert set(store.resolve(ids("table")).entries) == {"output.parquet"}


def frame_shapes():
    import numpy as np

    rng = np.random.default_rng(0)
    rows = 12_000
    return {
        # Above the in-memory threshold: written by pyarrow to disk, hashed by a second thread as it lands.
        "large_floats": pd.DataFrame(rng.random((90_000, 16)), columns=[f"f{i}" for i in range(16)]),
        "text_and_category": pd.DataFrame(
            {
                "label": rng.choice(["red", "white", "rosé"], rows),
                "grade": pd.Categorical(rng.choice(["a", "b"], rows)),
                "score": rng.integers(0, 10, rows),
            }
        ),
        "nulls_and_datetimes": pd.DataFrame(
            {
                "when": pd.date_range("2026-01-01", periods=rows, freq="min"),
                "maybe": pd.array([None if i % 7 == 0 else i for i in range(rows)], dtype="Int64"),
                "note": [None if i % 5 == 0 else f"n{i}" for i in range(rows)],
            }
        ),
    }


@pytest.mark.parametrize("shape", ["large_floats", "text_and_category", "nulls_and_datetimes"])
def test_frames_of_every_shape_come_back_equal_and_their_digest_is_the_bytes(resources, store, shape):
    frame = frame_shapes()[shape]
    pd.testing.assert_frame_equal(round_trip(frame, resources), frame)
    # A new store instance trusts nothing from this process: it hashes the stored file again.
    fresh = type(store)(store.root)
    version = fresh.resolve(ids("table"))
    fresh.verify(version)
    path = fresh.local_path(version, "output.parquet")
    assert version.entries["output.parquet"].digest == digests.file_digest(path)


@pytest.mark.parametrize(
    ("module", "parameters"),
    [("pickle", {"protocol": 4}), ("joblib", {"compress": 3}), ("dill", {}), ("cloudpickle", {})],
)
def test_serialization_modules_with_parameters(resources, store, module, parameters):
    config = {"serialization_module": {"name": module, "parameters": parameters}}

    @dg.asset(metadata={"wandb_artifact_configuration": config})
    def model() -> dict:
        return {"weights": [0.5, 0.25]}

    @dg.asset
    def reader(model: dict) -> dict:
        return model

    result = materialize([model, reader], resources)
    assert result.output_for_node("reader") == {"weights": [0.5, 0.25]}
    version = store.resolve(ids("model"))
    assert set(version.entries) == {f"output.{module}"}
    metadata = version.metadata
    assert (metadata["source_serialization_module"], metadata["source_serialization_parameters"]) == (
        module,
        parameters,
    )
    assert metadata["source_pickle_protocol_used"] == parameters.get("protocol", 5)
    assert (f"source_{module}_version_used" in metadata) == (module != "pickle")


def test_a_wandb_object_output_leaves_nothing_in_wandbs_own_data_folder(resources, tmp_path, monkeypatch):
    data_dir = tmp_path / "wandb-data"  # outside base_dir: wandb stages added files here by default
    monkeypatch.setenv("WANDB_DATA_DIR", str(data_dir))

    @dg.asset
    def scores():
        return wandb.Table(columns=["label"], data=[["a"]])

    for _ in range(2):
        materialize([scores], resources)
    assert [p for p in data_dir.rglob("*") if not p.is_dir()] == []
    assert os.environ["WANDB_DATA_DIR"] == str(data_dir)  # put back after each output


def test_wandb_table_output_is_read_back_with_get_and_plainly(resources, store):
    @dg.asset(metadata={"wandb_artifact_configuration": {"type": "evaluation"}})
    def scores():
        return wandb.Table(columns=["label", "score"], data=[["a", 0.5], ["b", 0.75]])

    @dg.asset(ins={"scores": dg.AssetIn(metadata={"wandb_artifact_configuration": {"get": "Table"}})})
    def by_get(scores) -> list:
        return scores.data

    @dg.asset(deps=[scores], ins={"scores": dg.AssetIn()})
    def plain(scores: wandb.Artifact) -> list:  # the Artifact, as dagster-wandb gives it; the object via get
        return scores.get("Table").columns

    result = materialize([scores, by_get, plain], resources)
    assert result.output_for_node("by_get") == [["a", 0.5], ["b", 0.75]]
    assert result.output_for_node("plain") == ["label", "score"]
    assert set(store.resolve(ids("scores")).entries) == {"Table.table.json"}


def test_hand_built_artifact_keeps_files_description_and_is_returned_as_an_artifact(resources, store, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")

    @dg.asset(metadata={"wandb_artifact_configuration": {"aliases": ["golden"]}})
    def bundle():
        artifact = wandb.Artifact("bundle", "dataset", description="hand built", metadata={"rows": 1})
        artifact.add_file(str(data))
        return artifact

    @dg.asset
    def reader(bundle) -> str:
        assert bundle.type == "dataset"
        assert bundle.metadata["rows"] == 1
        return open(bundle.get_entry("data.csv").download()).read()

    result = materialize([bundle, reader], resources)
    assert result.output_for_node("reader") == "a,b\n1,2\n"
    version = store.resolve(ids("bundle"), alias="golden")
    assert version.description == "hand built"
    assert data.exists(), "the user's own file must stay where it was"


def test_type_on_a_returned_artifact_is_an_error(resources):
    @dg.asset(metadata={"wandb_artifact_configuration": {"type": "model"}})
    def bundle():
        artifact = wandb.Artifact("bundle", "dataset")
        artifact.add(wandb.Table(columns=["a"], data=[[1]]), "t")
        return artifact

    with pytest.raises(integration.WandbConfigurationError, match="'model'"):
        dg.materialize([bundle], resources=resources)


def test_add_files_dirs_and_references_on_a_python_output(resources, store, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    (tmp_path / "folder" / "sub" / "x.txt").write_text("x")
    config = {
        "add_files": [{"local_path": str(tmp_path / "notes.txt"), "name": "docs/notes.txt"}],
        "add_dirs": [{"local_path": str(tmp_path / "folder"), "name": "extra"}],
        "add_references": [{"uri": "https://example.com/data.csv", "checksum": False}],
    }

    @dg.asset(metadata={"wandb_artifact_configuration": config})
    def combined() -> dict:
        return {"k": 1}

    materialize([combined], resources)
    entries = store.resolve(ids("combined")).entries
    assert set(entries) == {"output.pickle", "docs/notes.txt", "extra/sub/x.txt", "data.csv"}
    assert entries["data.csv"].ref == "https://example.com/data.csv"


def test_user_aliases_are_never_mutated_and_do_not_pile_up(resources, store):
    aliases = ["candidate"]
    config = {"aliases": aliases}

    @dg.asset(metadata={"wandb_artifact_configuration": config})
    def value() -> int:
        return 1

    first = materialize([value], resources)
    second = materialize([value], resources)
    assert aliases == ["candidate"]
    version = store.resolve(ids("value"))
    assert version.version == 0, "same content twice must reuse the version"
    assert {"latest", "candidate", f"dagster-run-{second.run_id[:8]}"} <= set(version.aliases)
    assert first.run_id != second.run_id


def test_get_path_and_missing_entries_name_what_exists(resources):
    @dg.asset
    def source() -> list:
        return [1]

    @dg.asset(ins={"source": dg.AssetIn(metadata={"wandb_artifact_configuration": {"get_path": "output.pickle"}})})
    def path_reader(source) -> list:
        with open(source, "rb") as handle:
            return pickle.load(handle)

    @dg.asset(ins={"source": dg.AssetIn(metadata={"wandb_artifact_configuration": {"get_path": "nope.csv"}})})
    def missing(source) -> None:
        return None

    result = materialize([source, path_reader], resources)
    assert result.output_for_node("path_reader") == [1]
    with pytest.raises(integration.ArtifactNotFoundError, match=r"'nope.csv'.*output\.pickle"):
        dg.materialize([source, missing], resources=resources)


def test_reads_by_version_and_alias(resources, store):
    versions = iter([1, 2, 3])

    @dg.asset(metadata={"wandb_artifact_configuration": {"aliases": ["current"]}})
    def counter() -> int:
        return next(versions)

    for _ in range(3):
        materialize([counter], resources)

    def reader(metadata):
        @dg.asset(ins={"counter": dg.AssetIn(metadata={"wandb_artifact_configuration": metadata})})
        def read(counter) -> int:
            return counter

        return read

    external = dg.AssetSpec("counter")
    assert materialize([external, reader({"version": "v0"})], resources).output_for_node("read") == 1
    assert materialize([external, reader({"alias": "current"})], resources).output_for_node("read") == 3
    with pytest.raises(integration.ArtifactNotFoundError, match="v7"):
        dg.materialize([external, reader({"version": "v7"})], resources=resources)


def test_prefixed_asset_keys_get_distinct_artifacts(resources, store):
    @dg.asset(key_prefix=["team_a"], name="model")
    def model_a() -> str:
        return "a"

    @dg.asset(key_prefix=["team_b"], name="model")
    def model_b() -> str:
        return "b"

    materialize([model_a, model_b], resources)
    assert store.resolve(ids("team_a__model")).digest != store.resolve(ids("team_b__model")).digest


def test_none_output_writes_nothing_and_downstream_does_not_get_an_old_version(resources, store):
    state = {"value": [1]}

    @dg.asset
    def maybe() -> list | None:
        return state["value"]

    @dg.asset
    def after(maybe) -> list:
        return maybe

    materialize([maybe, after], resources)
    state["value"] = None
    result = dg.materialize([maybe, after], resources=resources, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "returned None" in str(failure.event_specific_data.error)
    assert [v.version for v in store.versions(ids("maybe"))] == [0]


def test_reads_get_the_version_upstream_wrote_in_this_run_not_latest(resources, store):
    counter = iter(range(100))

    @dg.asset
    def upstream() -> int:
        return next(counter)

    @dg.asset(deps=[upstream])
    def interloper() -> None:
        # Another writer moves `latest` between the upstream write and the downstream read.
        staging = store.staging_dir()
        with staging as folder:
            (folder / "output.pickle").write_bytes(pickle.dumps(-1))
            draft = integration.stores.ArtifactDraft(
                id=ids("upstream"), type="artifact", files={"output.pickle": folder / "output.pickle"}
            )
            store.commit(draft)

    @dg.asset(deps=[interloper])
    def downstream(upstream: int) -> int:
        return upstream

    result = materialize([upstream, interloper, downstream], resources)
    assert result.output_for_node("downstream") == 0
    assert store.resolve(ids("upstream")).version == 1


def test_a_pickle_the_integration_did_not_write_is_never_unpickled(resources, store, tmp_path):
    marker = tmp_path / "PWNED"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    with store.staging_dir() as folder:
        (folder / "output.pickle").write_bytes(pickle.dumps(Exploit()))
        store.commit(
            integration.stores.ArtifactDraft(
                id=ids("foreign"), type="model", files={"output.pickle": folder / "output.pickle"}
            )
        )

    @dg.asset
    def reader(foreign) -> str:
        return type(foreign).__name__

    result = materialize([dg.AssetSpec("foreign"), reader], resources)
    assert result.output_for_node("reader") == "LocalArtifact"
    assert not marker.exists()


def test_op_output_needs_a_name_and_none_needs_nothing(resources):
    @dg.op
    def unnamed() -> list:
        return [1]

    @dg.op
    def nothing() -> None:
        return None

    @dg.job(resource_defs=resources)
    def ok():
        nothing()

    @dg.job(resource_defs=resources)
    def bad():
        unnamed()

    assert ok.execute_in_process().success
    with pytest.raises(integration.WandbConfigurationError, match="needs a 'name'"):
        bad.execute_in_process()
