"""Asset checks of the example pipeline, shown in each asset's Checks tab.

- ``model_meets_thresholds`` is blocking: when accuracy or macro F1 of the evaluation is below its
  threshold, the check fails and ``registered_model`` (downstream of ``model_evaluation``) does not run in
  that run, so a worse model never reaches the registry. Thresholds are run config of the check.
- ``wandb_artifact_integrity`` on each W&B-backed asset of the data and training families: the stored
  artifact version still holds the bytes and digest Dagster recorded (``artifact_integrity_job`` runs them,
  or "Execute checks" in the UI).
"""

import dagster as dg
from pydantic import Field

from ..wandb_integration.automation import artifact_integrity_checks
from .assets.dataset import raw_dataset, train_test_split
from .assets.model import model_evaluation, trained_model

# The metrics model_evaluation records as float metadata, and the default floor of each.
THRESHOLDS = {"accuracy": 0.9, "f1_macro": 0.9}


class EvaluationThresholds(dg.Config):
    """The least a model must score on the validation set to be promoted."""

    min_accuracy: float = Field(default=THRESHOLDS["accuracy"], ge=0, le=1, description="Accuracy at least.")
    min_f1_macro: float = Field(default=THRESHOLDS["f1_macro"], ge=0, le=1, description="Macro F1 at least.")


@dg.asset_check(
    asset=model_evaluation,
    blocking=True,
    description="Accuracy and macro F1 on the validation set at or above their thresholds; gates registered_model.",
)
def model_meets_thresholds(context: dg.AssetCheckExecutionContext, config: EvaluationThresholds) -> dg.AssetCheckResult:
    event = context.instance.get_latest_materialization_event(model_evaluation.key)
    recorded = event.asset_materialization.metadata if event and event.asset_materialization else {}
    floors = {"accuracy": config.min_accuracy, "f1_macro": config.min_f1_macro}
    missing = [name for name in floors if name not in recorded]
    if missing:
        return dg.AssetCheckResult(
            passed=False, description=f"model_evaluation recorded no {', '.join(missing)}; materialize it first."
        )
    scores = {name: float(recorded[name].value) for name in floors}
    below = [f"{name} {scores[name]:.4f} < {floor}" for name, floor in floors.items() if scores[name] < floor]
    return dg.AssetCheckResult(
        passed=not below,
        description="; ".join(below) or "every metric at or above its threshold",
        metadata={**scores, **{f"min_{name}": floor for name, floor in floors.items()}},
    )


integrity_checks = artifact_integrity_checks([raw_dataset, train_test_split, trained_model, model_evaluation])
