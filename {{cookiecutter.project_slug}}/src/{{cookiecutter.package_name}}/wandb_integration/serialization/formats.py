"""How Python objects become artifact files and back: one dispatch table, the format named in metadata.

- pandas DataFrames are written as Parquet (readable without unpickling, viewable as a table);
- any other object goes through a pickle-family module: ``pickle`` (default), ``dill``, ``cloudpickle`` or
  ``joblib``, with the ``parameters`` given to its ``dump`` (``protocol`` defaults to the highest);
- W&B objects (``wandb.Table``, ``wandb.Image``, …) and ``wandb.Artifact`` outputs are handled by
  ``wandb_objects`` in W&B's own JSON formats.

Each format has one fixed entry (``output.parquet``, ``output.pickle``, …). The artifact metadata names the
format the way dagster-wandb does (``source_serialization_module: "pickle"``, plus
``source_pickle_protocol_used`` and ``source_<module>_version_used``), so either library reads what the
other wrote. Readers take the format from the metadata, never from a file name.

What is unpickled (the trust rule, also in the README): the entry of the format that the artifact's
metadata names, in an artifact of the IO manager's own entity/project (any project with
``unpickle_from_other_projects=True``). The metadata is not signed: whoever can write artifacts into that
entity/project (in W&B, or into the local store's folder) can make a read unpickle a file of their choice,
which runs code. Read artifacts you do not trust with ``get_path``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import io
import pickle
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SerializationError, WandbConfigurationError
from ..stores.digests import DigestingWriter, bytes_digest, written_with_digest
from ..stores.files import storage_errno

SERIALIZATION_KEY = "source_serialization_module"
# Frames above this size are written straight to disk, hashed as they land; smaller ones in memory first.
_SMALL_FRAME_BYTES = 8 * 1024 * 1024
PARAMETERS_KEY = "source_serialization_parameters"
PROTOCOL_KEY = "source_pickle_protocol_used"


Digest = tuple[str, int]  # W&B's file digest and the size, of what a format wrote


def _pickle_like_dump(module_name: str) -> Callable[[Any, Path, Mapping[str, Any]], Digest]:
    def dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> Digest:
        module = _import(module_name)
        options = {"protocol": pickle.HIGHEST_PROTOCOL, **parameters}
        with DigestingWriter(path) as handle:
            _call(module.dump, f"{module_name}.dump", obj, handle, **options)
        return handle.digest, handle.size

    return dump


def _pickle_like_load(module_name: str) -> Callable[[Path], Any]:
    def load(path: Path) -> Any:
        with open(path, "rb") as handle:
            return _import(module_name).load(handle)

    return load


def _joblib_dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> Digest:
    with DigestingWriter(path) as handle:  # joblib's own default is protocol 4; the metadata says what was used
        options = {"protocol": pickle.HIGHEST_PROTOCOL, **parameters}
        _call(_import("joblib").dump, "joblib.dump", obj, handle, **options)
    return handle.digest, handle.size


def _joblib_load(path: Path) -> Any:
    return _import("joblib").load(path)


def _parquet_dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> Digest:
    options = {**parquet_defaults(obj), **parameters}
    # The unbound method: its signature is computed once, not for every frame.
    write = functools.partial(_call, type(obj).to_parquet, "DataFrame.to_parquet", obj, **options)
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
    pandas = _import("pandas")
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
    numpy = _import("numpy")
    if rows <= _SAMPLE_BLOCKS * _SAMPLE_BLOCK_ROWS:
        return numpy.arange(rows)
    starts = numpy.linspace(0, rows - _SAMPLE_BLOCK_ROWS, _SAMPLE_BLOCKS).astype("int64")
    return (starts[:, None] + numpy.arange(_SAMPLE_BLOCK_ROWS)).ravel()


def _compresses(sample: Any) -> bool:
    """Whether snappy saves at least a fifth of a column's value bytes, judged on rows of it as Arrow lays
    them out (bools as bits). Missing values do not count much: Parquet stores them as nulls, not values."""
    pyarrow = _import("pyarrow")
    try:
        values = pyarrow.Array.from_pandas(sample).buffers()[1]
    except pyarrow.ArrowException:  # a dtype Arrow has no plain layout for (complex, sparse): to_parquet judges it
        return True
    if values is None or values.size == 0:
        return True  # nothing to judge by (an empty or all-null column): the codec does not matter
    return pyarrow.compress(values, "snappy", asbytes=False).size <= 0.8 * values.size


def _parquet_load(path: Path) -> Any:
    # Memory-mapped: stored files are read-only and never rewritten in place, and reading the file into
    # Arrow's allocator first cost more than decoding it. The frame's arrays are copied out of the map into
    # Arrow's own pool, which reuses its memory across reads (the system allocator cost ~40 ms more per 80 MB
    # frame when one process reads repeatedly, and the same in a fresh process).
    return _import("pyarrow.parquet").read_table(path, memory_map=True).to_pandas()


@dataclass(frozen=True)
class Format:
    name: str
    entry: str
    # (obj, path, parameters): writes ``path`` and returns its digest, computed while writing.
    dump: Callable[[Any, Path, Mapping[str, Any]], Digest]
    load: Callable[[Path], Any]
    # Loading a pickle-family file can run arbitrary code: see the trust rule above.
    runs_code_on_load: bool


FORMATS: dict[str, Format] = {
    "parquet": Format("parquet", "output.parquet", _parquet_dump, _parquet_load, runs_code_on_load=False),
    "pickle": Format("pickle", "output.pickle", _pickle_like_dump("pickle"), _pickle_like_load("pickle"), True),
    "dill": Format("dill", "output.dill", _pickle_like_dump("dill"), _pickle_like_load("dill"), True),
    "cloudpickle": Format(
        "cloudpickle",
        "output.cloudpickle",
        _pickle_like_dump("cloudpickle"),
        _pickle_like_load("cloudpickle"),
        True,
    ),
    "joblib": Format("joblib", "output.joblib", _joblib_dump, _joblib_load, runs_code_on_load=True),
}


def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise SerializationError(
            f"serialization module {module_name!r} is not installed; add it to the project "
            f"(`uv add {module_name}`) or choose another serialization_module."
        ) from exc


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _call(function: Callable[..., Any], name: str, *args: Any, **parameters: Any) -> None:
    """``function(*args, **parameters)``, after checking that it takes those parameters at all."""
    try:
        _signature(function).bind(*args, **parameters)
    except TypeError as exc:
        raise WandbConfigurationError(
            f"serialization_module parameters are not accepted by {name}: {exc}; use the keyword arguments of "
            f"{name} in 'parameters'."
        ) from exc
    except ValueError:  # no signature to check against (some builtins): let the call itself decide
        pass
    function(*args, **parameters)


def is_dataframe(obj: Any) -> bool:
    # Checked through sys.modules so that writing a plain object never imports pandas.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def choose_format(obj: Any, requested: str | None) -> Format:
    if requested is not None:
        return FORMATS[requested]
    return FORMATS["parquet"] if is_dataframe(obj) else FORMATS["pickle"]


def dump(obj: Any, fmt: Format, directory: Path, parameters: Mapping[str, Any]) -> tuple[dict[str, Any], Digest]:
    """Write ``obj`` into ``directory``; return the metadata naming the format, and the file's digest and size."""
    _import("pyarrow" if fmt.name == "parquet" else fmt.name)
    path = directory / fmt.entry
    try:
        digest = fmt.dump(obj, path, parameters)
    except (SerializationError, WandbConfigurationError):
        raise
    except Exception as exc:
        if storage_errno(exc) is not None:
            raise  # the disk, not the object: the IO manager reports it as a storage error
        other = (
            "'pickle' to store the frame pickled"
            if fmt.name == "parquet"
            else ("'cloudpickle' or 'dill' (they handle lambdas and local classes)")
        )
        raise SerializationError(
            f"could not serialize {type(obj).__module__}.{type(obj).__qualname__} with {fmt.name!r} "
            f"({type(exc).__name__}: {exc}); return a value {fmt.name} can write, or set serialization_module "
            f"to {other} in wandb_artifact_configuration."
        ) from exc
    return _metadata(fmt, parameters), digest


