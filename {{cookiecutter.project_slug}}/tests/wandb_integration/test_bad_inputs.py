"""The bad-input catalogue: every wrong value gets our exception class and a message naming it and the fix.

One table, one test: add a row to cover a new case. Each row is ``(id, action, exception, fragments)``;
``action(env)`` triggers the error and every fragment must appear in the message.
"""

import threading
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration
from tests.conftest import ENTITY, PROJECT

worker = import_module(f"{PACKAGE_NAME}.wandb_integration.io_manager.worker")
runs = import_module(f"{PACKAGE_NAME}.wandb_integration.runs")
local = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.local")
settings_module = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")
registry = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.registry")
ArtifactId = integration.stores.ArtifactId
Config = integration.WandbConfigurationError
NotFound = integration.ArtifactNotFoundError
Serialization = integration.SerializationError
KEY = "wandb_artifact_configuration"


@dataclass
class Env:
    worker: object
    store: object
    tmp: Path

    def write(self, obj, config=None, asset="thing", **context):
        metadata = {KEY: config} if config is not None else {}
        if "asset_key" not in context and "op_def" not in context:
            context["asset_key"] = asset
        self.worker.handle_output(dg.build_output_context(definition_metadata=metadata, **context), obj)

    def read(self, config=None, asset="thing", **context):
        metadata = {KEY: config} if config is not None else {}
        if "asset_key" not in context:
            context["asset_key"] = asset
        return self.worker.load_input(dg.build_input_context(definition_metadata=metadata, **context))


def _table():
    import wandb

    return wandb.Table(columns=["a"], data=[[1]])


@pytest.fixture
def env(base_dir, tmp_path):
    settings = settings_module.WandbSettings.build(entity=ENTITY, project=PROJECT, mode="offline", base_dir=base_dir)
    store = local.LocalArtifactStore(settings.store_dir)
    options = runs.RunOptions(dagster_run_id="r" * 36, run_id="r" * 36, run_name="run", run_tags=())
    environment = Env(worker.ArtifactIO(settings=settings, store=store, options=options), store, tmp_path)
    environment.write([1, 2], {"aliases": ["best"]})
    return environment


def op_named(name="my_op"):
    @dg.op(name=name)
    def _op():
        return None

    return _op


daily = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-05")

