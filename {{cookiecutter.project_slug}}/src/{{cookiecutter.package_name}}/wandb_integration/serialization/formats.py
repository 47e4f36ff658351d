"""How Python objects become artifact files and back: one dispatch table, the format named in metadata.

- pandas DataFrames are written as Parquet (readable without unpickling, viewable as a table), unless
  Parquet would not give the frame back exactly: then they are pickled, and the run log says why (parquet.py);
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

import pickle
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SerializationError, WandbConfigurationError
from ..stores.digests import DigestingWriter
from ..stores.files import storage_errno
from . import parquet
from .modules import call, import_module

SERIALIZATION_KEY = "source_serialization_module"
PARAMETERS_KEY = "source_serialization_parameters"
PROTOCOL_KEY = "source_pickle_protocol_used"


Digest = tuple[str, int]  # W&B's file digest and the size, of what a format wrote


def _pickle_like_dump(module_name: str) -> Callable[[Any, Path, Mapping[str, Any]], Digest]:
    def dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> Digest:
        module = import_module(module_name)
        options = {"protocol": pickle.HIGHEST_PROTOCOL, **parameters}
        with DigestingWriter(path) as handle:
            call(module.dump, f"{module_name}.dump", obj, handle, **options)
        return handle.digest, handle.size

    return dump


def _pickle_like_load(module_name: str) -> Callable[[Path], Any]:
    def load(path: Path) -> Any:
        with open(path, "rb") as handle:
            return import_module(module_name).load(handle)

    return load


def _joblib_dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> Digest:
    with DigestingWriter(path) as handle:  # joblib's own default is protocol 4; the metadata says what was used
        options = {"protocol": pickle.HIGHEST_PROTOCOL, **parameters}
        call(import_module("joblib").dump, "joblib.dump", obj, handle, **options)
    return handle.digest, handle.size


def _joblib_load(path: Path) -> Any:
    return import_module("joblib").load(path)


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
    "parquet": Format("parquet", "output.parquet", parquet.dump, parquet.load, runs_code_on_load=False),
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


def is_dataframe(obj: Any) -> bool:
    # Checked through sys.modules so that writing a plain object never imports pandas.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def choose_format(obj: Any, requested: str | None) -> tuple[Format, str | None]:
    """The format for ``obj`` and, when a DataFrame is pickled because Parquet would change it, why."""
    if requested is not None:
        return FORMATS[requested], None
    if not is_dataframe(obj):
        return FORMATS["pickle"], None
    reason = parquet.problem(obj)
    return (FORMATS["pickle"], reason) if reason else (FORMATS["parquet"], None)


def dump(obj: Any, fmt: Format, directory: Path, parameters: Mapping[str, Any]) -> tuple[dict[str, Any], Digest]:
    """Write ``obj`` into ``directory``; return the metadata naming the format, and the file's digest and size."""
    import_module("pyarrow" if fmt.name == "parquet" else fmt.name)
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
            metadata[f"source_{fmt.name}_version_used"] = str(
                getattr(import_module(fmt.name), "__version__", "unknown")
            )
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
