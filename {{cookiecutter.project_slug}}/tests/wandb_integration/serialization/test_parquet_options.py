"""The Parquet options a DataFrame is written with (``formats.parquet_defaults``): what each kind of column
gets, and that every shape reads back equal. Why these options: the template's benchmarks README, "Parquet
choices"."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests._package import formats

ROWS = 5_000


def written(frame: pd.DataFrame, folder, parameters=None) -> dict[str, tuple[str, bool]]:
    """Each stored column's codec and whether it is dictionary-encoded, after a round trip check."""
    fmt = formats.FORMATS["parquet"]
    formats.dump(frame, fmt, folder, parameters or {})
    path = folder / fmt.entry
    pd.testing.assert_frame_equal(formats.load(path, fmt), frame)
    group = pq.ParquetFile(path).metadata.row_group(0)
    columns = (group.column(i) for i in range(group.num_columns))
    return {c.path_in_schema: (c.compression, "RLE_DICTIONARY" in c.encodings) for c in columns}


def test_continuous_floats_are_stored_uncompressed_and_everything_else_with_snappy(tmp_path):
    rng = np.random.default_rng(0)
    measured = rng.normal(size=ROWS)
    measured[::10] = np.nan  # missing readings do not make a column repeat
    frame = pd.DataFrame(
        {
            "measured": measured,
            "mostly_zero": np.where(rng.random(ROWS) < 0.05, rng.random(ROWS), 0.0),
            "price": rng.integers(1, 20, ROWS) * 0.5,
            "count": rng.integers(0, 100, ROWS),
            "name": rng.choice(["red", "white", "rosé"], ROWS),
            "grade": pd.Categorical(rng.choice(["a", "b"], ROWS)),
            "at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**6, ROWS), unit="s"),
            "ok": rng.random(ROWS) < 0.5,
        }
    )
    codecs = written(frame, tmp_path)
    assert codecs.pop("measured") == ("UNCOMPRESSED", False)
    assert codecs.pop("name") == codecs.pop("grade") == ("SNAPPY", True)
    assert codecs == dict.fromkeys(["mostly_zero", "price", "count", "at", "ok"], ("SNAPPY", False))


@pytest.mark.parametrize("index", [pd.Index(np.arange(ROWS) * 3), pd.Index(np.arange(ROWS) * 3, name="row_id")])
def test_a_stored_index_keeps_snappy_under_the_name_pyarrow_gives_it(tmp_path, index):
    frame = pd.DataFrame({"x": np.random.default_rng(1).random(ROWS)}, index=index)
    codecs = written(frame, tmp_path)
    assert codecs.pop("x") == ("UNCOMPRESSED", False)
    assert list(codecs.values()) == [("SNAPPY", False)]  # the index column, whatever it is called


def test_an_empty_frame_is_written_and_read_back(tmp_path):
    written(pd.DataFrame({"x": pd.Series([], dtype="float64"), "name": pd.Series([], dtype="str")}), tmp_path)
