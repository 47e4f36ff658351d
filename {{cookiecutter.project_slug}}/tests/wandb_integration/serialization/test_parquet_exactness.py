"""DataFrames leave the store exactly as they came in: as Parquet when Parquet gives the frame back unchanged,
else pickled, with the reason in the run log (``serialization/parquet.py``). Every case is a full round trip
compared with ``assert_frame_equal(check_exact=True)``, the frame's class, its index frequency and the Python
type of every value in object columns."""

import datetime as dt
import decimal
from importlib import import_module

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from tests._package import PACKAGE_NAME, formats, integration
from tests.conftest import ENTITY, PROJECT

parquet = import_module(f"{PACKAGE_NAME}.wandb_integration.serialization.parquet")


class Frame(pd.DataFrame):
    @property
    def _constructor(self):
        return Frame


def objects(*values) -> pd.DataFrame:
    return pd.DataFrame({"c": pd.Series(list(values), dtype=object)})


CHANGED_BY_PARQUET = {  # what plain to_parquet converts, drops, or cannot write at all
    "ints and floats in an object column": lambda: objects(1, 2.5),
    "ints in an object column": lambda: objects(1, 2),
    "lists": lambda: objects([1, 2], [3]),
    "dicts with different keys": lambda: objects({"a": 1}, {"b": 2}),
    "decimals of different scales": lambda: objects(decimal.Decimal("1.10"), decimal.Decimal("2.5")),
    "timestamps of two zones": lambda: objects(
        pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-01", tz="Asia/Tokyo")
    ),
    "None and NaN in an object column": lambda: objects("a", None, np.nan),
    "a DataFrame subclass": lambda: Frame({"a": [1, 2]}),
    "an index with a frequency": lambda: pd.DataFrame({"a": [1, 2]}, index=pd.date_range("2024", periods=2)),
    "datetime64[s]": lambda: pd.DataFrame({"c": np.array(["2024-01-01", "9999-01-01"], dtype="datetime64[s]")}),
    "categories of numbers": lambda: pd.DataFrame({"c": pd.Categorical([3, 1], categories=[3, 2, 1], ordered=True)}),
    "labels of mixed types": lambda: pd.DataFrame([[1, 2]], columns=["a", 1]),
    "labels 0 and '0'": lambda: pd.DataFrame([[1, 2]], columns=[0, "0"]),
    "an index named 0": lambda: pd.DataFrame({"a": [1]}, index=pd.Index([5], name=0)),
    "dates in an object column": lambda: objects(dt.date(2020, 1, 1), None),
    "rows but no columns": lambda: pd.DataFrame(index=range(3)),
    "NaN as a value of a nullable float": lambda: pd.DataFrame(
        {"c": pd.arrays.FloatingArray(np.array([np.nan, 1.0]), np.array([False, False]))}  # NaN, not masked
    ),
    "python-backed strings": lambda: pd.DataFrame({"c": pd.array(["a", None], dtype="string[python]")}),
    "categories of object strings": lambda: pd.DataFrame(
        {"c": pd.Categorical(["a"], categories=pd.Index(["a", "b"], dtype=object))}
    ),
    "numpy str_ values in an object column": lambda: objects(np.str_("a"), "b"),
    "object labels": lambda: pd.DataFrame([[1]], columns=pd.Index(["a"], dtype=object)),
    "a MultiIndex level of mixed types past the first rows": lambda: pd.DataFrame(
        {"v": range(150)},
        index=pd.MultiIndex.from_arrays([[f"s{i}" for i in range(120)] + list(range(30)), range(150)]),
    ),
    "a sparse column": lambda: pd.DataFrame({"c": pd.arrays.SparseArray([0, 0, 1])}),
    "no duplicate labels allowed": lambda: pd.DataFrame({"a": [1]}).set_flags(allows_duplicate_labels=False),
    "duplicate labels": lambda: pd.DataFrame([[1, 2]], columns=["a", "a"]),
    "complex numbers": lambda: pd.DataFrame({"c": np.array([1 + 2j])}),
}

KEPT_BY_PARQUET = {
    "numbers, bools and strings": lambda: pd.DataFrame(
        {"f": [0.5, np.nan], "i": [1, 2], "b": [True, False], "s": ["x", None]}
    ),
    "strings with None in an object column": lambda: objects("a", None),
    "bytes": lambda: objects(b"x", b"y"),
    "nullable numbers": lambda: pd.DataFrame(
        {"i": pd.array([1, None], dtype="Int64"), "f": pd.array([0.5, None], dtype="Float64")}
    ),
    "timestamps with and without a zone": lambda: pd.DataFrame(
        {"naive": pd.to_datetime(["2024-01-01", None]), "utc": pd.to_datetime(["2024-01-01", None]).tz_localize("UTC")}
    ),
    "categories of strings": lambda: pd.DataFrame(
        {"c": pd.Categorical(["a", None], categories=["b", "a", "z"], ordered=True)}
    ),
    "timedeltas, periods, intervals": lambda: pd.DataFrame(
        {
            "t": pd.to_timedelta([1, 2], unit="s"),
            "p": pd.period_range("2024-01", periods=2, freq="M"),
            "n": pd.interval_range(0, 2),
        }
    ),
    "int labels and a named index": lambda: pd.DataFrame({0: [1], 1: [2]}, index=pd.Index(["r"], name="row")),
    "MultiIndex rows and columns": lambda: pd.DataFrame(
        [[1, 2]],
        index=pd.MultiIndex.from_tuples([("a", 1)]),
        columns=pd.MultiIndex.from_tuples([("x", "y"), ("x", "z")]),
    ),
    "no rows": lambda: pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype=object)}),
}