def _metadata(fmt: Format, parameters: Mapping[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {SERIALIZATION_KEY: fmt.name, PARAMETERS_KEY: dict(parameters)}
    if fmt.runs_code_on_load:
        metadata[PROTOCOL_KEY] = parameters.get("protocol", pickle.HIGHEST_PROTOCOL)
        if fmt.name != "pickle":
            metadata[f"source_{fmt.name}_version_used"] = str(getattr(_import(fmt.name), "__version__", "unknown"))
    return metadata


def format_of(metadata: Mapping[str, Any], entries: Mapping[str, Any]) -> Format | None:
    """The format ``metadata`` names for an artifact whose entries include that format's file, else ``None``.

    Accepts dagster-wandb's spelling (the module name as a string) and this integration's older record
    (``{"name", "entry", "parameters"}``), whose entry must be the format's own.
    """
    value = metadata.get(SERIALIZATION_KEY)
    if isinstance(value, Mapping):
        name = value.get("name")
        value = (
            name if isinstance(name, str) and name in FORMATS and value.get("entry") == FORMATS[name].entry else None
        )
    fmt = FORMATS.get(value) if isinstance(value, str) else None
    return fmt if fmt is not None and fmt.entry in entries else None


def load(path: Path, fmt: Format) -> Any:
    try:
        return fmt.load(path)
    except SerializationError:
        raise
    except Exception as exc:
        if storage_errno(exc) is not None:
            raise  # the stored file cannot be read (permission, I/O error): the caller names the version
        raise SerializationError(
            f"could not read {path.name} with {fmt.name!r} ({type(exc).__name__}: {exc}); the artifact may "
            "have been written with other library versions: read it with get_path and load it yourself."
        ) from exc
