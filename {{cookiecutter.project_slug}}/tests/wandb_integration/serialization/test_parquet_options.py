"""The Parquet options a DataFrame is written with (``formats.parquet_defaults``): what each kind of column
gets, and that every shape reads back equal. Why these options: the template's benchmarks README, "Parquet
choices"."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests._package import formats, integration

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


def snappy_saves(column: pd.Series) -> float:
    """The share of bytes snappy saves on ``column`` stored alone, measured by pyarrow itself."""
    table = pa.Table.from_pandas(column.to_frame(), preserve_index=False)
    sizes = {}
    for codec in ("snappy", "none"):
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression=codec, use_dictionary=False, write_statistics=False)
        sizes[codec] = sink.getvalue().size
    return 1 - sizes["snappy"] / sizes["none"]


def test_numbers_timestamps_and_bools_keep_snappy_only_where_it_shrinks_them(tmp_path):
    rng = np.random.default_rng(0)
    measured = rng.normal(size=ROWS)
    measured[::10] = np.nan  # missing readings do not make a column compressible
    frame = pd.DataFrame(
        {
            "measured": measured,
            "wide_ids": rng.integers(-(2**62), 2**62, ROWS),
            "scattered_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**15, ROWS)),
            "coin": rng.random(ROWS) < 0.5,
            "mostly_zero": np.where(rng.random(ROWS) < 0.05, rng.random(ROWS), 0.0),
            "price": rng.integers(1, 20, ROWS) * 0.5,
            "count": rng.integers(0, 100, ROWS),
            "nullable_count": pd.array(np.where(rng.random(ROWS) < 0.1, None, rng.integers(0, 100, ROWS)), "Int64"),
            "every_second": pd.Series(pd.date_range("2026-01-01", periods=ROWS, freq="s", tz="UTC")),
            "rare_flag": rng.random(ROWS) < 0.01,
            "name": rng.choice(["red", "white", "rosé"], ROWS),
            "grade": pd.Categorical(rng.choice(["a", "b"], ROWS)),
        }
    )
    codecs = written(frame, tmp_path)
    assert codecs.pop("name") == codecs.pop("grade") == ("SNAPPY", True)  # text: dictionary, then snappy
    incompressible = ["measured", "wide_ids", "scattered_at", "coin"]
    assert codecs == {
        **dict.fromkeys(incompressible, ("UNCOMPRESSED", False)),
        **dict.fromkeys(set(codecs) - set(incompressible), ("SNAPPY", False)),
    }
    # The rule against pyarrow's own measurement of each whole column: snappy kept where it saves a fifth.
    for name, (codec, _) in codecs.items():
        assert (codec == "SNAPPY") == (snappy_saves(frame[name]) >= 0.2), name


def test_the_codec_follows_the_values_wherever_they_sit_in_a_large_column(tmp_path):
    rows = 200_000  # larger than the sample: compressible runs in the middle and at the end are seen
    rng = np.random.default_rng(2)
    halves = np.concatenate([rng.random(rows // 2), np.zeros(rows // 2)])
    frame = pd.DataFrame({"random": rng.random(rows), "second_half_zero": halves})
    codecs = written(frame, tmp_path)
    assert codecs["random"][0] == "UNCOMPRESSED"
    assert codecs["second_half_zero"][0] == "SNAPPY"


def test_columns_arrow_cannot_lay_out_are_refused_by_the_parquet_writer_with_the_fix(tmp_path):
    frame = pd.DataFrame({"z": np.array([1 + 2j, 3 - 1j])})
    with pytest.raises(integration.SerializationError, match=r"complex128.*serialization_module to 'pickle'"):
        formats.dump(frame, formats.FORMATS["parquet"], tmp_path, {})


@pytest.mark.parametrize("index", [pd.Index(np.arange(ROWS) * 3), pd.Index(np.arange(ROWS) * 3, name="row_id")])
def test_a_stored_index_keeps_snappy_under_the_name_pyarrow_gives_it(tmp_path, index):
    frame = pd.DataFrame({"x": np.random.default_rng(1).random(ROWS)}, index=index)
    codecs = written(frame, tmp_path)
    assert codecs.pop("x") == ("UNCOMPRESSED", False)
    assert list(codecs.values()) == [("SNAPPY", False)]  # the index column, whatever it is called


def test_an_empty_frame_is_written_and_read_back(tmp_path):
    written(pd.DataFrame({"x": pd.Series([], dtype="float64"), "name": pd.Series([], dtype="str")}), tmp_path)
