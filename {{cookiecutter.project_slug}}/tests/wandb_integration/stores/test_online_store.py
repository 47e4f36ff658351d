"""The W&B back end against ``FakeWandb``: every SDK call bound to the real wandb signature, no network."""

import ast
import dataclasses
import pickle
import re
from importlib import import_module

import dagster as dg
import pytest

from tests import _sources
from tests._package import PACKAGE_NAME, integration
from tests.wandb_integration.fake_wandb import FakeWandb

online = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.online")
runs = import_module(f"{PACKAGE_NAME}.wandb_integration.runs")
settings_module = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")
ArtifactId = integration.stores.ArtifactId
ArtifactDraft = integration.stores.ArtifactDraft
KEY = "k" * 40


@pytest.fixture
def sdk(tmp_path):
    return FakeWandb(tmp_path / "server")


@pytest.fixture
def settings(base_dir, monkeypatch):
    monkeypatch.delenv("WANDB_MODE")  # conftest forces offline; this store exists only online
    return settings_module.WandbSettings.build(
        entity="acme", project="models", mode="online", api_key=KEY, base_dir=base_dir, connect_timeout=0
    )


def make_store(settings, sdk, cache_minutes=60, run_id="shared-run"):
    options = runs.RunOptions(dagster_run_id="d" * 36, run_id=run_id, run_name="nightly", run_tags=("t",))
    return online.WandbArtifactStore(settings, options, cache_minutes, sdk=sdk)


def commit(store, name, files, aliases=(), refs=()):
    with store.staging_dir() as staging:
        draft = ArtifactDraft(id=ArtifactId("acme", "models", name), type="dataset", aliases=list(aliases))
        for path, text in files.items():
            (staging / path).write_text(text)
            draft.files[path] = staging / path
        draft.references = [integration.stores.ManifestEntry(p, u, 0, u) for p, u in refs]
        return store.commit(draft)


def io_manager_with(sdk, resource):
    """The real Pythonic IO manager (its teardown included) with the fake SDK in its W&B store."""

    class FakeSdkIOManager(integration.WandbArtifactsIOManager):
        def create_io_manager(self, context):
            worker = super().create_io_manager(context)
            worker.store.close()  # the real-SDK store was never used; swap in one with the fake
            store = online.WandbArtifactStore(worker.settings, worker.options, 60, sdk=sdk)
            return dataclasses.replace(worker, store=store)

    return FakeSdkIOManager(wandb_resource=resource)


@pytest.fixture
def resources(sdk, base_dir, monkeypatch):
    monkeypatch.delenv("WANDB_MODE")
    resource = integration.WandbResource(
        entity="acme", project="models", mode="online", api_key=KEY, base_dir=str(base_dir), connect_timeout=0
    )  # connect_timeout 0: FakeWandb stands for the server, there is none to check
    return {"io_manager": io_manager_with(sdk, resource)}


SOURCES = [f"source_{index}" for index in range(5)]


@dg.multi_asset(outs={name: dg.AssetOut() for name in SOURCES})
def sources():
    return tuple([index] * 3 for index in range(5))


@dg.multi_asset(
    ins={name: dg.AssetIn() for name in SOURCES},
    outs={
        f"derived_{index}": dg.AssetOut(metadata={"wandb_artifact_configuration": {"aliases": ["best"]}})
        for index in range(5)
    },
)
def derived(source_0, source_1, source_2, source_3, source_4):
    return tuple([value * 10 for value in values] for values in (source_0, source_1, source_2, source_3, source_4))


def test_one_wandb_run_for_a_step_with_five_inputs_and_five_outputs(resources, sdk):
    assert dg.materialize([sources], resources=resources).success
    sdk.calls.clear()
    result = dg.materialize([sources, derived], selection=[derived], resources=resources)
    assert result.success
    assert result.output_for_node("derived", "derived_4") == [40, 40, 40]
    names = [name for name, _ in sdk.calls]
    assert names.count("init") == 1 and names.count("finish") == 1
    assert names[0] == "init" and names[-1] == "finish", "opened on first use, finished at teardown"
    assert names.count("log_artifact") == 5 and names.count("wait") == 5
    read = {call["artifact_or_name"].split(":")[0] for call in sdk.named("use_artifact")}
    assert read == {f"acme/models/{name}" for name in SOURCES}, "inputs go through use_artifact (lineage)"
    init = sdk.named("init")[0]
    assert (init["id"], init["resume"], init["reinit"]) == (result.run_id, "allow", "create_new")
    assert init["mode"] == "online", "explicit: a `wandb offline` settings file cannot turn the run offline"
    assert init["settings"].api_key == KEY and "dagster_wandb" in init["tags"]


def test_the_run_is_finished_when_the_step_fails(resources, sdk):
    @dg.asset
    def broken(source_0: list) -> list:
        raise RuntimeError("the step fails after reading its input")

    assert dg.materialize([sources], resources=resources).success
    sdk.calls.clear()
    result = dg.materialize([sources, broken], selection=[broken], resources=resources, raise_on_error=False)
    assert not result.success
    assert [name for name, _ in sdk.calls if name in ("init", "finish")] == ["init", "finish"]


def test_close_finishes_the_run_and_releases_the_cache_after_an_sdk_error(settings, sdk):
    store = make_store(settings, sdk, cache_minutes=0)
    version = commit(store, "table", {"a.txt": "a"})
    store.local_path(version, "a.txt")
    sdk.collections.clear()  # the next upload meets a server that lost the project: use_artifact fails
    with pytest.raises(integration.ArtifactNotFoundError):
        store.resolve(ArtifactId("acme", "models", "table"))
    store.close()
    assert sdk.calls[-1][0] == "finish"
    assert not any(store.cache.root.joinpath("entries").iterdir()), "duration 0: released entries are removed"


