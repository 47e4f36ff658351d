"""pytest fixtures that run the real wandb SDK online against the W&B API stand-in.

Load them from a ``conftest.py``::

    pytest_plugins = ["<package>.wandb_integration.testing.fixtures"]

then ask for ``wandb_server`` in a test: wandb is online, talks only to a fresh stand-in on 127.0.0.1 and
writes only under ``tmp_path``. ``wandb_server_features`` picks the server features the stand-in reports:
``"off"`` (default, the SDK's oldest request shapes) or ``"on"`` (all of them, the newest shapes).
Parametrize it to run a test both ways, or set ``WANDB_STAND_IN_FEATURES=on`` to run a whole suite with
everything on.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..resource import WandbResource
from .server import FakeWandbServer

# The request shapes the stand-in serves were taken from this series; another one may send other shapes.
WANDB_SERIES = "0.31."
# wandb only checks the key's format (40+ word characters); distinctive so leak checks can search for it.
DUMMY_API_KEY = "standin_dummy_key_0123456789abcdefghijkl"
ENTITY = "stand-in"
ORG_ENTITY = "stand-in-org"
_FEATURE_SWITCH = "WANDB_STAND_IN_FEATURES"
# Left over from the caller's shell or an earlier test, these would redirect runs away from the test's values.
_CLEARED = (
    "WANDB_ENTITY",
    "WANDB_PROJECT",
    "WANDB_RUN_ID",
    "WANDB_RESUME",
    "WANDB_RUN_GROUP",
    "WANDB_SERVICE",
    "WANDB_APP_URL",
    "WANDB_IDENTITY_TOKEN_FILE",
)


def all_server_features() -> list[str]:
    """Every feature name this wandb knows, read from its own protobuf enum so new ones are included."""
    from wandb.proto import wandb_internal_pb2

    return [value.name for value in wandb_internal_pb2.ServerFeature.DESCRIPTOR.values if value.number != 0]


def reset_wandb() -> None:
    """Forget wandb's process-global state: loaded settings, session credentials and the wandb-core service.

    wandb reads ``WANDB_*`` variables once per process, into a settings singleton, on the first
    ``wandb.init`` / ``wandb.Api()``; later changes are ignored ("your wandb session has already started"),
    so a test pointing wandb at a new server would still reach the previous one (or stay offline).
    ``wandb.teardown()`` is the public way to drop that singleton: it finishes unfinished runs, shuts the
    service down (the next init starts a new one, ~0.3 s) and clears the session's credentials.
    """
    import wandb

    wandb.teardown()


def build_wandb_models() -> None:
    """Build wandb's generated pydantic models now, in the calling thread.

    wandb builds them on first use, and pydantic reads each class's source with ``ast.parse`` while doing
    so. When that happens in one of wandb's own threads during a parse in the test's thread, CPython 3.11
    before 3.11.8 (gh-106905) can fail either one with "SystemError: AST constructor recursion depth
    mismatch". Built once up front, nothing is left to build in another thread.
    """
    for package in ("wandb.apis._generated", "wandb.sdk.artifacts._generated"):
        module = importlib.import_module(package)
        for found in pkgutil.iter_modules(module.__path__):
            importlib.import_module(f"{package}.{found.name}")


@pytest.fixture
def wandb_server_features() -> str:
    """``"off"`` or ``"on"``; parametrize this name to choose per test."""
    return os.environ.get(_FEATURE_SWITCH, "off")


@pytest.fixture
def wandb_server(
    wandb_server_features: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeWandbServer]:
    """A running stand-in, with wandb configured online against it; fails the test if the SDK sent an
    operation the stand-in does not serve (even one the SDK tolerated), so request drift is noticed."""
    import wandb

    assert wandb.__version__.startswith(WANDB_SERIES), (
        f"the W&B stand-in serves wandb {WANDB_SERIES}x request shapes but wandb {wandb.__version__} is "
        "installed; pin wandb or update wandb_integration/testing/ for the new version"
    )
    if wandb_server_features not in ("off", "on"):
        raise pytest.UsageError(f"wandb_server_features is {wandb_server_features!r}; use 'off' or 'on'.")
    features = all_server_features() if wandb_server_features == "on" else []
    build_wandb_models()
    reset_wandb()  # settings loaded by an earlier (offline) test would win over the environment below
    server = FakeWandbServer(entity=ENTITY, org_entity=ORG_ENTITY, features=features).start()
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    scratch = tmp_path / "wandb-online"
    environment = {
        "WANDB_BASE_URL": server.url,
        "WANDB_API_KEY": DUMMY_API_KEY,
        "WANDB_MODE": "online",
        "WANDB_SILENT": "true",
        "WANDB_ERROR_REPORTING": "false",  # error reports would go to the real default host
        "WANDB__DISABLE_STATS": "true",  # no system-metrics helper process per run
        "WANDB__SAVE_REQUIREMENTS": "false",  # skips listing installed packages at every init
    }
    for name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR"):
        environment[name] = str(scratch / name.lower())
        Path(environment[name]).mkdir(parents=True)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    try:
        yield server
    finally:
        reset_wandb()  # finishes runs a failing test left open, while the stand-in still answers
        server.stop()
    if server.unsupported:
        pytest.fail(f"wandb sent operations the W&B stand-in does not serve: {sorted(set(server.unsupported))}")


def online_resource(server: FakeWandbServer, base_dir: Path | str, **fields: Any) -> WandbResource:
    """A ``WandbResource`` online against ``server``, given host and key through its own fields (so it works
    with ``WANDB_BASE_URL`` / ``WANDB_API_KEY`` removed); ``fields`` add or override (``entity``, ``project``...)."""
    return WandbResource(
        **{
            "entity": ENTITY,
            "mode": "online",
            "api_key": DUMMY_API_KEY,
            "host": server.url,
            "base_dir": str(base_dir),
            **fields,
        }
    )


@pytest.fixture
def wandb_reader_cache(
    wandb_server: FakeWandbServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], Path]:
    """Call it between writing and reading: wandb then caches downloads in a new, empty folder.

    wandb keeps uploaded files in its cache (``WANDB_CACHE_DIR``), so a reader sharing the writer's cache
    never downloads anything. A separate folder makes reads really hit the stand-in, as a second machine
    (or a second step process) would.
    """
    counter = iter(range(1_000_000))

    def switch() -> Path:
        path = tmp_path / f"wandb-reader-cache-{next(counter)}"
        path.mkdir()
        monkeypatch.setenv("WANDB_CACHE_DIR", str(path))
        return path

    return switch
