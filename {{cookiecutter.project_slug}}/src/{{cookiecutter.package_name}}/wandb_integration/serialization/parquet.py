"""How a pandas DataFrame becomes ``output.parquet`` and back: exactly, or not at all.

Parquet cannot hold everything a DataFrame can: Python objects in an object column (numbers, lists, dicts,
decimals, timestamps of mixed zones) come back converted, a subclass as a plain DataFrame, an index's
frequency is dropped, ``datetime64[s]`` returns as ``[ms]``, categories of numbers as plain numbers, column
labels of mixed types as strings. ``problem`` finds these before anything is written (object columns by
the kinds of values they hold, everything else by a round trip of the first rows), and such a frame is
pickled instead, with a warning saying why, so no value changes on its way through the store. Write
options are chosen by measurement; the W&B digest is computed while the file is written."""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..stores.digests import bytes_digest, written_with_digest
from .modules import call, import_module

# Frames above this size are written straight to disk, hashed as they land; smaller ones in memory first.
_SMALL_FRAME_BYTES = 8 * 1024 * 1024


def dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> tuple[str, int]:
    options = {**parquet_defaults(obj), **parameters}
    # The unbound method: its signature is computed once, not for every frame.
    write = functools.partial(call, type(obj).to_parquet, "DataFrame.to_parquet", obj, **options)
    if obj.memory_usage(index=True, deep=False).sum() > _SMALL_FRAME_BYTES:
        return written_with_digest(path, write)  # hashed by a second thread while pyarrow writes
    buffer = io.BytesIO()  # a small frame: one write of bytes hashed at once, no thread
    write(buffer)
    data = buffer.getvalue()
    path.write_bytes(data)
    return bytes_digest(data), len(data)


def parquet_defaults(frame: Any) -> dict[str, Any]:
    """Write options chosen by measurement (benchmarks/README.md, "Parquet choices"): pyarrow's default
    dictionary-encodes every column, which costs the most on numbers and saves nothing there, so only text
    and category columns are (their round trip needs it); no column statistics, which cost a third of the
    write and help only readers that filter, where a whole frame is read back. Snappy compresses text well,
    but numbers, timestamps and bools only when their values repeat or use few of their bytes: random floats,
    wide-range ints and scattered timestamps pass through it unshrunk at up to half the write and read. So
    each such column is tried: a sample of its values is compressed, and the column keeps snappy only if
    that saves at least a fifth of the bytes."""
    pandas = import_module("pandas")
    text, compression = [], {}
    sample = _sample_rows(len(frame))
    for position, (name, dtype) in enumerate(frame.dtypes.items()):
        if isinstance(dtype, pandas.CategoricalDtype) or pandas.api.types.is_string_dtype(dtype):
            text.append(str(name))
            tried = False
        else:
            tried = pandas.api.types.is_numeric_dtype(dtype) or dtype.kind in "mM"
        compress = not tried or _compresses(frame.iloc[:, position].take(sample))
        compression[str(name)] = "snappy" if compress else "none"
    for level, name in enumerate(frame.index.names):  # a stored index keeps snappy, under either name
        compression.setdefault(f"__index_level_{level}__", "snappy")
        if name is not None:
            compression.setdefault(str(name), "snappy")
    return {"use_dictionary": text, "write_statistics": False, "compression": compression}


_SAMPLE_BLOCKS, _SAMPLE_BLOCK_ROWS = 8, 1024  # snappy works on nearby bytes: runs of rows, spread out


def _sample_rows(rows: int) -> Any:
    numpy = import_module("numpy")
    if rows <= _SAMPLE_BLOCKS * _SAMPLE_BLOCK_ROWS:
        return numpy.arange(rows)
    starts = numpy.linspace(0, rows - _SAMPLE_BLOCK_ROWS, _SAMPLE_BLOCKS).astype("int64")
    return (starts[:, None] + numpy.arange(_SAMPLE_BLOCK_ROWS)).ravel()


