"""Measurement helpers: run a case's A and B sides alternately in fresh processes, summarise, judge.

Each sample is one subprocess running ``benchmarks/worker.py``, so imports and caches of one sample never
warm the next, and max RSS is per sample. A and B alternate (A, B, A, B, …) so drift in machine load hits
both sides alike; the first pair is a warm-up and is discarded.
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_worker(package_src: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(package_src), **(env or {})}
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


def ratio(a: Side, b: Side) -> float:
    return statistics.median(a.seconds) / statistics.median(b.seconds)