def stored(frame, folder):
    fmt, reason = formats.choose_format(frame, None)
    formats.dump(frame, fmt, folder, {})
    return fmt.name, reason, formats.load(folder / fmt.entry, fmt)


def assert_same(back, frame):
    assert type(back) is type(frame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True, check_freq=True)
    for position in range(frame.shape[1]):
        if pd.api.types.is_object_dtype(frame.dtypes.iloc[position]):
            assert [repr(v) for v in back.iloc[:, position]] == [repr(v) for v in frame.iloc[:, position]]


@pytest.mark.parametrize("case", sorted(CHANGED_BY_PARQUET))
def test_a_frame_parquet_would_change_is_pickled_and_comes_back_exactly(tmp_path, case):
    frame = CHANGED_BY_PARQUET[case]()
    name, reason, back = stored(frame, tmp_path)
    assert name == "pickle" and reason
    assert_same(back, frame)


@pytest.mark.parametrize("case", sorted(KEPT_BY_PARQUET))
def test_a_frame_parquet_keeps_is_parquet_and_comes_back_exactly(tmp_path, case):
    frame = KEPT_BY_PARQUET[case]()
    name, reason, back = stored(frame, tmp_path)
    assert (name, reason) == ("parquet", None)
    assert_same(back, frame)


EVERYDAY_COLUMNS = {  # each kind of column the quick check lets through without a round trip
    "float64": pd.Series([0.5, np.nan, -0.0, np.inf]),
    "float32": pd.Series([0.5, np.nan, 1, 2], dtype="float32"),
    "int8": pd.Series([-128, 0, 1, 127], dtype="int8"),
    "uint64": pd.Series([0, 1, 2, 2**64 - 1], dtype="uint64"),
    "bool": pd.Series([True, False, True, False]),
    "str": pd.Series(["a", None, "é", ""]),
    "Int64": pd.array([1, None, 3, 4], dtype="Int64"),
    "UInt8": pd.array([1, None, 3, 255], dtype="UInt8"),
    "boolean": pd.array([True, None, False, True], dtype="boolean"),
    "datetime64[ns]": pd.Series(pd.to_datetime(["2024-01-01", None, "1970-01-01", "2262-01-01"])),
    "datetime64[us]": pd.Series(np.array(["2024-01-01", "NaT", "0001-01-01", "9999-01-01"], dtype="datetime64[us]")),
    "datetime64[ms, Asia/Tokyo]": pd.Series(
        pd.to_datetime(["2024-01-01", None, "2024-06-01", "2025-01-01"]).as_unit("ms").tz_localize("Asia/Tokyo")
    ),
    "category of str": pd.Series(pd.Categorical(["a", None, "b", "a"], categories=["b", "a", "unused"])),
}


@pytest.mark.parametrize("kind", sorted(EVERYDAY_COLUMNS))
def test_every_column_kind_the_quick_check_lets_through_round_trips_exactly_through_parquet(tmp_path, kind):
    frame = pd.DataFrame({"col": EVERYDAY_COLUMNS[kind], "other": [1, 2, 3, 4]})
    assert parquet.problem(frame) is None and parquet._plainly_exact(frame, pd)
    fmt = formats.FORMATS["parquet"]  # the quick check's claim, tested without it
    formats.dump(frame, fmt, tmp_path, {})
    assert_same(formats.load(tmp_path / fmt.entry, fmt), frame)


def test_an_asset_whose_frame_parquet_would_change_says_why_and_its_reader_gets_it_exactly(resources, store):
    frame = pd.DataFrame({"id": [1, 2], "tags": pd.Series([["a"], ["b", "c"]], dtype=object)})

    @dg.asset
    def tagged() -> pd.DataFrame:
        return frame

    @dg.asset
    def reader(tagged: pd.DataFrame) -> None:
        assert_same(tagged, frame)

    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([tagged, reader], resources=resources, instance=instance)
        assert result.success
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    [warning] = [m for m in messages if "stored pickled" in m]
    assert "column 'tags'" in warning and "serialization_module" in warning
    version = store.resolve(integration.stores.ArtifactId(ENTITY, PROJECT, "tagged"))
    assert version.metadata["source_serialization_module"] == "pickle" and "output.pickle" in version.entries
