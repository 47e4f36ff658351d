"""The training family: fit, evaluate, report, and promote a scikit-learn model, each step a W&B artifact.

Patterns shown: a model stored with a chosen serialization module (joblib with parameters); metrics logged
to the W&B run the IO manager shares, which also land on the materialization (``wandb_summary/...``); an
asset returning a hand-assembled ``wandb.Artifact`` (a Table, a picture and a JSON file); downstream reads
by ``get`` and by ``get_path``; model registry promotion gated by a blocking asset check
(``defs/checks.py``); ``AutomationCondition.eager()``, so new training data retrains the family.
"""

import json
import tempfile
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from ...wandb_integration import WandbResource
from ..constants import ARTIFACTS_IO_MANAGER_KEY, REGISTRY_COLLECTION, TRAINING_GROUP, WANDB_POOL
from .dataset import LABEL_COLUMNS, TARGET
from .frames import DataFrame
from .markdown import confusion_matrix_picture, markdown_table, metrics_table

EVALUATION_TABLE = "per_class"
CONFUSION_MATRIX = "confusion_matrix.png"
METRICS_FILE = "metrics.json"


class TrainingConfig(dg.Config):
    """Hyperparameters of the classifier (standardized features, multinomial logistic regression)."""

    regularization: float = Field(default=1.0, gt=0, description="Inverse regularization strength C (> 0).")
    max_iter: int = Field(default=1000, gt=0, description="Solver iterations at most.")


