"""Importing a serialization module (a clear error when it is not installed) and calling its functions with
the user's ``parameters`` (checked against the signature first, so a wrong keyword names the function)."""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

from ..errors import SerializationError, WandbConfigurationError


def import_module(module_name: str) -> Any:
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


def call(function: Callable[..., Any], name: str, *args: Any, **parameters: Any) -> None:
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
    try:
        function(*args, **parameters)
    except TypeError as exc:  # a function taking **kwargs (dill.dump) passes them on, where they fail
        unknown = [key for key in parameters if "keyword argument" in str(exc) and f"'{key}'" in str(exc)]
        if not unknown:
            raise
        raise WandbConfigurationError(
            f"serialization_module parameter {unknown[0]!r} is not accepted by {name} ({exc}); use the keyword "
            f"arguments of {name} in 'parameters'."
        ) from exc
