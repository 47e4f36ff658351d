"""How Python objects become artifact files and back: one dispatch table, one record per artifact.

- pandas DataFrames are written as Parquet (readable without unpickling, viewable as a table);
- any other object goes through a pickle-family module: ``pickle`` (default), ``dill``, ``cloudpickle`` or
  ``joblib``, with the ``parameters`` given to its ``dump`` (``protocol`` defaults to the highest);
- W&B objects (``wandb.Table``, ``wandb.Image``, …) and ``wandb.Artifact`` outputs are handled by
  ``wandb_objects`` in W&B's own JSON formats.

The format used is recorded in the artifact metadata under ``SERIALIZATION_KEY``; readers take it from
there and never guess from file names, so a pickle the integration did not write is never unpickled.
"""

from __future__ import annotations

import importlib
import pickle
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SerializationError

SERIALIZATION_KEY = "source_serialization_module"


def _pickle_like_dump(module_name: str) -> Callable[[Any, Path, Mapping[str, Any]], None]:
    def dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> None:
        module = _import(module_name)
        options = {"protocol": pickle.HIGHEST_PROTOCOL, **parameters}
        with open(path, "wb") as handle:
            module.dump(obj, handle, **options)

    return dump


def _pickle_like_load(module_name: str) -> Callable[[Path, Mapping[str, Any]], Any]:
    def load(path: Path, parameters: Mapping[str, Any]) -> Any:
        with open(path, "rb") as handle:
            return _import(module_name).load(handle)

    return load


def _joblib_dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> None:
    _import("joblib").dump(obj, path, **parameters)


def _joblib_load(path: Path, parameters: Mapping[str, Any]) -> Any:
    return _import("joblib").load(path)


def _parquet_dump(obj: Any, path: Path, parameters: Mapping[str, Any]) -> None:
    obj.to_parquet(path, **parameters)


def _parquet_load(path: Path, parameters: Mapping[str, Any]) -> Any:
    return _import("pandas").read_parquet(path)


@dataclass(frozen=True)
class Format:
    name: str
    entry: str
    dump: Callable[[Any, Path, Mapping[str, Any]], None]
    load: Callable[[Path, Mapping[str, Any]], Any]
    # Loading a pickle-family file can run arbitrary code: only files the integration wrote are loaded.
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


def is_dataframe(obj: Any) -> bool:
    # Checked through sys.modules so that writing a plain object never imports pandas.
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(obj, pandas.DataFrame)


def choose_format(obj: Any, requested: str | None) -> Format:
    if requested is not None:
        return FORMATS[requested]
    return FORMATS["parquet"] if is_dataframe(obj) else FORMATS["pickle"]


def dump(obj: Any, fmt: Format, directory: Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``obj`` into ``directory`` and return the record to keep in the artifact metadata."""
    _import("pyarrow" if fmt.name == "parquet" else fmt.name)
    path = directory / fmt.entry
    try:
        fmt.dump(obj, path, parameters)
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(
            f"could not serialize {type(obj).__module__}.{type(obj).__qualname__} with {fmt.name!r} "
            f"({type(exc).__name__}: {exc}); return a picklable value or set serialization_module "
            "to 'cloudpickle' or 'dill' in wandb_artifact_configuration."
        ) from exc
    return {"name": fmt.name, "entry": fmt.entry, "parameters": dict(parameters)}


def record_of(metadata: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The serialization record an artifact's metadata carries, if the integration wrote one."""
    record = metadata.get(SERIALIZATION_KEY)
    if not isinstance(record, Mapping) or record.get("name") not in FORMATS:
        return None
    # The entry is fixed by the format: a record naming any other file was not written by this integration.
    return record if record.get("entry") == FORMATS[record["name"]].entry else None


def load(path: Path, record: Mapping[str, Any]) -> Any:
    fmt = FORMATS[record["name"]]
    try:
        return fmt.load(path, record.get("parameters", {}))
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(
            f"could not read {path.name} with {fmt.name!r} ({type(exc).__name__}: {exc}); the artifact may "
            "have been written with other library versions: read it with get_path and load it yourself."
        ) from exc
