"""How a pandas DataFrame becomes ``output.parquet`` and back: write options chosen by measurement, the
W&B digest computed while the file is written."""

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


def load(path: Path) -> Any:
    # Memory-mapped: stored files are read-only and never rewritten in place, and reading the file into
    # Arrow's allocator first cost more than decoding it. The frame's arrays are copied out of the map into
    # Arrow's own pool, which reuses its memory across reads (the system allocator cost ~40 ms more per 80 MB
    # frame when one process reads repeatedly, and the same in a fresh process).
    return import_module("pyarrow.parquet").read_table(path, memory_map=True).to_pandas()