CASES = [
    # Write configuration
    ("unknown write key", lambda e: e.write(1, {"typo": 1}), Config, ["'typo'", "allowed keys"]),
    ("read key on an output", lambda e: e.write(1, {"get": "Table"}), Config, ["'get'", "an output"]),
    ("config not a dict", lambda e: e.write(1, ["type"]), Config, ["['type']", "must be a dict"]),
    ("empty type", lambda e: e.write(1, {"type": ""}), Config, ["type", "''"]),
    ("description not a string", lambda e: e.write(1, {"description": 3}), Config, ["description", "3"]),
    ("aliases a string", lambda e: e.write(1, {"aliases": "best"}), Config, ["aliases", "'best'"]),
    ("alias empty", lambda e: e.write(1, {"aliases": [""]}), Config, ["aliases", "['']"]),
    ("alias with a slash", lambda e: e.write(1, {"aliases": ["a/b"]}), Config, ["'a/b'"]),
    ("alias shaped like a version", lambda e: e.write(2, {"aliases": ["v9"]}), Config, ["'v9'"]),
    ("name on an asset", lambda e: e.write(1, {"name": "other"}), Config, ["'other'", "remove 'name'"]),
    (
        "op output without name",
        lambda e: e.write(1, {}, op_def=op_named()),
        Config,
        ["op 'my_op'", "needs a 'name'"],
    ),
    ("invalid op artifact name", lambda e: e.write(1, {"name": "a b"}, op_def=op_named()), Config, ["'a b'"]),
    ("add_files not a list", lambda e: e.write(1, {"add_files": "x.txt"}), Config, ["add_files", "'x.txt'"]),
    ("add_files missing path", lambda e: e.write(1, {"add_files": [{"name": "x"}]}), Config, ["local_path"]),
    (
        "add_files unknown kw",
        lambda e: e.write(1, {"add_files": [{"local_path": "x", "mode": 1}]}),
        Config,
        ["'mode'"],
    ),
    (
        "add_files no such file",
        lambda e: e.write(1, {"add_files": [{"local_path": "/nope.txt"}]}),
        Config,
        ["'/nope.txt'", "not a file"],
    ),
    (
        "add_dirs not a dir",
        lambda e: e.write(1, {"add_dirs": [{"local_path": "/nope"}]}),
        Config,
        ["'/nope'", "not a directory"],
    ),
    (
        "add_references bad scheme",
        lambda e: e.write(1, {"add_references": [{"uri": "ftp://x/y"}]}),
        Config,
        ["'ftp://x/y'", "file://"],
    ),
    (
        "add_references missing file",
        lambda e: e.write(1, {"add_references": [{"uri": "file:///nope.csv"}]}),
        Config,
        ["'file:///nope.csv'"],
    ),
    # Serialization modules
    (
        "unknown serialization module",
        lambda e: e.write(1, {"serialization_module": {"name": "marshal"}}),
        Config,
        ["'marshal'", "pickle, dill, cloudpickle, joblib"],
    ),
    (
        "parquet asked for by name",
        lambda e: e.write(1, {"serialization_module": {"name": "parquet"}}),
        Config,
        ["'parquet'", "DataFrames are written as Parquet without it", "remove serialization_module"],
    ),
    (
        "serialization not a dict",
        lambda e: e.write(1, {"serialization_module": "pickle"}),
        Config,
        ["serialization_module", "'pickle'"],
    ),
    (
        "serialization parameters not a dict",
        lambda e: e.write(1, {"serialization_module": {"name": "pickle", "parameters": 4}}),
        Config,
        ["parameters", "4"],
    ),
    (
        "bad dump parameter",
        lambda e: e.write(1, {"serialization_module": {"name": "pickle", "parameters": {"protocoll": 4}}}),
        Config,
        ["pickle.dump", "'protocoll'"],
    ),
    (
        "bad dump parameter of a dump that takes **kwargs",
        lambda e: e.write(1, {"serialization_module": {"name": "dill", "parameters": {"protocl": 4}}}),
        Config,
        ["parameter 'protocl'", "dill.dump"],
    ),
    (
        "pickle protocol out of range",
        lambda e: e.write(1, {"serialization_module": {"name": "pickle", "parameters": {"protocol": 99}}}),
        Config,
        ["protocol 99", "0 to 5"],
    ),
    (
        "unpicklable object",
        lambda e: e.write(threading.Lock()),
        Serialization,
        ["_thread.lock", "cloudpickle"],
    ),
    ("unpicklable lambda with pickle", lambda e: e.write(lambda: 1), Serialization, ["function", "'pickle'"]),
    # Several partitions in one run
    (
        "partition range without a dict",
        lambda e: e.write(
            1,
            asset_partitions_def=daily,
            asset_partition_key_range=dg.PartitionKeyRange("2024-01-01", "2024-01-02"),
        ),
        Config,
        ["2 partitions", "return a dict"],
    ),
    # Read configuration
    ("unknown read key", lambda e: e.read({"typo": 1}), Config, ["'typo'", "an input"]),
    ("write key on an input", lambda e: e.read({"type": "dataset"}), Config, ["'type'"]),
    (
        "version and alias",
        lambda e: e.read({"version": "v0", "alias": "best"}),
        Config,
        ["'v0'", "'best'", "pick one"],
    ),
    ("get and get_path", lambda e: e.read({"get": "T", "get_path": "p"}), Config, ["'T'", "'p'", "pick one"]),
    ("version not a version", lambda e: e.read({"version": "first"}), Config, ["'first'", "'v0'"]),
    ("version a bool", lambda e: e.read({"version": True}), Config, ["True"]),
    ("name with four parts", lambda e: e.read({"name": "a/b/c/d"}), Config, ["'a/b/c/d'"]),
    ("op input without name", lambda e: e.read({}, asset_key=None), Config, ["needs a 'name'"]),
    # Partition read configuration
    ("partitions not a dict", lambda e: e.read({"partitions": ["a"]}), Config, ["partitions", "['a']"]),
    (
        "partition entry not a dict",
        lambda e: e.read({"partitions": {"a": "v1"}}),
        Config,
        ["partitions['a']", "'v1'"],
    ),
    (
        "unknown partition key",
        lambda e: e.read({"partitions": {"*": {"name": "x"}}}),
        Config,
        ["'name'", "'*'"],
    ),
    (
        "partition version and alias",
        lambda e: e.read({"partitions": {"a": {"version": 1, "alias": "x"}}}),
        Config,
        ["partitions['a']", "pick one"],
    ),
    # Missing artifacts, versions, aliases, entries
    ("missing artifact", lambda e: e.read(asset="never_written"), NotFound, ["never_written"]),
    ("missing version", lambda e: e.read({"version": "v7"}), NotFound, ["v7", "v0"]),
    ("missing alias", lambda e: e.read({"alias": "production"}), NotFound, ["'production'", "best"]),
    (
        "missing entry for get_path",
        lambda e: e.read({"get_path": "model.pkl"}),
        NotFound,
        ["'model.pkl'", "output.pickle"],
    ),
    (
        "missing W&B object for get",
        lambda e: e.read({"get": "Table"}),
        NotFound,
        ["'Table'", "objects: (none)", "output.pickle"],
    ),
    (
        "misspelled W&B object for get",
        lambda e: (e.write(_table(), asset="scores"), e.read({"get": "Tabel"}, asset="scores")),
        NotFound,
        ["'Tabel'", "objects: Table;", "Table.table.json"],
    ),
    # Resource and IO manager configuration
    (
        "resource entity with a space",
        lambda e: integration.WandbResource(entity="my team"),
        Config,
        ["'my team'"],
    ),
    ("resource project with a colon", lambda e: integration.WandbResource(project="a:b"), Config, ["'a:b'"]),
    (
        "resource without entity",
        lambda e: integration.WandbResource(project="p", base_dir=str(e.tmp)).settings(),
        Config,
        ["entity is empty"],
    ),
    (
        "unknown mode",
        lambda e: settings_module.resolve_mode("sometimes", None, {}),
        Config,
        ["'sometimes'", "auto, online, offline"],
    ),
    (
        "negative cache duration",
        lambda e: integration.WandbArtifactsIOManager(
            wandb_resource=integration.WandbResource(), cache_duration_in_minutes=-1
        ),
        Config,
        ["-1", "use 0"],
    ),
    (
        "run_id and wandb_run_id differ",
        lambda e: integration.WandbArtifactsIOManager(
            wandb_resource=integration.WandbResource(), run_id="a", wandb_run_id="b"
        ),
        Config,
        ["'a'", "'b'"],
    ),
    # Registry promotion
    (
        "registry source without version",
        lambda e: integration.WandbResource(
            entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(e.tmp.parent / "dagster_home")
        ).link_artifact("thing", "wandb-registry-model/x"),
        Config,
        ["'thing'", "name:version-or-alias"],
    ),
    (
        "registry target malformed",
        lambda e: integration.WandbResource(
            entity=ENTITY, project=PROJECT, mode="offline", base_dir=str(e.tmp.parent / "dagster_home")
        ).link_artifact("thing:v0", "collection"),
        Config,
        ["'collection'", "wandb-registry-model/"],
    ),
]


@pytest.mark.parametrize(("action", "exception", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_named_with_its_fix(env, action, exception, fragments):
    with pytest.raises(exception) as excinfo:
        action(env)
    assert type(excinfo.value) is exception
    message = str(excinfo.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 40
