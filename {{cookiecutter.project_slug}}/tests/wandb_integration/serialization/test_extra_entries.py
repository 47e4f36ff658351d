"""``add_files`` keywords that change what is stored, checked against wandb's own ``Artifact.add_file``."""

import dagster as dg
import pytest

from tests._package import integration
from tests.conftest import ENTITY, PROJECT


def stored_entries(resources, store, config, name="bundle") -> dict:
    @dg.asset(name=name, metadata={"wandb_artifact_configuration": config})
    def bundle() -> dict:
        return {"k": 1}

    dg.materialize([bundle], resources=resources)
    version = store.resolve(integration.stores.ArtifactId(ENTITY, PROJECT, name))
    return {path: store.local_path(version, path).read_bytes() for path in version.entries if path != "output.pickle"}


@pytest.mark.parametrize("name", ["report.final.md", "docs/README", "docs/table.csv"])
def test_is_tmp_names_the_entry_from_the_files_digest_as_wandb_does(resources, store, tmp_path, name):
    import wandb

    source = tmp_path / "source.bin"
    source.write_bytes(b"some bytes")
    expected = wandb.Artifact("x", "dataset").add_file(str(source), name=name, is_tmp=True).path
    entries = stored_entries(
        resources, store, {"add_files": [{"local_path": str(source), "name": name, "is_tmp": True}]}
    )
    assert entries == {expected: b"some bytes"} and expected != name


def test_overwrite_lets_a_later_add_files_item_replace_an_earlier_one_and_only_then(resources, store, tmp_path):
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / "b.txt").write_text("second")
    items = [
        {"local_path": str(tmp_path / "a.txt"), "name": "notes.txt"},
        {"local_path": str(tmp_path / "b.txt"), "name": "notes.txt"},
    ]
    with pytest.raises(integration.WandbConfigurationError, match=r"'notes.txt' is added twice.*overwrite: True"):
        stored_entries(resources, store, {"add_files": items})
    items[1]["overwrite"] = True
    assert stored_entries(resources, store, {"add_files": items}) == {"notes.txt": b"second"}


def test_overwrite_never_replaces_the_outputs_own_entry(resources, store, tmp_path):
    (tmp_path / "fake.pickle").write_bytes(b"not the value")
    item = {"local_path": str(tmp_path / "fake.pickle"), "name": "output.pickle", "overwrite": True}
    with pytest.raises(integration.WandbConfigurationError, match=r"'output.pickle' is added twice"):
        stored_entries(resources, store, {"add_files": [item]})
