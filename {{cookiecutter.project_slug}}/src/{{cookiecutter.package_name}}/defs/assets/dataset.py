"""The data family: the raw dataset and its train/validation split, each a W&B artifact.

Patterns shown: an ``@asset`` whose DataFrame becomes a ``dataset`` artifact (stored as Parquet), and a
``@multi_asset`` with one ``AssetOut`` per artifact, each with its own ``wandb_artifact_configuration``.
"""

import dagster as dg
from pydantic import Field

from ..constants import ARTIFACTS_IO_MANAGER_KEY, DATA_GROUP, WANDB_POOL
from .frames import DataFrame
from .markdown import markdown_table

TARGET = "target"


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
    metadata={
        "wandb_artifact_configuration": {
            "type": "dataset",
            "description": "UCI wine recognition data (scikit-learn bundle): 13 measurements and the cultivar.",
        }
    },
)
def raw_dataset(context: dg.AssetExecutionContext) -> DataFrame:
    """The raw wine dataset as a DataFrame; the integration stores it as a Parquet ``dataset`` artifact."""
    frame = load_wine()
    context.add_output_metadata(describe_frame(frame))
    return frame


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
        ),
        "validation_dataset": dg.AssetOut(
            io_manager_key=ARTIFACTS_IO_MANAGER_KEY,
            kinds={"pandas", "wandb"},
            description="Held-out rows the model is evaluated on.",
            metadata={"wandb_artifact_configuration": {"type": "validation_dataset"}},
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
