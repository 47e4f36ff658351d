"""``file://`` references read offline as wandb reads them: ``get_path`` and ``download()`` give a copy of the
referenced file, checked against the digest it was logged with; a file that changed or is gone since is an
error naming it, never other bytes. One logged without a checksum reads as the file is now; a folder is one
reference per file, named and hashed as wandb does, through the output configuration too."""

import os

import dagster as dg
import pytest
import wandb

from tests._package import integration, local_store, store_base
from tests.conftest import ENTITY, PROJECT


@pytest.fixture
def referenced(tmp_path):
    path = tmp_path / "outside" / "labels.csv"
    path.parent.mkdir()
    path.write_text("a,b\n1,2\n")
    return path


def assets(referenced, read_metadata):
    @dg.asset
    def handmade() -> wandb.Artifact:
        artifact = wandb.Artifact("handmade", "dataset")
        artifact.add_reference(referenced.as_uri(), name="labels.csv")
        return artifact

    @dg.asset(ins={"handmade": dg.AssetIn(metadata={"wandb_artifact_configuration": read_metadata})})
    def reader(handmade) -> object:
        if isinstance(handmade, str):
            with open(handmade) as handle:
                return handle.read()
        folder = handmade.download()
        return sorted(os.listdir(folder))

    return handmade, reader


def test_get_path_of_a_file_reference_gives_a_copy_of_its_bytes(resources, referenced):
    handmade, reader = assets(referenced, {"get_path": "labels.csv"})
    result = dg.materialize([handmade, reader], resources=resources)
    assert result.output_for_node("reader") == "a,b\n1,2\n"
    assert referenced.read_text() == "a,b\n1,2\n"  # the user's file is untouched


def test_download_of_an_artifact_includes_its_file_references(resources, referenced):
    handmade, reader = assets(referenced, {})
    assert dg.materialize([handmade, reader], resources=resources).output_for_node("reader") == ["labels.csv"]


@pytest.mark.parametrize("change", ["edited", "deleted"])
def test_a_referenced_file_changed_or_gone_since_it_was_logged_is_an_error_naming_it(resources, referenced, change):
    handmade, reader = assets(referenced, {"get_path": "labels.csv"})
    dg.materialize([handmade], resources=resources)
    if change == "edited":
        referenced.write_text("a,b\n9,9\n")
    else:
        referenced.unlink()
    result = dg.materialize([handmade, reader], selection=[reader], resources=resources, raise_on_error=False)
    assert not result.success
    message = str(result.get_step_failure_events()[0].step_failure_data.error)
    expected = integration.ArtifactIntegrityError if change == "edited" else integration.ArtifactNotFoundError
    assert expected.__name__ in message and str(referenced) in message


def noted_asset(way, **reference):
    """An asset whose artifact holds a reference, logged through the output configuration or as wandb does."""
    if way == "configuration":

        @dg.asset(metadata={"wandb_artifact_configuration": {"add_references": [reference]}})
        def noted() -> int:
            return 1

    else:

        @dg.asset
        def noted() -> wandb.Artifact:
            artifact = wandb.Artifact("noted", "dataset")
            artifact.add_reference(**reference)
            return artifact

    return noted


def reader_of(entry):
    @dg.asset(ins={"noted": dg.AssetIn(metadata={"wandb_artifact_configuration": {"get_path": entry}})})
    def reader(noted) -> object:
        with open(noted) as handle:
            return handle.read()

    return reader


@pytest.mark.parametrize("way", ["configuration", "wandb.Artifact"])
def test_a_reference_logged_without_a_checksum_reads_back_as_the_file_is_now(resources, referenced, way):
    noted = noted_asset(way, uri=referenced.as_uri(), checksum=False)
    dg.materialize([noted], resources=resources)
    referenced.write_text("a,b\n3,4\n")  # nothing to check it against: wandb reads it as it is, too
    result = dg.materialize([noted, reader_of("labels.csv")], selection=["reader"], resources=resources)
    assert result.output_for_node("reader") == "a,b\n3,4\n"


@pytest.mark.parametrize("way", ["configuration", "wandb.Artifact"])
def test_a_folder_reference_is_one_entry_per_file_named_and_hashed_as_wandb_does(resources, referenced, way, base_dir):
    folder = referenced.parent
    (folder / "more" / "deep").mkdir(parents=True)
    (folder / "more" / "deep" / "b c#1.txt").write_text("deep")
    noted = noted_asset(way, uri=folder.as_uri(), name="data")
    dg.materialize([noted], resources=resources)
    store = local_store.LocalArtifactStore(base_dir / "wandb" / "artifacts")
    stored = store.resolve(store_base.ArtifactId(ENTITY, PROJECT, "noted")).entries
    expected = wandb.Artifact("expected", "dataset")
    expected.add_reference(folder.as_uri(), name="data")
    assert {path: entry.digest for path, entry in stored.items() if entry.ref} == {
        path: entry.digest for path, entry in expected.manifest.entries.items()
    }
    deep = reader_of("data/more/deep/b c#1.txt")
    assert dg.materialize([noted, deep], selection=["reader"], resources=resources).output_for_node("reader") == "deep"
    (folder / "more" / "deep" / "b c#1.txt").write_text("changed")
    result = dg.materialize([noted, deep], selection=["reader"], resources=resources, raise_on_error=False)
    message = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "ArtifactIntegrityError" in message and "b c#1.txt" in message


def test_a_folder_reference_past_max_objects_is_refused_naming_the_limit(resources, referenced):
    (referenced.parent / "second.csv").write_text("x")
    noted = noted_asset("configuration", uri=referenced.parent.as_uri(), max_objects=1)
    with pytest.raises(integration.WandbConfigurationError, match="max_objects=1"):
        dg.materialize([noted], resources=resources)


def test_a_file_reference_without_a_name_is_named_by_its_decoded_file_name_as_wandb_names_it(resources, tmp_path):
    spaced = tmp_path / "b c.csv"
    spaced.write_text("spaced")
    noted = noted_asset("configuration", uri=spaced.as_uri())
    expected = wandb.Artifact("expected", "dataset")
    expected.add_reference(spaced.as_uri())
    assert list(expected.manifest.entries) == ["b c.csv"]
    result = dg.materialize([noted, reader_of("b c.csv")], resources=resources)
    assert result.output_for_node("reader") == "spaced"
