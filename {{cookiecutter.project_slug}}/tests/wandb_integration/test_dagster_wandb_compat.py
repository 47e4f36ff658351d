"""Coming from dagster-wandb, offline: the patterns of Dagster's `examples/with_wandb` and artifacts in
dagster-wandb's own format keep working with only the import changed (test_online_dagster_wandb_compat.py:
the same against the W&B stand-in).
"""

import importlib
import pickle
from pathlib import Path

import dagster as dg
import pytest
import wandb

from tests._package import integration
from tests.conftest import ENTITY, PROJECT

ArtifactId, ArtifactDraft = integration.stores.ArtifactId, integration.stores.ArtifactDraft
# W&B's digest of an artifact without files: the manifest header alone.
EMPTY_DIGEST = "64e7c61456b10382e2f3b571ac24b659"


def config(**keys):
    return {"wandb_artifact_configuration": keys}


@dg.asset(metadata=config(aliases=["first_alias"]))
def bundle() -> wandb.Artifact:
    artifact = wandb.Artifact("bundle", "files", description="A table and a note")
    artifact.add(wandb.Table(columns=["a", "b"], data=[[1, 2]]), "my_table")
    with artifact.new_file("note.txt") as handle:
        handle.write("hello")
    return artifact


def read_whole(name, **selector):
    @dg.asset(name=name, ins={"artifact": dg.AssetIn("bundle", metadata=config(**selector))})
    def reader(artifact: wandb.Artifact) -> dict:  # Dagster type-checks the annotation
        with open(artifact.get_entry("note.txt").download()) as handle:
            note = handle.read()
        return {
            "is_artifact": isinstance(artifact, wandb.Artifact),
            "name": artifact.name,
            "version": artifact.version,
            "aliases": sorted(artifact.aliases),
            "type": artifact.type,
            "description": artifact.description,
            "digest": artifact.digest,
            "entries": sorted(artifact.manifest.entries),
            "table": artifact.get("my_table").data,
            "missing": artifact.get("nothing"),
            "note": note,
            "folder": sorted(path.name for path in Path(artifact.download()).iterdir()),
        }

    return reader


def test_whole_artifact_reads_are_wandb_artifacts_by_default_version_and_alias(resources, store):
    readers = [
        read_whole("by_default"),
        read_whole("by_version", version="v0"),
        read_whole("by_alias", alias="first_alias"),
    ]
    result = dg.materialize([bundle, *readers], resources=resources)
    digest = store.resolve(ArtifactId(ENTITY, PROJECT, "bundle")).digest
    for reader in readers:
        got = result.output_for_node(reader.op.name)
        assert got["is_artifact"] and got["name"] == "bundle:v0" and got["version"] == "v0"
        assert {"first_alias", "latest"} <= set(got["aliases"])
        assert (got["type"], got["description"], got["digest"]) == ("files", "A table and a note", digest)
        assert got["entries"] == ["my_table.table.json", "note.txt"]
        assert got["table"] == [[1, 2]] and got["missing"] is None and got["note"] == "hello"
        assert got["folder"] == ["my_table.table.json", "note.txt"]


def test_a_read_artifact_offers_verify_link_and_says_what_needs_w_and_b(resources, store):
    @dg.asset
    def checker(bundle: wandb.Artifact) -> str:
        bundle.verify()
        linked = bundle.link("wandb-registry-model/bundles", aliases=["production"])
        with pytest.raises(integration.WandbModeError, match=r"used_by\(\).*needs W&B online"):
            bundle.used_by()
        with pytest.raises(Exception, match=r"finalized"):  # read-only, as a logged artifact is
            bundle.add_file(__file__)
        return linked.name

    result = dg.materialize([bundle, checker], resources=resources)
    assert result.output_for_node("checker") == "bundles:v0"
    registry = store.resolve(ArtifactId(ENTITY, "wandb-registry-model", "bundles"), alias="production")
    assert registry.digest == store.resolve(ArtifactId(ENTITY, PROJECT, "bundle")).digest


