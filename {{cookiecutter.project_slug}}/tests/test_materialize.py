"""`make materialize` (what `make demo` ends with): every job runs, and its summary reports the checks."""

from importlib import import_module

import pytest

from tests._package import PACKAGE_NAME

materialize = import_module(f"{PACKAGE_NAME}.materialize")


@pytest.mark.slow  # every job of the project, Launch's train.py in a process of its own included
def test_the_summary_names_the_metrics_the_checks_and_the_promotion(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    lines = []
    metrics = materialize.main(echo=lines.append)
    summary = "\n".join(lines)
    assert metrics["accuracy"] >= 0.9
    assert "check model_meets_thresholds on model_evaluation: passed" in summary
    assert "check wandb_artifact_integrity on 5 assets: every stored version intact" in summary
    assert "promoted to the registry: True" in summary
    assert "ran training_job" in summary and "ran artifact_integrity_job" in summary
