"""Integrity as an asset check: an intact version passes, an edited or replaced stored file fails."""

import os
import stat

import dagster as dg

from .helpers import automation, open_store


@dg.asset
def table() -> dict:
    return {"rows": [1, 2, 3]}


[integrity] = automation.artifact_integrity_checks([table])


def run_check(resources, instance):
    result = dg.materialize(
        [table, integrity], selection=dg.AssetSelection.checks(integrity), resources=resources, instance=instance
    )
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def stored_file(wandb_resource):
    store = open_store(wandb_resource)
    version = store.resolve(store.list_artifacts(*_where(wandb_resource))[0])
    return store.local_path(version, "output.pickle")


def _where(wandb_resource):
    settings = wandb_resource.settings()
    return settings.entity, settings.project


def overwrite(path, data):
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # stored files are read-only; an adversary changes that
    path.write_bytes(data)


def test_an_intact_version_passes_with_what_was_compared(resources, wandb_resource):
    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([table], resources=resources, instance=instance).success
        evaluation = run_check(resources, instance)
    assert evaluation.passed
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert metadata["stored_digest"] == metadata["recorded_digest"]
    assert metadata["files_verified"] == 1


def test_an_edited_stored_file_fails_the_check_naming_the_file(resources, wandb_resource):
    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([table], resources=resources, instance=instance).success
        path = stored_file(wandb_resource)
        original = path.read_bytes()
        overwrite(path, original[:-1] + bytes([original[-1] ^ 1]))  # same size, one bit flipped
        evaluation = run_check(resources, instance)
    assert not evaluation.passed
    assert "output.pickle" in evaluation.description


def test_a_check_of_an_asset_never_materialized_fails_saying_so(resources):
    with dg.DagsterInstance.ephemeral() as instance:
        evaluation = run_check(resources, instance)
    assert not evaluation.passed and "never materialized" in evaluation.description


def test_the_factory_takes_asset_definitions_specs_and_keys():
    checks = automation.artifact_integrity_checks([table, dg.AssetSpec("b"), "c", dg.AssetKey(["d", "e"])])
    keys = [next(iter(check.check_keys)) for check in checks]
    assert [key.asset_key.to_user_string() for key in keys] == ["table", "b", "c", "d/e"]
    assert {key.name for key in keys} == {"wandb_artifact_integrity"}


def test_a_files_folder_replaced_by_a_file_fails_the_check_instead_of_crashing_it(resources, wandb_resource):
    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([table], resources=resources, instance=instance).success
        files = stored_file(wandb_resource).parent
        for path in files.iterdir():
            path.unlink()
        files.rmdir()
        files.write_bytes(b"not a folder")
        evaluation = run_check(resources, instance)
    assert not evaluation.passed
    assert str(files) in evaluation.description and "not a folder" in evaluation.description