def _compresses(sample: Any) -> bool:
    """Whether snappy saves at least a fifth of a column's value bytes, judged on rows of it as Arrow lays
    them out (bools as bits). Missing values do not count much: Parquet stores them as nulls, not values."""
    pyarrow = import_module("pyarrow")
    try:
        values = pyarrow.Array.from_pandas(sample).buffers()[1]
    except pyarrow.ArrowException:  # a dtype Arrow has no plain layout for (complex, sparse): to_parquet judges it
        return True
    if values is None or values.size == 0:
        return True  # nothing to judge by (an empty or all-null column): the codec does not matter
    return pyarrow.compress(values, "snappy", asbytes=False).size <= 0.8 * values.size


def load(path: Any) -> Any:
    # Memory-mapped: stored files are read-only and never rewritten in place, and reading the file into
    # Arrow's allocator first cost more than decoding it. The frame's arrays are copied out of the map into
    # Arrow's own pool, which reuses its memory across reads (the system allocator cost ~40 ms more per 80 MB
    # frame when one process reads repeatedly, and the same in a fresh process).
    table = import_module("pyarrow.parquet").read_table(path, memory_map=True)
    return _with_object_strings(table.to_pandas(), table.schema.pandas_metadata)


def _with_object_strings(frame: Any, metadata: dict[str, Any] | None) -> Any:
    """Columns of strings that were ``object`` when written get that dtype back (pandas 3 reads them as
    ``str``); every other column is as Arrow's pandas metadata restored it."""
    if not metadata:
        return frame
    index_columns = set(c for c in metadata.get("index_columns", []) if isinstance(c, str))
    stored = [c for c in metadata.get("columns", []) if c.get("field_name") not in index_columns]
    is_object = import_module("pandas").api.types.is_object_dtype
    for position, column in enumerate(stored[: frame.shape[1]]):
        if column.get("numpy_type") == "object" and not is_object(frame.dtypes.iloc[position]):
            values = frame.iloc[:, position]
            frame.isetitem(position, values.astype(object).where(values.notna(), None))  # missing as None
    return frame


_ROUND_TRIP_ROWS = 100
_EXACT_OBJECT_KINDS = ("string", "bytes", "empty")  # what an object column may hold to come back as it was


def problem(frame: Any) -> str | None:
    """Why Parquet would not give ``frame`` back exactly, or ``None`` when it would."""
    pandas = import_module("pandas")
    if type(frame) is not pandas.DataFrame:
        return f"it is a {type(frame).__module__}.{type(frame).__qualname__}, which Parquet reads back as a DataFrame"
    for position, (name, dtype) in enumerate(frame.dtypes.items()):
        if pandas.api.types.is_object_dtype(dtype):
            values = frame.iloc[:, position]
            kind = pandas.api.types.infer_dtype(values, skipna=True)
            if kind not in _EXACT_OBJECT_KINDS:
                return f"column {name!r} holds Python objects ({kind}) that Parquet would convert"
            missing = values.isna()
            if missing.any() and not values[missing].map(lambda value: value is None).all():
                return f"column {name!r} marks missing values with NaN, which Parquet brings back as None"
            kinds = set(values[~missing].map(type))
            if not kinds <= {str, bytes}:  # numpy.str_, subclasses of str: their values come back as str
                return f"column {name!r} holds values of type {sorted(k.__name__ for k in kinds - {str, bytes})}"
        elif dtype.name in ("Float32", "Float64") and _holds_nan(frame.iloc[:, position]):
            return f"column {name!r} holds NaN values besides <NA>, which Parquet brings back as <NA>"
    if frame.shape[1] == 0 and len(frame):
        return "it has rows but no columns, which Parquet does not keep"
    if not frame.flags.allows_duplicate_labels:
        return "it does not allow duplicate labels (a flag Parquet does not keep)"
    for what, labels in (("index", frame.index), ("column labels", frame.columns)):
        levels = labels.levels if isinstance(labels, pandas.MultiIndex) else [labels]
        if any(pandas.api.types.is_object_dtype(level.dtype) for level in levels):
            return f"its {what} hold Python objects, which Parquet brings back converted"
    if getattr(frame.index, "freq", None) is not None:
        return f"its index has the frequency {frame.index.freqstr!r}, which Parquet does not keep"
    if _plainly_exact(frame, pandas):
        return None  # the everyday frame: no round trip needed
    sample = frame.iloc[:_ROUND_TRIP_ROWS]  # what changes is a column's type or a label: a few rows show it
    buffer = io.BytesIO()
    try:  # the options that matter to a round trip (dictionaries keep categories); codecs do not
        text = parquet_defaults(sample.iloc[:0])["use_dictionary"]
        sample.to_parquet(buffer, use_dictionary=text, compression="none", write_statistics=False)
        back = load(import_module("pyarrow").BufferReader(buffer.getvalue()))
    except Exception as exc:
        return f"Parquet cannot store it ({type(exc).__name__}: {exc})"
    return _difference(sample, back)


