"""The benchmark harness runs every case once with tiny sizes, so it cannot rot between `make bench` runs.

The numbers of a smoke run mean nothing; what is checked is that every case runs, reports both sides
where it has a baseline, and writes the JSON report.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_every_benchmark_case_runs_once(tmp_path):
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["smoke"] is True
    cases = report["results"]
    assert [case["case"].split(".")[0] for case in cases] == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    for case in cases:
        assert case["ours"]["median_s"] >= 0
        if case["baseline"] is not None:
            assert case["ratio"] > 0
    by_number = {case["case"].split(".")[0]: case for case in cases}
    assert by_number["3"]["ours"]["bytes_copied"] == 0
    assert by_number["5"]["ours"]["wandb_imported"] is False
    # Cases 1 and 2 are judged on their worst ratio over both process models (and, for 2, every shape).
    assert {"fresh, same values", "repeated, same values", "repeated, new values each run"} == set(
        by_number["1"]["ratios"]
    )
    shapes = {"floats", "strings", "nulls_and_datetimes", "numbers_and_labels"}
    assert {f"{shape}, {mode}" for shape in shapes for mode in ("fresh", "repeated")} == set(by_number["2"]["ratios"])
    assert by_number["1"]["ratio"] == max(by_number["1"]["ratios"].values())
    assert by_number["6"]["passed"] is True  # the online call pattern is a test result, not a timing
    assert by_number["9"]["ours"]["heavy_imports_ours"] == []
    assert "ratio" in completed.stdout and ("PASS" in completed.stdout or "MISS" in completed.stdout)
