"""Security: pickles are loaded only when the integration can vouch for them; the API key never leaks."""

import logging
import pickle
from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration
from tests.conftest import ENTITY, PROJECT

local = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.local")
ArtifactId = integration.stores.ArtifactId
SECRET = "0123456789abcdef0123456789abcdef01234567"


class Exploit:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def write_model_in_other_project(base_dir, tmp_path):
    """A pickle written by this integration, but in another W&B project (as a teammate's run would)."""
    resource = integration.WandbResource(
        entity="other-team", project="elsewhere", mode="offline", base_dir=str(base_dir)
    )

    @dg.asset(name="shared_model")
    def shared_model():
        return Exploit(tmp_path / "PWNED")

    dg.materialize(
        [shared_model], resources={"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)}
    )


def reader_resources(base_dir, **io_options):
    resource = integration.WandbResource(entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(base_dir))
    return {"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource, **io_options)}


@dg.asset(
    ins={
        "model": dg.AssetIn(
            key="shared_model",
            metadata={"wandb_artifact_configuration": {"name": "other-team/elsewhere/shared_model"}},
        )
    }
)
def consumer(model) -> str:
    return type(model).__name__


def test_pickles_from_another_project_need_an_explicit_opt_in(base_dir, tmp_path):
    write_model_in_other_project(base_dir, tmp_path)
    assert not (tmp_path / "PWNED").exists()
    with pytest.raises(integration.UnsafeDeserializationError, match="unpickle_from_other_projects"):
        dg.materialize([dg.AssetSpec("shared_model"), consumer], resources=reader_resources(base_dir))
    assert not (tmp_path / "PWNED").exists()

    dg.materialize(
        [dg.AssetSpec("shared_model"), consumer],
        resources=reader_resources(base_dir, unpickle_from_other_projects=True),
    )
    assert (tmp_path / "PWNED").exists(), "with the opt-in the trusted pickle is loaded"


def test_the_trust_rule_as_documented_a_record_in_the_own_project_is_unpickled(base_dir, store, tmp_path):
    """What the README and serialization/formats.py state: the metadata is not signed, so whoever can write
    artifacts into the IO manager's own entity/project can make a read unpickle (and so run code). This pins
    that statement: if the rule changes, the documentation must change with it."""
    with store.staging_dir() as folder:
        (folder / "output.pickle").write_bytes(pickle.dumps(Exploit(tmp_path / "RAN")))
        store.commit(
            integration.stores.ArtifactDraft(
                id=ArtifactId(ENTITY, PROJECT, "planted"),
                type="model",
                files={"output.pickle": folder / "output.pickle"},
                metadata={"source_serialization_module": "pickle"},  # written by hand, not by the IO manager
            )
        )

    @dg.asset
    def reader(planted) -> str:
        return type(planted).__name__

    dg.materialize([dg.AssetSpec("planted"), reader], resources=reader_resources(base_dir))
    assert (tmp_path / "RAN").exists()
    formats = import_module(f"{PACKAGE_NAME}.wandb_integration.serialization.formats")
    for statement in ("not signed", "own entity/project", "runs code"):
        assert statement in " ".join(formats.__doc__.split())


def test_a_forged_serialization_record_cannot_point_outside_the_artifact(base_dir, store):
    with store.staging_dir() as folder:
        (folder / "data.bin").write_bytes(pickle.dumps([1]))
        store.commit(
            integration.stores.ArtifactDraft(
                id=ArtifactId(ENTITY, PROJECT, "forged"),
                type="dataset",
                files={"data.bin": folder / "data.bin"},
                metadata={"source_serialization_module": {"name": "pickle", "entry": "../../../../etc/passwd"}},
            )
        )

    @dg.asset
    def reader(forged) -> str:
        return type(forged).__name__

    result = dg.materialize([dg.AssetSpec("forged"), reader], resources=reader_resources(base_dir))
    assert result.output_for_node("reader") == "LocalArtifact"


def test_the_api_key_never_appears_in_logs_metadata_errors_or_files(base_dir, monkeypatch, caplog):
    monkeypatch.setenv("WANDB_API_KEY", SECRET)
    # EnvVar is the documented way: Dagster then stores the variable's name, never its value.
    resource = integration.WandbResource(
        entity=ENTITY,
        project=PROJECT,
        mode="offline",
        api_key=dg.EnvVar("WANDB_API_KEY"),
        base_dir=str(base_dir),
    )
    resources = {
        "wandb_resource": resource,
        "io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource),
    }

    @dg.asset(metadata={"wandb_artifact_configuration": {"type": "dataset"}})
    def data() -> list:
        return [1, 2, 3]

    @dg.asset(ins={"data": dg.AssetIn(metadata={"wandb_artifact_configuration": {"alias": "missing"}})})
    def broken(data) -> None:
        return None

    caplog.set_level(logging.DEBUG)
    instance = dg.DagsterInstance.ephemeral()
    ok = dg.materialize([data], resources=resources, instance=instance)
    failed = dg.materialize(
        [data, broken], selection=[broken], resources=resources, instance=instance, raise_on_error=False
    )
    assert ok.success and not failed.success

    texts = [caplog.text, repr(resource)]
    for result in (ok, failed):
        for event in result.all_events:
            texts.append(str(event))
            if event.is_step_failure:
                texts.append(str(event.event_specific_data.error))
    for result in (ok, failed):
        run = instance.get_run_by_id(result.run_id)
        texts.append(str(run.run_config))
        texts.append(str(instance.get_job_snapshot(run.job_snapshot_id)))
    for record in instance.get_event_records(dg.EventRecordsFilter(dg.DagsterEventType.ASSET_MATERIALIZATION)):
        texts.append(str(record.event_log_entry))
    for path in base_dir.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    assert len(texts) > 10
    leaks = [text[:200] for text in texts if SECRET in text]
    assert leaks == []
