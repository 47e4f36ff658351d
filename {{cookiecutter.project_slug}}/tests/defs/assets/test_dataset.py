"""The data family by direct invocation."""

import json

import dagster as dg
import pytest

from tests._package import dataset_assets


def labels_file(tmp_path, names):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(names))
    return str(path)


def test_raw_dataset_is_the_wine_data_named_by_the_labels_with_schema_and_preview(tmp_path):
    names = {"0": "barolo", "1": "grignolino", "2": "barbera"}
    frame = dataset_assets.raw_dataset(dg.build_asset_context(), labels_file(tmp_path, names))
    assert frame.shape == (178, 15)
    assert set(frame[dataset_assets.TARGET].unique()) == {0, 1, 2}
    assert frame.groupby(dataset_assets.TARGET)[dataset_assets.CULTIVAR].unique().map(list).to_dict() == {
        0: ["barolo"],
        1: ["grignolino"],
        2: ["barbera"],
    }
    metadata = dataset_assets.describe_frame(frame)
    assert metadata["dagster/row_count"].value == 178
    assert [c.name for c in metadata["dagster/column_schema"].value.columns][-2:] == ["target", "cultivar"]
    assert metadata["preview"].value.startswith("| alcohol |")


def test_labels_that_leave_a_class_unnamed_fail_naming_the_class(tmp_path):
    with pytest.raises(dg.Failure, match=r"also has \['2'\]; publish a wine_labels version"):
        dataset_assets.raw_dataset(dg.build_asset_context(), labels_file(tmp_path, {"0": "a", "1": "b"}))


def test_split_is_stratified_and_reproducible(small_wine):
    def split(seed):
        outputs = list(
            dataset_assets.train_test_split(
                context=dg.build_asset_context(),
                config=dataset_assets.SplitConfig(test_size=0.3, seed=seed),
                raw_dataset=small_wine,
            )
        )
        return {output.output_name: output.value for output in outputs}

    first, again, other = split(1), split(1), split(2)
    assert len(first["training_dataset"]) == 21 and len(first["validation_dataset"]) == 9
    assert first["validation_dataset"][dataset_assets.TARGET].value_counts().to_dict() == {0: 3, 1: 3, 2: 3}
    assert first["training_dataset"].equals(again["training_dataset"])
    assert not first["training_dataset"].equals(other["training_dataset"])


def test_split_rejects_a_test_size_outside_zero_and_one(small_wine):
    with pytest.raises(dg.Failure, match=r"test_size 1\.5"):
        list(
            dataset_assets.train_test_split(
                context=dg.build_asset_context(),
                config=dataset_assets.SplitConfig(test_size=1.5),
                raw_dataset=small_wine,
            )
        )
