"""The artifact patterns by direct invocation."""

from tests._package import advanced_assets


def test_dataset_bundle_has_a_file_a_folder_and_a_reference():
    artifact = advanced_assets.dataset_bundle()
    entries = artifact.manifest.entries
    assert {"classes.csv", "schema/columns.json", "schema/README.md", "source"} <= set(entries)
    assert entries["source"].ref == advanced_assets.DATASET_SOURCE
    assert artifact.description and artifact.type == "dataset"
