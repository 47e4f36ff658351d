"""Scenarios that need a filesystem of their own: a tiny tmpfs (a full disk) or a read-only bind mount.

``run(tmp_path, scenario, mounts)`` runs ``scenario`` from this module in a child process inside a private
mount namespace (``unshare -m`` as root, ``unshare -rm`` otherwise), after the shell commands ``mounts``;
the scenario returns a JSON-able dict describing what happened and what survived. Tests that need this
are skipped where no mount namespace can be made (``AVAILABLE``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

PROJECT = Path(__file__).resolve().parents[3]
_FLAGS = ["-m"] if os.geteuid() == 0 else ["-r", "-m"]


def _available() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(["unshare", *_FLAGS, "true"], capture_output=True, check=False)
    return probe.returncode == 0


AVAILABLE = _available()


def run(tmp_path: Path, scenario: str, mounts: list[str], **env: str) -> dict:
    script = (
        "import json, sys\n"
        "from tests.wandb_integration.stores import isolated\n"
        "print('RESULT:' + json.dumps(getattr(isolated, sys.argv[1])()))\n"
    )
    shell = " && ".join([*mounts, f'exec "{sys.executable}" -c "$0" {scenario}'])
    completed = subprocess.run(
        ["unshare", *_FLAGS, "sh", "-c", shell, script],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT:")]
    assert lines, f"the scenario {scenario} did not finish:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("RESULT:"))


# ---------------------------------------------------------------------------------------------- scenarios
def _io_manager(base: str):
    from tests._package import integration

    resource = integration.WandbResource(entity="e", project="p", mode="offline", base_dir=base)
    return integration.WandbArtifactsIOManager(wandb_resource=resource)


def _failure(assets: list, base: str, **kwargs) -> dict:
    """Materialize; describe the integration error a failure carries (class, its bases, message)."""
    from tests._package import integration

    try:
        dg.materialize(assets, resources={"io_manager": _io_manager(base), **kwargs.pop("resources", {})}, **kwargs)
    except Exception as exc:
        error: BaseException | None = exc
        while error is not None and not isinstance(error, integration.WandbArtifactsIOManagerError):
            error = error.__cause__ or getattr(error, "user_exception", None)
        if error is None:
            return {"ok": False, "class": type(exc).__name__, "bases": [], "message": str(exc)}
        return {
            "ok": False,
            "class": type(error).__name__,
            "bases": [c.__name__ for c in type(error).__mro__],
            "message": str(error),
        }
    return {"ok": True}


def _handed_out(base: str) -> dict:
    """What user code gets for ``get_path`` and ``download()`` of the one stored version of ``e/p/upstream``."""
    from tests._package import local_store, store_base

    store = local_store.LocalArtifactStore(Path(base) / "wandb" / "artifacts")
    version = store.resolve(store_base.ArtifactId("e", "p", "upstream"))
    (entry,) = version.entries
    try:
        handed = store.checkout(version, entry)
        folder = Path(store.open(version).download())
    except Exception as exc:
        return {"ok": False, "class": type(exc).__name__, "message": str(exc)}
    stored = store.local_path(version, entry)
    return {"ok": True, "same_bytes": handed.read_bytes() == stored.read_bytes(), "folder": os.listdir(folder)}


def _repair(base: str, *, dry_run: bool) -> dict:
    """The repair command on ``base``: its exit status and what it printed."""
    import contextlib
    import io

    from tests._package import integration_main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = integration_main.main(["repair", "--base-dir", base, *(["--dry-run"] if dry_run else [])])
    return {"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}


def _survivors(base: str, name: str) -> dict:
    """Every version of ``e/p/<name>`` verified byte for byte, and what is left in the store's scratch area."""
    from tests._package import local_store, store_base

    store = local_store.LocalArtifactStore(Path(base) / "wandb" / "artifacts")
    verified = []
    for version in store.versions(store_base.ArtifactId("e", "p", name)):
        store.verify(version)
        verified.append(version.version)
    staging = Path(base) / "wandb" / "artifacts" / ".staging"
    leftovers = [p.name for p in staging.iterdir() if not p.name.endswith(".lock")] if staging.is_dir() else []
    return {"verified": verified, "staging_leftovers": leftovers}


def _fill(base: str, leave_bytes: int) -> None:
    """Fill the filesystem of ``base`` up to ``leave_bytes`` free."""
    filler = Path(base) / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - leave_bytes))


def disk_full() -> dict:
    import numpy as np
    import pandas as pd

    base = os.environ["STORE_BASE"]
    # Neither the big frame (~1.6 MB of random floats, serialized in memory) nor the streamed one (~9.6 MB,
    # written by pyarrow straight to disk while a second thread hashes it) fits in 1 MB.
    rows = {"small": 10, "big": 200_000, "streamed": 1_200_000}

    def frame_asset(size: str):
        @dg.asset(name="frame")
        def frame():
            return pd.DataFrame({"x": np.random.default_rng(0).random(rows[size])})

        return frame

    @dg.asset(
        name="frame", metadata={"wandb_artifact_configuration": {"add_files": [{"local_path": os.environ["BIG_FILE"]}]}}
    )
    def frame_with_file():
        return pd.DataFrame({"x": [1.0]})

    @dg.asset(name="frame")
    def frame_again():
        return pd.DataFrame({"x": [2.0, 3.0]})

    result = {"small": _failure([frame_asset("small")], base)}
    result["parquet"] = _failure([frame_asset("big")], base)
    result["parquet_after"] = _survivors(base, "frame")
    result["streamed"] = _failure([frame_asset("streamed")], base)
    result["streamed_after"] = _survivors(base, "frame")
    result["add_files"] = _failure([frame_with_file], base)
    result["add_files_after"] = _survivors(base, "frame")
    _fill(base, leave_bytes=6000)  # the payload fits; its manifest and index may not
    result["records"] = _failure([frame_again], base)
    result["records_after"] = _survivors(base, "frame")
    # A lost index on a full disk: repair cannot write the rebuilt one and says so; reads still work.
    (Path(base) / "wandb" / "artifacts" / "e" / "p" / "frame" / "index.json").unlink()
    _fill(base, leave_bytes=0)
    result["repair"] = _repair(base, dry_run=False)
    result["repair_after"] = _survivors(base, "frame")
    return result


def read_only() -> dict:
    base, elsewhere = os.environ["STORE_BASE"], os.environ["OTHER_OUTPUTS"]
    try:
        (Path(base) / "probe").touch()
        writable = True
    except OSError:
        writable = False

    @dg.asset(name="upstream")
    def upstream():
        raise AssertionError("not run: only read")

    seen = []

    @dg.asset(io_manager_key="elsewhere")
    def downstream(upstream):
        seen.append(upstream)
        return len(upstream)

    read = _failure(
        [upstream, downstream],
        base,
        selection=[downstream],
        resources={"elsewhere": dg.FilesystemIOManager(base_dir=elsewhere)},
    )

    @dg.asset(name="upstream")
    def rewrite():
        return [4, 5, 6]

    return {
        "writable": writable,
        "read": read,
        "seen": seen,
        "handed_out": _handed_out(base),
        "write": _failure([rewrite], base),
        "repair_dry_run": _repair(base, dry_run=True),
        "repair": _repair(base, dry_run=False),
    }
