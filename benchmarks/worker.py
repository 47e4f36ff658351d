"""One benchmark sample, run in a fresh process by harness.py; prints one JSON line.

Usage: ``python worker.py <case> --package <pkg> [options]`` with the baked project's ``src`` on
``PYTHONPATH``. Times cover the measured work only (imports and set-up are outside the clock).
"""

import argparse
import gc
import hashlib
import importlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import workloads

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
_SCRATCH = tempfile.mkdtemp(prefix="bench-wandb-")  # wandb's own files stay out of the home folder
for _name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
    os.environ.setdefault(_name, os.path.join(_SCRATCH, _name.lower()))


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_bytes(path: Path) -> int:
    """Bytes of the files under ``path``, each inode once (a hard link copies nothing)."""
    sizes = {
        (s.st_dev, s.st_ino): s.st_size
        for p in path.rglob("*")
        if p.is_file() and not p.is_symlink()
        for s in [p.stat()]
    }
    return sum(sizes.values())


def io_manager(kind: str, package: str, base_dir: Path):
    import dagster as dg

    if kind == "fs":
        return dg.FilesystemIOManager(base_dir=str(base_dir))
    if kind == "fs_md5":
        return _pickle_with_digest(base_dir)
    integration = importlib.import_module(f"{package}.wandb_integration")
    resource_ = integration.WandbResource(entity="bench", project="bench", mode="offline", base_dir=str(base_dir))
    return integration.WandbArtifactsIOManager(wandb_resource=resource_)


def _pickle_with_digest(base_dir: Path):
    """FilesystemIOManager's pickling plus the one thing every W&B-compatible store must add: the MD5 of each
    file it writes (W&B's file digest). Not judged: case 2 reports it as the floor the contract sets."""
    from dagster._core.storage.fs_io_manager import PickledObjectFilesystemIOManager

    class PickleWithDigest(PickledObjectFilesystemIOManager):
        def dump_to_path(self, context, obj, path) -> None:
            super().dump_to_path(context, obj, path)
            with open(path, "rb") as handle:
                hashlib.file_digest(handle, "md5")

    return PickleWithDigest(base_dir=str(base_dir))


class Side:
    """One IO manager with its own folder and Dagster instance, kept across repetitions."""

    def __init__(self, kind: str, package: str, root: Path) -> None:
        import dagster as dg

        self.base_dir = root / f"{kind}-data"
        self.base_dir.mkdir()
        (root / f"{kind}-instance").mkdir()
        self.instance = dg.DagsterInstance.ephemeral(tempdir=str(root / f"{kind}-instance"))
        self.manager = io_manager(kind, package, self.base_dir)

    def materialize(self, assets: list) -> float:
        """Seconds of one ``dg.materialize``; the sync and collection before it are outside the clock."""
        import dagster as dg

        os.sync()  # neither side's fsyncs pay for the other's dirty pages
        gc.collect()
        start = time.perf_counter()
        result = dg.materialize(assets, resources={"io_manager": self.manager}, instance=self.instance)
        seconds = time.perf_counter() - start
        assert result.success
        return seconds


def sampled(args, build: Callable[[int], list]) -> dict:
    """``--mode fresh``: one materialize of ``--io`` in this process. ``--mode repeated``: ``--pairs``
    alternating materializations of both sides in this one process (first pair dropped by the caller), with
    ``--digest-floor`` a third side too: pickle plus MD5 (``fs_md5``)."""
    preimport(args.package)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if args.mode == "fresh":
            side = Side(args.io, args.package, root)
            return {"seconds": side.materialize(build(0)), "bytes_on_disk": stored_bytes(side.base_dir)}
        kinds = ("ours", "fs", "fs_md5") if args.digest_floor else ("ours", "fs")
        sides = {kind: Side(kind, args.package, root) for kind in kinds}
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for repetition in range(args.pairs):
            for kind, side in sides.items():
                times[kind].append(side.materialize(build(repetition)))
        return {"seconds": 0.0, **times}


def preimport(package: str) -> None:
    """What either side imports lazily on its first value, so that one-time imports stay off the clock
    (case 9 measures them)."""
    import pyarrow.parquet  # noqa: F401

    for module in ("stores.local", "serialization.formats", "io_manager.worker"):
        importlib.import_module(f"{package}.wandb_integration.{module}")


def stored_bytes(base_dir: Path) -> int:
    """Bytes of the stored values: Parquet or pickle files, not the store's small JSON records."""
    return sum(
        p.stat().st_size
        for p in base_dir.rglob("*")
        if p.is_file() and not p.is_symlink() and p.suffix not in (".json", ".jsonl", ".lock")
    )


def small_assets(args) -> dict:
    """Case 1: a chain of small dict assets; with ``--new-versions`` every repetition stores new values."""
    return sampled(
        args, lambda repetition: workloads.small_chain(args.count, repetition if args.new_versions else None)
    )


def dataframe(args) -> dict:
    """Case 2: a DataFrame of ``--shape`` written by one asset and read back by another."""
    return sampled(args, lambda repetition: workloads.frame_pair(args.shape, args.rows, seed=repetition))


def pipeline(args) -> dict:
    """Case 8: the example pipeline's data and training steps under the multiprocess executor."""
    import dagster as dg
    import pipeline_job

    with tempfile.TemporaryDirectory() as home:
        os.environ.update(
            {"DAGSTER_HOME": home, "BENCH_PACKAGE": args.package, "BENCH_IO": args.io, "BENCH_FS_DIR": home + "/fs"}
        )
        Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        with dg.DagsterInstance.get() as instance:
            pipeline_job.provide_labels(args.package, args.io, home)  # made outside Dagster, not timed
            start = time.perf_counter()
            result = dg.execute_job(dg.reconstructable(pipeline_job.training_steps_job), instance=instance)
            seconds = time.perf_counter() - start
            assert result.success
    return {"seconds": seconds, "steps": len(pipeline_job.STEPS) - 1}


def step_startup(args) -> dict:
    """Case 9: what a step process pays before and around a step that handles a small dict: importing the
    code location, setting the IO manager up, one output and one input. The clock starts at the import."""
    start = time.perf_counter()
    definitions = importlib.import_module(f"{args.package}.definitions")
    defs = definitions.defs() if callable(definitions.defs) else definitions.defs
    import dagster as dg

    with tempfile.TemporaryDirectory() as folder:
        manager = io_manager(args.io, args.package, Path(folder))
        instance = dg.DagsterInstance.ephemeral(tempdir=folder)
        result = dg.materialize(workloads.small_chain(2), resources={"io_manager": manager}, instance=instance)
        assert result.success and defs is not None
    heavy = [name for name in HEAVY_MODULES if name in sys.modules]
    return {"seconds": time.perf_counter() - start, f"heavy_imports_{args.io}": heavy}


HEAVY_MODULES = ("wandb", "pandas", "pyarrow", "sklearn", "numpy")


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
    "pipeline": pipeline,
    "step_startup": step_startup,
    "get_path": get_path,
    "cache_expiry": cache_expiry,
    "load": load,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--package", required=True)
    parser.add_argument("--io", choices=("ours", "fs"), default="ours")
    parser.add_argument("--mode", choices=("fresh", "repeated"), default="fresh")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--new-versions", action="store_true")
    parser.add_argument("--digest-floor", action="store_true")
    parser.add_argument("--shape", choices=sorted(workloads.SHAPES), default="floats")
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
