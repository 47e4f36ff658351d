"""The data family: the labels a labelling team publishes, the raw dataset and its train/validation split.

Patterns shown: an artifact made outside Dagster as an observable external asset whose data version is
its W&B digest (a new labels version marks everything downstream stale); an ``@asset`` whose DataFrame
becomes a ``dataset`` artifact (stored as Parquet); a ``@multi_asset`` with one ``AssetOut`` per artifact,
each with its own ``wandb_artifact_configuration``; ``AutomationCondition.eager()`` on every asset of the
family, so a new labels version retrains once the automation sensor is on (``defs/automation.py``).
"""

import json
from pathlib import Path

import dagster as dg
from pydantic import Field

from ...wandb_integration.automation import observable_artifact
from ..constants import ARTIFACTS_IO_MANAGER_KEY, DATA_GROUP, LABELS_ARTIFACT, LABELS_FILE, WANDB_POOL
from .frames import DataFrame
from .markdown import markdown_table

TARGET = "target"
CULTIVAR = "cultivar"  # the class's name, from the labels artifact
LABEL_COLUMNS = [TARGET, CULTIVAR]  # what a model must not see as features

wine_labels = observable_artifact(
    dg.AssetSpec(
        LABELS_ARTIFACT,
        group_name=DATA_GROUP,
        kinds={"wandb"},
        description="Cultivar names, published to W&B outside Dagster (`make labels` publishes the example's); "
        "observed: its W&B digest is its data version, checked every 15 minutes while automation is on.",
        automation_condition=dg.AutomationCondition.cron_tick_passed("*/15 * * * *"),
    ).with_io_manager_key(ARTIFACTS_IO_MANAGER_KEY)
)


def load_wine() -> DataFrame:
    """The UCI wine recognition data bundled with scikit-learn: 178 wines, 13 measurements, 3 cultivars."""
    from sklearn.datasets import load_wine as sklearn_load_wine

    return sklearn_load_wine(as_frame=True).frame


def describe_frame(frame: DataFrame) -> dict[str, dg.MetadataValue]:
    """Row count, column schema and a preview, rendered on the asset page."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name=str(c), type=str(t)) for c, t in frame.dtypes.items()])
    preview = frame.head(5)
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": dg.MetadataValue.table_schema(schema),
        "preview": dg.MetadataValue.md(markdown_table(list(preview.columns), preview.round(3).values.tolist())),
    }


@dg.asset(
    group_name=DATA_GROUP,
    kinds={"pandas", "wandb"},
    io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
    pool=WANDB_POOL,
    automation_condition=dg.AutomationCondition.eager(),
    ins={"labels": dg.AssetIn(LABELS_ARTIFACT, metadata={"wandb_artifact_configuration": {"get_path": LABELS_FILE}})},
    metadata={
        "wandb_artifact_configuration": {
            "type": "dataset",
            "description": "UCI wine recognition data (scikit-learn bundle): 13 measurements, the class and "
            "its cultivar name from wine_labels.",
        }
    },
)
def raw_dataset(context: dg.AssetExecutionContext, labels: str) -> DataFrame:
    """The wine measurements with each class's cultivar name from the labels artifact (read by path)."""
    names = json.loads(Path(labels).read_text())
    frame = with_cultivars(load_wine(), names)
    context.add_output_metadata(describe_frame(frame))
    return frame


def with_cultivars(frame: DataFrame, names: dict[str, str]) -> DataFrame:
    """``frame`` plus the cultivar name of each row's class; every class must be named."""
    unnamed = sorted(set(frame[TARGET].astype(str)) - set(names))
    if unnamed:
        raise dg.Failure(
            f"the labels artifact names classes {sorted(names)} but the data also has {unnamed}; publish a "
            f"{LABELS_ARTIFACT} version that names every class."
        )
    return frame.assign(**{CULTIVAR: frame[TARGET].astype(str).map(names)})


class SplitConfig(dg.Config):
    """How the data is split into training and validation sets."""

    test_size: float = Field(default=0.25, description="Fraction of rows held out for validation (0-1).")
    seed: int = Field(default=42, description="Random seed, so the split is reproducible.")


@dg.multi_asset(
    group_name=DATA_GROUP,
    pool=WANDB_POOL,
    outs={
        "training_dataset": dg.AssetOut(
            io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
            kinds={"pandas", "wandb"},
            description="Rows the model is fitted on.",
            metadata={"wandb_artifact_configuration": {"type": "training_dataset"}},
            automation_condition=dg.AutomationCondition.eager(),
        ),
        "validation_dataset": dg.AssetOut(
            io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
            kinds={"pandas", "wandb"},
            description="Held-out rows the model is evaluated on.",
            metadata={"wandb_artifact_configuration": {"type": "validation_dataset"}},
            automation_condition=dg.AutomationCondition.eager(),
        ),
    },
)
def train_test_split(context: dg.AssetExecutionContext, config: SplitConfig, raw_dataset: DataFrame):
    """A stratified split: every cultivar keeps its share in both sets."""
    from sklearn import model_selection

    if not 0 < config.test_size < 1:
        raise dg.Failure(f"test_size {config.test_size} must be between 0 and 1 (exclusive); e.g. 0.25.")
    training, validation = model_selection.train_test_split(
        raw_dataset, test_size=config.test_size, random_state=config.seed, stratify=raw_dataset[TARGET]
    )
    yield dg.Output(training, "training_dataset", metadata={"dagster/row_count": len(training)})
    yield dg.Output(validation, "validation_dataset", metadata={"dagster/row_count": len(validation)})