def test_run_id_name_and_tags_reach_wandb_init(settings, sdk):
    store = make_store(settings, sdk, run_id="shared-run")
    commit(store, "table", {"a.txt": "a"})
    store.close()
    init = sdk.named("init")[0]
    assert (init["id"], init["name"], init["tags"], init["resume"]) == ("shared-run", "nightly", ["t"], "allow")
    assert (init["entity"], init["project"], init["dir"]) == ("acme", "models", str(settings.runs_dir))


def test_the_users_alias_list_is_never_mutated(resources, sdk):
    aliases = ["best"]

    @dg.asset(metadata={"wandb_artifact_configuration": {"aliases": aliases}})
    def scores() -> list:
        return [1]

    for _ in range(2):
        assert dg.materialize([scores], resources=resources).success
    assert aliases == ["best"]
    sent = [call["aliases"] for call in sdk.named("log_artifact")]
    assert all(a is not aliases and a[0] == "best" and a[1].startswith("dagster-run-") for a in sent)


def test_missing_versions_are_named_with_what_exists(settings, sdk):
    store = make_store(settings, sdk)
    commit(store, "table", {"a.txt": "a"}, aliases=["gold"])
    commit(store, "table", {"a.txt": "b"})
    with pytest.raises(integration.ArtifactNotFoundError) as info:
        store.resolve(ArtifactId("acme", "models", "table"), version=7)
    assert not sdk.named("Api.artifact"), "what exists is looked up only when the message is shown"
    assert re.search(r"acme/models/table:v7.*v0 to v1; aliases: gold, latest", str(info.value))
    assert isinstance(info.value.__cause__, ValueError), "wandb's own error stays attached"
    assert str(pickle.loads(pickle.dumps(info.value))) == str(info.value)
    with pytest.raises(integration.ArtifactNotFoundError, match="No artifact named 'nothing'"):
        store.resolve(ArtifactId("acme", "models", "nothing"), alias="best")
    with pytest.raises(integration.WandbConfigurationError, match="both version 1 and alias 'gold'"):
        store.resolve(ArtifactId("acme", "models", "table"), version=1, alias="gold")


def test_other_wandb_errors_are_not_disguised_as_not_found(settings, sdk, monkeypatch):
    store = make_store(settings, sdk)

    def refused(*args, **kwargs):
        raise sdk.errors.CommError("connection refused")

    monkeypatch.setattr(store.run(), "use_artifact", refused)
    with pytest.raises(sdk.errors.CommError, match="connection refused"):
        store.resolve(ArtifactId("acme", "models", "table"))


def test_files_are_downloaded_once_and_verified(settings, sdk):
    store = make_store(settings, sdk)
    version = commit(store, "table", {"a.txt": "a", "b.txt": "b"}, refs=[("r.csv", "https://example.com/r.csv")])
    assert store.local_path(version, "a.txt").read_text() == "a"
    assert store.local_path(version, "b.txt").read_text() == "b"
    downloads = sdk.named("entry.download")
    assert len(downloads) == 2 and not sdk.named("download"), "stored files only: references stay remote"
    with pytest.raises(integration.ArtifactNotFoundError, match=r"reference to https://example\.com/r\.csv"):
        store.local_path(version, "r.csv")
    store.local_path(version, "a.txt").chmod(0o644)
    store.local_path(version, "a.txt").write_text("tampered")
    store.close()
    fresh = make_store(settings, sdk)
    with pytest.raises(integration.ArtifactIntegrityError, match="does not match its manifest digest"):
        fresh.local_path(fresh.resolve(ArtifactId("acme", "models", "table")), "a.txt")
    fresh.close()


def test_link_location_and_open(settings, sdk):
    store = make_store(settings, sdk)
    version = commit(store, "model", {"m.bin": "weights"})
    linked = store.link(version, ArtifactId("acme-org", "wandb-registry-model", "wine"), aliases=["production"])
    assert sdk.named("link")[0] == {"target_path": "acme-org/wandb-registry-model/wine", "aliases": ["production"]}
    assert (linked.id.project, linked.id.name, "production" in linked.aliases) == ("wandb-registry-model", "wine", True)
    where = store.location(version)
    assert where["wandb_artifact_url"].startswith("https://") and where["wandb_run_url"].startswith("https://")
    assert store.open(version) is version.handle
    store.close()


def test_the_store_refuses_offline_settings(base_dir):
    offline = settings_module.WandbSettings.build(entity="acme", project="models", mode="offline", base_dir=base_dir)
    with pytest.raises(integration.WandbConfigurationError, match="needs mode 'online'"):
        make_store(offline, None)


def test_the_package_imports_no_private_wandb_modules():
    # Launch's public entry points live in wandb.sdk.launch; the stand-in reads wandb's protobuf enum.
    allowed = re.compile(r"wandb(\.data_types|\.sdk\.launch(\.api)?|\.proto)?(\.[A-Za-z]\w*)?$")
    offenders = []
    for module, tree in _sources.TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{module}: {n}" for n in names if n.startswith("wandb") and not allowed.match(n)]
    assert offenders == []
    assert not [module for module, path in _sources.MODULES.items() if "wandb.sdk.internal" in path.read_text()]