@dg.asset(
    group_name=TRAINING_GROUP,
    kinds={"sklearn", "wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    automation_condition=dg.AutomationCondition.eager(),
    metadata={
        "wandb_artifact_configuration": {
            "type": "model",
            "description": "StandardScaler + LogisticRegression fitted on training_dataset.",
            "serialization_module": {"name": "joblib", "parameters": {"compress": 3}},
        }
    },
)
def trained_model(
    config: TrainingConfig,
    wandb_resource: WandbResource,
    training_dataset: DataFrame,
) -> Any:
    """Fit the model; its training accuracy goes to the W&B run the IO manager uses (same run id), and from
    there onto this materialization."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = training_dataset.drop(columns=LABEL_COLUMNS), training_dataset[TARGET]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=config.regularization, max_iter=config.max_iter))
    model.fit(features, labels)
    train_accuracy = float(model.score(features, labels))
    # Logged to the W&B run the IO manager shares; the integration also puts it on this materialization
    # (wandb_summary/train_accuracy, charted in the Plots tab) with the config (wandb_run_config).
    with wandb_resource.run(config=config.model_dump()) as run:
        run.log({"train_accuracy": train_accuracy})
    return model


def evaluate(model: Any, validation: DataFrame) -> tuple[dict[str, float], list[int], Any]:
    """Accuracy, macro F1 and one-vs-rest ROC AUC on the validation set, plus labels and confusion matrix."""
    from sklearn import metrics

    features, labels = validation.drop(columns=LABEL_COLUMNS), validation[TARGET]
    predicted = model.predict(features)
    scores = {
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
        "f1_macro": float(metrics.f1_score(labels, predicted, average="macro")),
        "roc_auc_ovr": float(metrics.roc_auc_score(labels, model.predict_proba(features), multi_class="ovr")),
    }
    classes = sorted(int(label) for label in labels.unique())
    return scores, classes, metrics.confusion_matrix(labels, predicted, labels=classes)


def confusion_matrix_png(matrix: Any, classes: list[int], path: Path) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 4))
    axes.imshow(matrix, cmap="Blues")
    axes.set(xticks=classes, yticks=classes, xlabel="predicted", ylabel="actual", title="Confusion matrix")
    for (row, column), count in np.ndenumerate(matrix):
        # White on the darker half of the colour scale, black on the lighter: every count stays readable.
        color = "white" if count > matrix.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=color)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


@dg.asset(
    group_name=TRAINING_GROUP,
    kinds={"sklearn", "wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    automation_condition=dg.AutomationCondition.eager(),
)
def model_evaluation(context: dg.AssetExecutionContext, trained_model: Any, validation_dataset: DataFrame) -> Any:
    """Metrics, a per-class ``wandb.Table`` and a confusion-matrix picture in one hand-built artifact."""
    import wandb

    scores, classes, matrix = evaluate(trained_model, validation_dataset)
    artifact = wandb.Artifact("model_evaluation", "evaluation", description="Validation metrics of trained_model.")
    artifact.metadata.update(scores)
    rows = []
    for index, label in enumerate(classes):
        support = int(matrix[index].sum())
        rows.append([label, support, float(matrix[index, index] / support) if support else 0.0])
    artifact.add(wandb.Table(columns=["class", "support", "recall"], data=rows), EVALUATION_TABLE)
    with tempfile.TemporaryDirectory() as folder:
        picture = Path(folder) / CONFUSION_MATRIX
        confusion_matrix_png(matrix, classes, picture)
        (Path(folder) / METRICS_FILE).write_text(json.dumps(scores, indent=2))
        artifact.add_file(str(picture), name=CONFUSION_MATRIX)
        artifact.add_file(str(Path(folder) / METRICS_FILE), name=METRICS_FILE)
    picture = confusion_matrix_picture(matrix.tolist())
    context.add_output_metadata(
        {
            "metrics": dg.MetadataValue.md(metrics_table(scores)),
            **{k: dg.MetadataValue.float(v) for k, v in scores.items()},
            # Shown on the asset page: the picture inline, and what the per-class wandb.Table holds.
            **({"confusion_matrix": dg.MetadataValue.md(picture)} if picture else {}),
            "per_class": dg.MetadataValue.md(markdown_table(["class", "support", "recall"], rows)),
        }
    )
    context.log.info(f"validation metrics: {json.dumps(scores)}")
    return artifact


@dg.asset(
    group_name=TRAINING_GROUP,
    kinds={"wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    automation_condition=dg.AutomationCondition.eager(),
    ins={
        "per_class": dg.AssetIn(
            "model_evaluation", metadata={"wandb_artifact_configuration": {"get": EVALUATION_TABLE}}
        )
    },
    metadata={"wandb_artifact_configuration": {"type": "report"}},
)
def evaluation_report(per_class: Any) -> str:
    """A markdown report built from the evaluation's ``wandb.Table``, read back with ``get``."""
    return "# Per-class recall\n\n" + markdown_table(per_class.columns, per_class.data)


class PromotionConfig(dg.Config):
    """How the promoted model is named in the registry."""

    aliases: list[str] = Field(default=["production"], description="Registry aliases the promoted model gets.")


@dg.asset(
    group_name=TRAINING_GROUP,
    kinds={"wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    automation_condition=dg.AutomationCondition.eager(),
    deps=[trained_model],
    ins={
        "metrics_path": dg.AssetIn(
            "model_evaluation", metadata={"wandb_artifact_configuration": {"get_path": METRICS_FILE}}
        )
    },
    metadata={"wandb_artifact_configuration": {"type": "registry_decision"}},
)
def registered_model(
    context: dg.AssetExecutionContext, config: PromotionConfig, wandb_resource: WandbResource, metrics_path: str
) -> dict:
    """Promote the exact model version this run trained. It runs only when the blocking check on
    model_evaluation passed (``defs/checks.py``: accuracy and macro F1 at or above their thresholds)."""
    accuracy = json.loads(Path(metrics_path).read_text())["accuracy"]
    event = context.instance.get_latest_materialization_event(trained_model.key)
    version = event.asset_materialization.metadata["wandb_artifact_version"].value
    linked = wandb_resource.link_artifact(f"trained_model:{version}", REGISTRY_COLLECTION, config.aliases)
    context.add_output_metadata({"promoted": True, **linked})
    return {"promoted": True, "accuracy": accuracy, "source": f"trained_model:{version}", **linked}
