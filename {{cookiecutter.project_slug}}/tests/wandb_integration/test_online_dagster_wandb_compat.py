"""Coming from dagster-wandb, online: the same patterns as test_dagster_wandb_compat.py through the real wandb
SDK against the W&B stand-in, including artifacts that dagster-wandb itself logged to W&B."""

import pickle
from importlib import import_module

import dagster as dg
import pytest
import wandb

from tests._package import PACKAGE_NAME, integration

fixtures = import_module(f"{PACKAGE_NAME}.wandb_integration.testing.fixtures")
wandb_server = fixtures.wandb_server
wandb_server_features = fixtures.wandb_server_features
wandb_reader_cache = fixtures.wandb_reader_cache
ENTITY, PROJECT = fixtures.ENTITY, "compat"
pytestmark = pytest.mark.online


@pytest.fixture
def resources(wandb_server, base_dir):
    resource = fixtures.online_resource(wandb_server, base_dir, project=PROJECT)
    return {"wandb_resource": resource, "io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)}


def config(**keys):
    return {"wandb_artifact_configuration": keys}


def log_as_dagster_wandb(name, value, tmp_path):
    """What dagster-wandb 0.29 logs for a pickled output: ``output.pickle`` and its metadata keys."""
    run = wandb.init(entity=ENTITY, project=PROJECT, dir=str(tmp_path), reinit="create_new")
    metadata = {
        "source_integration": "dagster_wandb",
        "source_integration_version": "0.29.27",
        "source_serialization_module": "pickle",
        "source_pickle_protocol_used": 4,
    }
    artifact = wandb.Artifact(name, "artifact", metadata=metadata)
    with artifact.new_file("output.pickle", "wb") as handle:
        pickle.dump(value, handle, protocol=4)
    run.log_artifact(artifact).wait()
    run.finish()


def test_an_artifact_dagster_wandb_logged_reads_back_as_its_object(resources, wandb_server, tmp_path):
    log_as_dagster_wandb("legacy_model", {"coef": [0.5, 0.25]}, tmp_path)

    @dg.asset(ins={"model": dg.AssetIn("legacy_model")})
    def reader(model: dict) -> dict:
        return model

    result = dg.materialize([dg.AssetSpec("legacy_model"), reader], resources=resources)
    assert result.output_for_node("reader") == {"coef": [0.5, 0.25]}


def test_whole_artifact_reads_online_are_wandb_artifacts_by_version_and_alias(resources, wandb_reader_cache):
    @dg.asset(metadata=config(aliases=["golden"]))
    def bundle() -> wandb.Artifact:
        artifact = wandb.Artifact("bundle", "files")
        with artifact.new_file("note.txt") as handle:
            handle.write("hello")
        return artifact

    @dg.asset
    def my_model() -> wandb.Artifact:  # no files at all, as the example's model
        return wandb.Artifact("my_model", "model")

    def reader(name, **selector):
        @dg.asset(name=name, ins={"artifact": dg.AssetIn("bundle", metadata=config(**selector))})
        def read(artifact: wandb.Artifact) -> str:
            with open(artifact.get_entry("note.txt").download()) as handle:  # (W&B names it by the alias used)
                return f"{artifact.name.split(':')[0]}:{artifact.version} {handle.read()}"

        return read

    readers = [reader("by_version", version="v0"), reader("by_alias", alias="golden")]
    dg.materialize([bundle, my_model], resources=resources)
    wandb_reader_cache()
    result = dg.materialize([bundle, *readers], selection=readers, resources=resources)
    assert result.output_for_node("by_version") == result.output_for_node("by_alias") == "bundle:v0 hello"


def test_op_outputs_of_a_partitioned_job_are_one_artifact_per_partition_online(resources, wandb_server):
    regions = dg.StaticPartitionsDefinition(["north", "south"])

    @dg.op(out=dg.Out(metadata=config(name="regional")))
    def write(context: dg.OpExecutionContext) -> str:
        return context.partition_key

    @dg.job(partitions_def=regions, resource_defs=resources)
    def regional():
        write()

    for key in regions.get_partition_keys():
        assert regional.execute_in_process(partition_key=key).success
    for key in regions.get_partition_keys():
        assert wandb_server.state.find(ENTITY, PROJECT, f"regional.{key}:v0") is not None


def test_a_read_artifact_passed_on_and_one_artifact_for_two_outputs_are_logged_online(
    resources, wandb_server, wandb_reader_cache, tmp_path
):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"weights")

    @dg.asset
    def source() -> wandb.Artifact:
        artifact = wandb.Artifact("source", "files")
        with artifact.new_file("note.txt") as handle:
            handle.write("hello")
        return artifact

    @dg.asset
    def passed_on(source: wandb.Artifact) -> wandb.Artifact:
        return source

    @dg.multi_asset(outs={"left": dg.AssetOut(), "right": dg.AssetOut()})
    def both():
        artifact = wandb.Artifact("shared", "model")
        artifact.add_file(str(weights))
        return artifact, artifact

    assert dg.materialize([source, both], resources=resources).success
    wandb_reader_cache()
    assert dg.materialize([source, passed_on], selection=[passed_on], resources=resources).success
    digests = {name: wandb_server.state.find(ENTITY, PROJECT, f"{name}:v0") for name in ("source", "passed_on")}
    assert digests["source"] is not None and digests["passed_on"] is not None
    assert digests["source"][1].digest == digests["passed_on"][1].digest
    left, right = (wandb_server.state.find(ENTITY, PROJECT, f"{name}:v0") for name in ("left", "right"))
    assert left is not None and right is not None and left[1].digest == right[1].digest


def test_the_classic_resources_api_key_is_a_client_of_the_configured_server(wandb_server, base_dir, tmp_path):
    log_as_dagster_wandb("for_the_api", [1], tmp_path)
    seen = {}

    @dg.op(required_resource_keys={"wandb_resource"})
    def uses_api(context: dg.OpExecutionContext) -> None:
        resource = context.resources.wandb_resource
        seen["version"] = resource["api"].artifact(f"{ENTITY}/{PROJECT}/for_the_api:latest").version
        seen["host"] = resource["host"]

    classic = integration.wandb_resource.configured(
        {"api_key": fixtures.DUMMY_API_KEY, "host": wandb_server.url, "mode": "online", "base_dir": str(base_dir)}
    )

    @dg.job(resource_defs={"wandb_resource": classic})
    def job():
        uses_api()

    assert job.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    assert seen == {"version": "v0", "host": wandb_server.url}


def test_a_folder_reference_in_the_configuration_is_one_entry_per_file_online_too(resources, tmp_path):
    folder = tmp_path / "data"
    (folder / "more").mkdir(parents=True)
    (folder / "top.txt").write_text("top")
    (folder / "more" / "deep.txt").write_text("deep")

    @dg.asset(metadata=config(add_references=[{"uri": folder.as_uri(), "name": "data"}]))
    def noted() -> int:
        return 1

    @dg.asset(ins={"noted": dg.AssetIn(metadata=config(get_path="data/more/deep.txt"))})
    def reader(noted) -> str:
        with open(noted) as handle:
            return handle.read()

    assert dg.materialize([noted, reader], resources=resources).output_for_node("reader") == "deep"
