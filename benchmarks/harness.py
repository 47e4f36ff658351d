"""Measurement helpers: run a case's A and B sides alternately, summarise, judge.

Two process models. ``alternate``: each sample is one subprocess running ``benchmarks/worker.py``, so
imports and caches of one sample never warm the next, and max RSS is per sample. ``repeated``: one
subprocess alternates both sides many times, as a long-lived process (a test session, a code server
running in-process jobs) does. Either way A and B alternate (A, B, A, B, …) so drift in machine load hits
both sides alike, and the first pair is a warm-up and is discarded.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

WORKER = Path(__file__).with_name("worker.py")


@dataclass
class Side:
    label: str
    seconds: list[float] = field(default_factory=list)
    max_rss_mb: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, sample: dict[str, Any]) -> None:
        self.seconds.append(sample.pop("seconds"))
        self.max_rss_mb.append(sample.pop("max_rss_mb"))
        self.extra.update(sample)

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "min_s": min(self.seconds),
            "median_s": statistics.median(self.seconds),
            "max_s": max(self.seconds),
            "max_rss_mb": max(self.max_rss_mb),
            **self.extra,
        }


@dataclass
class CaseResult:
    case: str
    target: str
    ours: dict[str, Any]
    baseline: dict[str, Any] | None
    ratio: float | None
    passed: bool
    note: str = ""
    # Cases measured several ways (process models, frame shapes): every ratio; ``ratio`` is the worst.
    ratios: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_worker(package_src: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    # The benchmarks folder too: step processes of case 8 rebuild their job from pipeline_job.py.
    path = os.pathsep.join([str(package_src), str(WORKER.parent)])
    environment = {**os.environ, "PYTHONPATH": path, **(env or {})}
    # As a user's code server and step processes run: with cached bytecode (the warm-up pair writes it).
    # Without it, every sample would compile each of the project's modules again, which no deployment does.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    completed = subprocess.run(
        [sys.executable, str(WORKER), *args], capture_output=True, text=True, env=environment, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def alternate(
    package_src: Path, ours: list[str], baseline: list[str], repeats: int, warmup: bool = True
) -> tuple[Side, Side]:
    a, b = Side("ours"), Side("baseline")
    for index in range(repeats + (1 if warmup else 0)):
        sample_a = run_worker(package_src, ours)
        sample_b = run_worker(package_src, baseline)
        if warmup and index == 0:
            continue
        a.add(sample_a)
        b.add(sample_b)
    return a, b


def repeated(package_src: Path, args: list[str], pairs: int, warmup: bool = True) -> tuple[Side, Side]:
    """Both sides alternating in one process (``--mode repeated``): each keeps its folder and instance,
    so what is measured is the steady state of a long-lived process; the first pair is dropped. A third
    side the worker measured (``--digest-floor``) lands in the baseline's ``extra["fs_md5_s"]``."""
    sample = run_worker(package_src, [*args, "--mode", "repeated", "--pairs", str(pairs + (1 if warmup else 0))])
    a, b = Side("ours"), Side("baseline")
    skip = 1 if warmup else 0
    a.seconds, b.seconds = sample["ours"][skip:], sample["fs"][skip:]
    if "fs_md5" in sample:
        b.extra["fs_md5_s"] = sample["fs_md5"][skip:]
    a.max_rss_mb = b.max_rss_mb = [sample["max_rss_mb"]]
    return a, b


def ratio(a: Side, b: Side) -> float:
    return statistics.median(a.seconds) / statistics.median(b.seconds)
