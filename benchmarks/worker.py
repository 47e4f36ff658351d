"""One benchmark sample, run in a fresh process by harness.py; prints one JSON line.

Usage: ``python worker.py <case> --package <pkg> [options]`` with the baked project's ``src`` on
``PYTHONPATH``. Times cover the measured work only (imports and set-up are outside the clock).
"""

import argparse
import importlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def io_manager(kind: str, package: str, base_dir: Path):
    import dagster as dg

    if kind == "fs":
        return dg.FilesystemIOManager(base_dir=str(base_dir))
    integration = importlib.import_module(f"{package}.wandb_integration")
    resource_ = integration.WandbResource(entity="bench", project="bench", mode="offline", base_dir=str(base_dir))
    return integration.WandbArtifactsIOManager(wandb_resource=resource_)


def small_assets(args) -> dict:
    """Case 1: a chain of 20 assets holding small dicts and lists, materialized in one process."""
    import dagster as dg

    def make(index: int):
        ins = {"previous": dg.AssetIn(f"small_{index - 1}")} if index else {}

        @dg.asset(name=f"small_{index}", ins=ins)
        def _asset(**previous) -> dict:
            base = previous.get("previous", {"values": []})
            return {"index": index, "values": [*base["values"][-50:], index], "tags": ["a", "b"]}

        return _asset

    assets = [make(i) for i in range(args.count)]
    with tempfile.TemporaryDirectory() as folder:
        manager = io_manager(args.io, args.package, Path(folder))
        instance = dg.DagsterInstance.ephemeral()
        start = time.perf_counter()
        result = dg.materialize(assets, resources={"io_manager": manager}, instance=instance)
        seconds = time.perf_counter() - start
        assert result.success
    return {"seconds": seconds}


def dataframe(args) -> dict:
    """Case 2: one wide DataFrame written by one asset and read back by another."""
    import dagster as dg
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"f{i}": rng.normal(size=args.rows) for i in range(8)})
    frame["count"] = rng.integers(0, 1000, size=args.rows)
    frame["label"] = pd.Series(rng.choice([f"class_{i}" for i in range(10)], size=args.rows))

    @dg.asset
    def table() -> pd.DataFrame:
        return frame

    @dg.asset
    def rows(table: pd.DataFrame) -> None:
        assert len(table) == args.rows

    with tempfile.TemporaryDirectory() as folder:
        manager = io_manager(args.io, args.package, Path(folder))
        start = time.perf_counter()
        result = dg.materialize(
            [table, rows], resources={"io_manager": manager}, instance=dg.DagsterInstance.ephemeral()
        )
        seconds = time.perf_counter() - start
        assert result.success
        stored = [p for p in Path(folder).rglob("*") if p.is_file() and p.name in ("table", "output.parquet")]
        size = sum(p.stat().st_size for p in stored)
    return {"seconds": seconds, "bytes_on_disk": size}


def get_path(args) -> dict:
    """Case 3: repeated get_path reads of one large stored file: constant time, no copy."""
    import dagster as dg

    worker = importlib.import_module(f"{args.package}.wandb_integration.io_manager.worker")
    runs = importlib.import_module(f"{args.package}.wandb_integration.runs")
    settings_module = importlib.import_module(f"{args.package}.wandb_integration.settings")
    local = importlib.import_module(f"{args.package}.wandb_integration.stores.local")
    base = importlib.import_module(f"{args.package}.wandb_integration.stores.base")
    with tempfile.TemporaryDirectory() as folder:
        settings = settings_module.WandbSettings.build(entity="b", project="b", mode="offline", base_dir=folder)
        store = local.LocalArtifactStore(settings.store_dir)
        with store.staging_dir() as staging:
            big = staging / "big.bin"
            with open(big, "wb") as handle:
                block = os.urandom(1024 * 1024)
                for _ in range(args.size_mb):
                    handle.write(block)
            store.commit(
                base.ArtifactDraft(id=base.ArtifactId("b", "b", "big"), type="dataset", files={"big.bin": big})
            )
        options = runs.RunOptions(dagster_run_id="x" * 36, run_id="x" * 36, run_name="r", run_tags=())
        disk_before = folder_bytes(Path(folder))
        timings, paths = [], set()
        for _ in range(args.repeats + 1):
            io = worker.ArtifactIO(settings=settings, store=store, options=options)
            context = dg.build_input_context(
                asset_key="big", definition_metadata={"wandb_artifact_configuration": {"get_path": "big.bin"}}
            )
            start = time.perf_counter()
            paths.add(io.load_input(context))
            timings.append(time.perf_counter() - start)
        copied = folder_bytes(Path(folder)) - disk_before
    first, repeated = timings[0], sorted(timings[1:])[len(timings[1:]) // 2]
    return {
        "seconds": repeated,
        "first_read_s": first,
        "distinct_paths": len(paths),
        "bytes_copied": copied,
        "file_mb": args.size_mb,
    }


def cache_expiry(args) -> dict:
    """Case 4: expiry with many cached entries: nothing to expire, then some old entries to remove."""
    cache_module = importlib.import_module(f"{args.package}.wandb_integration.stores.cache")
    with tempfile.TemporaryDirectory() as folder:
        cache = cache_module.ArtifactCache(Path(folder), duration_minutes=60)

        def populate(target: Path) -> None:
            (target / "f").write_bytes(b"x")

        now = time.time()
        real_time = cache_module.time.time
        for index in range(args.entries):
            # The oldest `args.expire` entries were last used two hours ago.
            cache_module.time.time = (lambda: now - 7200) if index < args.expire else real_time
            cache.get_or_populate(f"e/p/a{index}:v0", populate)
            cache.release(f"e/p/a{index}:v0")
        cache_module.time.time = real_time
        start = time.perf_counter()
        removed_none = cache.expire(60 * 24)  # a day: nothing is that old
        nothing_s = time.perf_counter() - start
        start = time.perf_counter()
        removed = cache.expire(60)
        some_s = time.perf_counter() - start
        cache.close()
    assert not removed_none and len(removed) == args.expire
    return {
        "seconds": nothing_s,
        "expire_some_s": some_s,
        "removed": len(removed),
        "entries": args.entries,
        "per_removed_ms": 1000 * some_s / max(1, len(removed)),
    }


def load(args) -> dict:
    """Case 5: import the definitions module and validate the Definitions, as a code server does."""
    start = time.perf_counter()
    module = importlib.import_module(args.module)
    import dagster as dg

    definitions = module.defs() if callable(module.defs) else module.defs
    dg.Definitions.validate_loadable(definitions)
    return {"seconds": time.perf_counter() - start, "wandb_imported": "wandb" in sys.modules}


CASES = {
    "small_assets": small_assets,
    "dataframe": dataframe,
    "get_path": get_path,
    "cache_expiry": cache_expiry,
    "load": load,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--package", required=True)
    parser.add_argument("--io", choices=("ours", "fs"), default="ours")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--expire", type=int, default=1_000)
    parser.add_argument("--module", default="")
    args = parser.parse_args()
    sample = CASES[args.case](args)
    sample["max_rss_mb"] = max_rss_mb()
    print(json.dumps(sample))


if __name__ == "__main__":
    main()