def test_an_artifact_with_no_files_is_logged_as_w_and_b_does_and_can_be_promoted(resources, store):
    @dg.asset
    def my_model() -> wandb.Artifact:
        return wandb.Artifact("my_model", "model", metadata={"source": "elsewhere"})

    @dg.asset(name="registered-model")
    def promoted(my_model: wandb.Artifact) -> str:
        return my_model.link("wandb-registry-model/models", aliases=["production"]).name

    result = dg.materialize([my_model, promoted], resources=resources)
    version = store.resolve(ArtifactId(ENTITY, PROJECT, "my_model"))
    assert (version.digest, dict(version.entries), version.metadata["source"]) == (EMPTY_DIGEST, {}, "elsewhere")
    assert wandb.Artifact("x", "model").digest == EMPTY_DIGEST  # the digest W&B gives a fileless artifact
    assert result.output_for_node("registered_model") == "models:v0"
    assert (
        store.resolve(ArtifactId(ENTITY, "wandb-registry-model", "models"), alias="production").digest == EMPTY_DIGEST
    )


def test_an_artifact_holding_a_w_and_b_object_reads_back_as_the_artifact_and_the_object_with_get(resources):
    @dg.asset
    def scores() -> wandb.Table:
        return wandb.Table(columns=["label"], data=[["red"]])

    @dg.asset(ins={"artifact": dg.AssetIn("scores")})
    def plain(artifact: wandb.Artifact) -> list:
        return artifact.get("Table").data

    @dg.asset(ins={"table": dg.AssetIn("scores", metadata=config(get="Table"))})
    def direct(table: wandb.Table) -> list:
        return table.data

    result = dg.materialize([scores, plain, direct], resources=resources)
    assert result.output_for_node("plain") == result.output_for_node("direct") == [["red"]]


REGIONS = dg.StaticPartitionsDefinition(["north", "south", "west"])


@dg.op(out=dg.Out(metadata=config(name="regional")))
def write_region(context: dg.OpExecutionContext) -> str:
    return f"data of {context.partition_key}"


READ: list[tuple[str, str]] = []


@dg.op(ins={"data": dg.In(metadata=config(name="regional"))})
def read_region(context: dg.OpExecutionContext, data: str) -> None:
    READ.append((context.partition_key, data))


def test_op_outputs_of_a_partitioned_job_get_one_artifact_per_partition(resources, store):
    @dg.job(partitions_def=REGIONS, resource_defs=resources)
    def regional_job():
        read_region(write_region())

    READ.clear()
    for key in REGIONS.get_partition_keys():
        assert regional_job.execute_in_process(partition_key=key).success
    assert [(key, f"data of {key}") for key in REGIONS.get_partition_keys()] == READ
    names = {a.name for a in store.list_artifacts(ENTITY, PROJECT)}
    assert names == {"regional.north", "regional.south", "regional.west"}
    assert store.resolve(ArtifactId(ENTITY, PROJECT, "regional.south")).version == 0


def test_an_op_output_that_returns_a_wandb_artifact_is_named_by_it(resources, store):
    @dg.op
    def make() -> wandb.Artifact:
        artifact = wandb.Artifact("from_the_op", "dataset")
        with artifact.new_file("x.txt") as handle:
            handle.write("x")
        return artifact

    @dg.op(out=dg.Out(metadata=config(name="another_name")))
    def make_conflicting() -> wandb.Artifact:
        return wandb.Artifact("from_the_op", "dataset")

    @dg.job(resource_defs=resources)
    def named_by_artifact():
        make()

    @dg.job(resource_defs=resources)
    def conflicting():
        make_conflicting()

    assert named_by_artifact.execute_in_process().success
    assert store.resolve(ArtifactId(ENTITY, PROJECT, "from_the_op")).type == "dataset"
    with pytest.raises(integration.WandbConfigurationError) as info:
        conflicting.execute_in_process()
    assert "'another_name'" in str(info.value) and "'from_the_op'" in str(info.value)


def test_a_read_artifact_returned_as_an_output_is_stored_again_byte_for_byte(resources, store):
    @dg.asset
    def passed_on(bundle: wandb.Artifact) -> wandb.Artifact:
        return bundle

    assert dg.materialize([bundle, passed_on], resources=resources).success
    original = store.resolve(ArtifactId(ENTITY, PROJECT, "bundle"))
    copy = store.resolve(ArtifactId(ENTITY, PROJECT, "passed_on"))
    assert copy.digest == original.digest and copy.type == "files"
    assert {p: e.digest for p, e in copy.entries.items()} == {p: e.digest for p, e in original.entries.items()}
    assert store.local_path(copy, "note.txt").read_text() == "hello"
    store.verify(original)  # the source version gave its bytes and kept them