_EXACT_UNITS = ("ns", "us", "ms")  # Parquet has no seconds: datetime64[s] comes back as [ms]
_MASKED = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean")


def _plainly_exact(frame: Any, pandas: Any) -> bool:
    """A frame whose every part Parquet is known to give back as it was (checked against round trips in the
    tests): a range index, unique string labels, and columns of numbers, bools, strings, timestamps in ns,
    us or ms, nullable numbers, or categories of strings."""
    columns, types, numpy = frame.columns, pandas.api.types, import_module("numpy")
    if not isinstance(frame.index, pandas.RangeIndex) or not isinstance(frame.index.name, (str, type(None))):
        return False
    if isinstance(columns, pandas.MultiIndex) or not columns.is_unique or columns.name is not None:
        return False
    if not all(isinstance(label, str) for label in columns):
        return False
    if not _default_strings(columns.dtype, pandas):
        return False
    for dtype in frame.dtypes:
        if isinstance(dtype, pandas.CategoricalDtype):
            exact = _default_strings(dtype.categories.dtype, pandas)
        elif isinstance(dtype, pandas.DatetimeTZDtype):
            exact = dtype.unit in _EXACT_UNITS and type(dtype.tz).__module__ in ("zoneinfo", "datetime")
        elif getattr(dtype, "kind", None) == "M":
            exact = types.is_datetime64_dtype(dtype) and dtype.name.removeprefix("datetime64[")[:-1] in _EXACT_UNITS
        elif isinstance(dtype, pandas.StringDtype):
            exact = dtype.storage == "pyarrow"  # python-backed strings come back pyarrow-backed
        else:
            # numpy's own numbers and bools; not a sparse or other extension dtype of the same kind
            exact = dtype.name in _MASKED or (isinstance(dtype, numpy.dtype) and dtype.kind in "iufb")
        if not exact or dtype.name in ("float16", "Float32", "Float64"):
            return False
    return True


def _holds_nan(values: Any) -> bool:
    """Whether a nullable float column holds NaN as a value (not as <NA>, which comes back as it was)."""
    return bool(import_module("numpy").isnan(values.to_numpy("float64", na_value=0.0)).any())


def _default_strings(dtype: Any, pandas: Any) -> bool:
    """pandas 3's own string dtype (``str``, pyarrow-backed): what Parquet gives text back as."""
    return isinstance(dtype, pandas.StringDtype) and dtype.storage == "pyarrow" and dtype.na_value is not pandas.NA


def _difference(sample: Any, back: Any) -> str | None:
    for what, ours, theirs in (("column labels", sample.columns, back.columns), ("index", sample.index, back.index)):
        if not (ours.equals(theirs) and ours.dtype == theirs.dtype and list(ours.names) == list(theirs.names)):
            return f"its {what} would come back changed ({list(ours[:5])} as {list(theirs[:5])})"
    for position, (name, dtype) in enumerate(sample.dtypes.items()):
        if back.dtypes.iloc[position] != dtype:
            return f"column {name!r} would come back as {back.dtypes.iloc[position]}, not {dtype}"
    return None if back.equals(sample) else "its values would come back changed"
