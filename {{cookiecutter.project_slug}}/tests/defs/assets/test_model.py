"""The training family by direct invocation, on small frames."""

import json
from pathlib import Path

import dagster as dg
import pytest

from tests._package import model_assets


@pytest.fixture
def model(small_wine, wandb_resource):
    return model_assets.trained_model(
        config=model_assets.TrainingConfig(),
        wandb_resource=wandb_resource,
        training_dataset=small_wine,
    )


def test_trained_model_fits_and_logs_to_an_offline_run(model, small_wine, base_dir):
    predictions = model.predict(small_wine.drop(columns=model_assets.LABEL_COLUMNS))
    assert (predictions == small_wine["target"]).mean() > 0.9
    assert list((base_dir / "wandb" / "runs").rglob("offline-run-*")), "training metrics go to a W&B run"


def test_evaluation_artifact_holds_table_picture_and_metrics(model, small_wine):
    artifact = model_assets.model_evaluation(dg.build_asset_context(), model, small_wine)
    entries = set(artifact.manifest.entries)
    assert {"per_class.table.json", model_assets.CONFUSION_MATRIX, model_assets.METRICS_FILE} <= entries
    png = Path(artifact.manifest.entries[model_assets.CONFUSION_MATRIX].local_path).read_bytes()
    assert png.startswith(b"\x89PNG")
    metrics = json.loads(Path(artifact.manifest.entries[model_assets.METRICS_FILE].local_path).read_text())
    assert set(metrics) == {"accuracy", "f1_macro", "roc_auc_ovr"}
    assert artifact.metadata["accuracy"] == metrics["accuracy"]


def test_evaluation_report_renders_the_table():
    import wandb

    table = wandb.Table(columns=["class", "support", "recall"], data=[[0, 3, 1.0], [1, 4, 0.75]])
    report = model_assets.evaluation_report(table)
    assert "| 1 | 4 | 0.7500 |" in report