def test_one_wandb_artifact_returned_for_two_outputs_is_stored_for_both(resources, store, tmp_path):
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"weights")

    @dg.multi_asset(outs={"left": dg.AssetOut(), "right": dg.AssetOut()})
    def both():
        artifact = wandb.Artifact("shared", "model")
        artifact.add_file(str(weights))  # wandb copies it into its own staging folder
        return artifact, artifact

    assert dg.materialize([both], resources=resources).success
    for name in ("left", "right"):
        version = store.resolve(ArtifactId(ENTITY, PROJECT, name))
        assert store.local_path(version, "weights.bin").read_bytes() == b"weights"
    assert weights.read_bytes() == b"weights"


def test_a_returned_artifact_whose_added_file_was_deleted_names_the_entry(resources, tmp_path):
    scratch = tmp_path / "scratch.bin"
    scratch.write_bytes(b"gone soon")

    @dg.asset
    def careless() -> wandb.Artifact:
        artifact = wandb.Artifact("careless", "model")
        artifact.add_file(str(scratch), policy="immutable")  # wandb keeps only the path
        scratch.unlink()
        return artifact

    with pytest.raises(integration.WandbConfigurationError, match=r"entry 'scratch.bin'.*is gone"):
        dg.materialize([careless], resources=resources)


def test_multi_partition_keys_get_dagster_wandbs_artifact_names(resources, store):
    colors = dg.MultiPartitionsDefinition(
        {"color": dg.StaticPartitionsDefinition(["red", "blue"]), "date": dg.DailyPartitionsDefinition("2023-01-01")}
    )

    @dg.asset(partitions_def=colors)
    def paint(context: dg.AssetExecutionContext) -> str:
        return context.partition_key

    dg.materialize([paint], partition_key="red|2023-01-02", resources=resources)
    assert store.resolve(ArtifactId(ENTITY, PROJECT, "paint.red-2023-01-02")).version == 0


def upstream_format(store, name, value, module="pickle", entity=ENTITY, project=PROJECT):
    """An artifact exactly as dagster-wandb 0.29 writes a pickled output: its entry and its metadata."""
    serializer = importlib.import_module(module)
    metadata = {
        "source_integration": "dagster_wandb",
        "source_integration_version": "0.29.27",
        "source_dagster_run_id": "0123abcd-0000-0000-0000-000000000000",
        "source_created_at": "2025-01-01T00:00:00+00:00",
        "source_python_version": "3.11.7",
        "source_serialization_module": module,
        "source_pickle_protocol_used": 4,
    }
    if module != "pickle":
        metadata[f"source_{module}_version_used"] = serializer.__version__
    with store.staging_dir() as folder:
        (folder / f"output.{module}").write_bytes(serializer.dumps(value, protocol=4))
        draft = ArtifactDraft(
            ArtifactId(entity, project, name), "artifact", files={f"output.{module}": folder / f"output.{module}"}
        )
        draft.metadata.update(metadata)
        return store.commit(draft)


@pytest.mark.parametrize("module", ["pickle", "dill", "cloudpickle"])
def test_artifacts_written_by_dagster_wandb_read_back_as_the_objects_they_hold(resources, store, module):
    upstream_format(store, "legacy", {"weights": [1, 2, 3]}, module)

    @dg.asset(ins={"legacy": dg.AssetIn("legacy")})
    def reader(legacy: dict) -> dict:
        return legacy

    result = dg.materialize([dg.AssetSpec("legacy"), reader], resources=resources)
    assert result.output_for_node("reader") == {"weights": [1, 2, 3]}


