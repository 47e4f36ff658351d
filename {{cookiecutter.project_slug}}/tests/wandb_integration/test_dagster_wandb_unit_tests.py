"""The pattern of dagster-wandb's own unit tests, which users copy for theirs: the classic factory called
directly on an init context gives the IO manager itself, whose ``handle_output`` and ``load_input`` are
called with Dagster's ``build_output_context`` / ``build_input_context``. In a run, Dagster still closes it
when the step ends."""

from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration

Closing = import_module(f"{PACKAGE_NAME}.wandb_integration.io_manager.manager").ClosingArtifactIO


def classic_manager(base_dir, instance):
    context = dg.build_init_resource_context(
        config={"base_dir": str(base_dir)},
        resources={
            "wandb_config": {"entity": "e", "project": "p"},
            "wandb_resource": integration.wandb_resource.configured({}),
        },
        instance=instance,
    )
    return integration.wandb_artifacts_io_manager(context)


def test_the_classic_factory_called_directly_gives_an_io_manager_to_call(base_dir):
    with dg.DagsterInstance.ephemeral() as instance:
        manager = classic_manager(base_dir, instance)
        assert isinstance(manager, dg.IOManager)
        config = {"wandb_artifact_configuration": {"name": "my_op_output", "aliases": ["extra"]}}
        manager.handle_output(dg.build_output_context(definition_metadata=config, instance=instance), {"a": 1})
        read = {"wandb_artifact_configuration": {"name": "my_op_output", "alias": "extra"}}
        assert manager.load_input(dg.build_input_context(definition_metadata=read, instance=instance)) == {"a": 1}
        with pytest.raises(integration.WandbArtifactsIOManagerError, match="name"):
            manager.handle_output(dg.build_output_context(instance=instance), [1])  # an op output needs a name
        with pytest.raises(integration.WandbArtifactsIOManagerError, match="version"):
            both = {"wandb_artifact_configuration": {"name": "my_op_output", "version": "v0", "alias": "extra"}}
            manager.load_input(dg.build_input_context(definition_metadata=both, instance=instance))


def test_in_a_run_dagster_closes_the_classic_io_manager_when_the_step_ends(base_dir, monkeypatch):
    closed = []
    original = Closing.close
    monkeypatch.setattr(
        Closing,
        "close",
        lambda self, failed=lambda: False: (closed.append(failed()), original(self, failed=failed)),
    )

    @dg.op(out=dg.Out(metadata={"wandb_artifact_configuration": {"name": "numbers"}}))
    def numbers() -> list:
        return [1, 2]

    @dg.job(
        resource_defs={
            "wandb_config": dg.make_values_resource(entity=str, project=str),
            "wandb_resource": integration.wandb_resource.configured({}),
            "io_manager": integration.wandb_artifacts_io_manager.configured({"base_dir": str(base_dir)}),
        }
    )
    def classic():
        numbers()

    run_config = {"resources": {"wandb_config": {"config": {"entity": "e", "project": "p"}}}}
    assert classic.execute_in_process(run_config=run_config, instance=dg.DagsterInstance.ephemeral()).success
    assert closed == [False]  # closed once, after a step that did not fail