def test_dagster_wandb_artifacts_of_another_project_need_the_opt_in(base_dir, store):
    upstream_format(store, "theirs", [1], entity="other-team", project="elsewhere")
    spec = dg.AssetIn("theirs", metadata=config(name="other-team/elsewhere/theirs"))

    @dg.asset(ins={"theirs": spec})
    def reader(theirs: list) -> list:
        return theirs

    resource = integration.WandbResource(entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(base_dir))
    strict = {"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)}
    with pytest.raises(integration.UnsafeDeserializationError, match="unpickle_from_other_projects"):
        dg.materialize([dg.AssetSpec("theirs"), reader], resources=strict)
    trusting = {
        "io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource, unpickle_from_other_projects=True)
    }
    assert dg.materialize([dg.AssetSpec("theirs"), reader], resources=trusting).output_for_node("reader") == [1]


@pytest.mark.parametrize(
    ("module", "parameters", "protocol"),
    [
        ("pickle", {}, pickle.HIGHEST_PROTOCOL),
        ("dill", {}, pickle.HIGHEST_PROTOCOL),
        ("cloudpickle", {}, pickle.HIGHEST_PROTOCOL),
        ("joblib", {}, pickle.HIGHEST_PROTOCOL),  # joblib's own default would be 4
        ("joblib", {"protocol": 3}, 3),
    ],
)
def test_what_this_integration_writes_carries_dagster_wandbs_metadata(resources, store, module, parameters, protocol):
    @dg.asset(metadata=config(serialization_module={"name": module, "parameters": parameters}))
    def model() -> dict:
        return {"w": 1}

    dg.materialize([model], resources=resources)
    version = store.resolve(ArtifactId(ENTITY, PROJECT, "model"))
    assert set(version.entries) == {f"output.{module}"}  # where dagster-wandb's reader looks
    metadata = version.metadata
    assert metadata["source_integration"] == "dagster_wandb"
    assert metadata["source_serialization_module"] == module
    assert metadata["source_pickle_protocol_used"] == protocol
    # The recorded protocol is the one in the file: a pickle stream opens with PROTO <n> (protocol 2 and up).
    assert store.local_path(version, f"output.{module}").read_bytes()[:2] == bytes([0x80, protocol])
    if module != "pickle":
        assert metadata[f"source_{module}_version_used"] == importlib.import_module(module).__version__


def test_the_classic_resource_value_answers_dagster_wandbs_keys_lazily(base_dir):
    seen = {}

    @dg.op(required_resource_keys={"wandb_resource"})
    def uses_keys(context: dg.OpExecutionContext) -> None:
        resource = context.resources.wandb_resource
        seen["sdk"] = resource["sdk"] is wandb
        seen["host"] = resource["host"]
        seen["in"] = ("api" in resource, "nope" in resource)
        with pytest.raises(integration.WandbModeError, match="needs W&B online"):
            resource["api"]  # offline there is no server to talk to
        with pytest.raises(KeyError, match="'sdk', 'api', 'host'"):
            resource["sdk_typo"]

    @dg.job(resource_defs={"wandb_resource": integration.wandb_resource.configured({"host": "https://w.example"})})
    def classic():
        uses_keys()

    assert classic.execute_in_process(instance=dg.DagsterInstance.ephemeral()).success
    assert seen == {"sdk": True, "host": "https://w.example", "in": (True, False)}


@pytest.mark.parametrize(
    ("module", "name", "same_as"),
    [
        ("resources", "wandb_resource", integration.wandb_resource),
        ("types", "WandbArtifactConfiguration", integration.WandbArtifactConfiguration),
        ("types", "SerializationModule", integration.SerializationModule),
        ("utils.errors", "WandbArtifactsIOManagerError", integration.WandbArtifactsIOManagerError),
        ("io_manager", "WandbArtifactsIOManagerError", integration.WandbArtifactsIOManagerError),
        ("io_manager", "wandb_artifacts_io_manager", integration.wandb_artifacts_io_manager),
        ("launch.ops", "run_launch_agent", integration.run_launch_agent),
        ("version", "__version__", integration.__version__),
    ],
)
def test_dagster_wandbs_module_paths_give_the_same_objects(module, name, same_as):
    """Code moved over changes `dagster_wandb` to the package and keeps its `from dagster_wandb.resources
    import wandb_resource` (as Dagster's with_wandb example has)."""
    found = getattr(importlib.import_module(f"{integration.__name__}.{module}"), name)
    assert found is same_as
