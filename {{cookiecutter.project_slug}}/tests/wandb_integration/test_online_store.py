"""The W&B back end against a recording fake of the SDK whose methods bind to the real wandb signatures."""

import inspect
import re
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
import wandb

from tests._package import PACKAGE_NAME, integration

online = import_module(f"{PACKAGE_NAME}.wandb_integration.store.online")
artifact_io = import_module(f"{PACKAGE_NAME}.wandb_integration.artifact_io")
settings_module = import_module(f"{PACKAGE_NAME}.wandb_integration.settings")
ArtifactId = integration.store.ArtifactId


def bind(real, *args, **kwargs):
    inspect.signature(real).bind(*args, **kwargs)


class FakeArtifact:
    """Stands for ``wandb.Artifact``: every call is bound to the real method's signature."""

    def __init__(self, sdk, *args, **kwargs):
        bind(wandb.Artifact.__init__, self, *args, **kwargs)
        self.sdk, self.files, self.refs = sdk, {}, {}
        self.base_name, self.type = args[0], args[1]
        self.description, self.metadata = kwargs.get("description"), kwargs.get("metadata") or {}
        self.aliases, self.version, self.entity, self.project = [], "v0", "acme", "models"
        self.id, self.url, self.digest = "QXJ0aWZhY3Q6MQ==", "http://wandb.test/a", "d" * 32

    @property
    def name(self):
        return f"{self.base_name}:{self.version}"

    @property
    def manifest(self):
        entries = {p: SimpleNamespace(digest="x", size=1, ref=None) for p in self.files}
        entries.update({p: SimpleNamespace(digest=u, size=0, ref=u) for p, u in self.refs.items()})
        return SimpleNamespace(entries=entries)

    def add_file(self, *args, **kwargs):
        bind(wandb.Artifact.add_file, self, *args, **kwargs)
        self.files[kwargs.get("name")] = args[0]

    def add_reference(self, *args, **kwargs):
        bind(wandb.Artifact.add_reference, self, *args, **kwargs)
        self.refs[kwargs.get("name")] = args[0]

    def wait(self, *args, **kwargs):
        bind(wandb.Artifact.wait, self, *args, **kwargs)
        self.sdk.calls.append("wait")
        return self

    def link(self, *args, **kwargs):
        bind(wandb.Artifact.link, self, *args, **kwargs)
        self.sdk.calls.append(("link", args, kwargs))
        return self


class FakeRun:
    def __init__(self, sdk):
        self.sdk, self.url = sdk, "http://wandb.test/run"

    def log_artifact(self, *args, **kwargs):
        bind(wandb.Run.log_artifact, self, *args, **kwargs)
        self.sdk.calls.append(("log_artifact", kwargs.get("aliases")))
        artifact = args[0]
        artifact.aliases = ["latest", *kwargs.get("aliases", [])]
        self.sdk.logged[artifact.base_name] = artifact
        return artifact

    def use_artifact(self, *args, **kwargs):
        bind(wandb.Run.use_artifact, self, *args, **kwargs)
        self.sdk.calls.append(("use_artifact", args[0]))
        name = args[0].split("/")[-1].split(":")[0]
        if name not in self.sdk.logged:
            raise wandb.errors.CommError(f"artifact {args[0]} not found")
        return self.sdk.logged[name]

    def finish(self, *args, **kwargs):
        bind(wandb.Run.finish, self, *args, **kwargs)
        self.sdk.calls.append("finish")


class FakeSdk:
    errors = wandb.errors

    def __init__(self):
        self.calls, self.logged = [], {}

    def init(self, *args, **kwargs):
        bind(wandb.init, *args, **kwargs)
        self.calls.append(("init", kwargs))
        return FakeRun(self)

    def Artifact(self, *args, **kwargs):
        return FakeArtifact(self, *args, **kwargs)

    def inits(self):
        return [call for call in self.calls if call[0] == "init"]


@pytest.fixture
def sdk():
    return FakeSdk()


@pytest.fixture
def worker(sdk, base_dir, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k" * 40)
    monkeypatch.delenv("WANDB_MODE")
    settings = settings_module.WandbSettings.build(entity="acme", project="models", mode="online", base_dir=base_dir)
    options = artifact_io.RunOptions(dagster_run_id="r" * 36, run_id="shared-run", run_name="n", run_tags=("t",))
    store = online.WandbArtifactStore(settings, options, 60, sdk=sdk)
    return artifact_io.ArtifactIO(settings=settings, store=store, options=options)


def test_one_run_for_five_inputs_and_five_outputs(worker, sdk):
    aliases = ["best"]
    for index in range(5):
        context = dg.build_output_context(
            asset_key=f"out_{index}", definition_metadata={"wandb_artifact_configuration": {"aliases": aliases}}
        )
        worker.handle_output(context, {"index": index})
    for index in range(5):
        version = worker._resolve(ArtifactId("acme", "models", f"out_{index}"), integration.config.ReadSpec(), "in")
        assert version.id.name == f"out_{index}"
    worker.close()
    assert len(sdk.inits()) == 1
    init = sdk.inits()[0][1]
    assert (init["id"], init["resume"], init["reinit"]) == ("shared-run", "allow", "create_new")
    assert "t" in init["tags"] and sdk.calls[-1] == "finish"
    assert aliases == ["best"], "the user's alias list is never mutated"
    assert sum(1 for call in sdk.calls if call[0] == "log_artifact") == 5


def test_the_run_is_finished_even_when_the_step_fails(worker, sdk):
    context = dg.build_output_context(asset_key="x")
    worker.handle_output(context, [1])
    with pytest.raises(integration.WandbConfigurationError):
        worker.handle_output(
            dg.build_output_context(asset_key="y", definition_metadata={"wandb_artifact_configuration": {"typo": 1}}),
            [2],
        )
    worker.close()
    assert sdk.calls[-1] == "finish"


def test_missing_artifacts_are_named(worker):
    with pytest.raises(integration.ArtifactNotFoundError, match="acme/models/nothing:v3"):
        worker.store.resolve(ArtifactId("acme", "models", "nothing"), version=3)


def test_output_metadata_carries_id_and_urls(worker):
    context = dg.build_output_context(asset_key="with_urls")
    worker.handle_output(context, [1])
    metadata = {k: getattr(v, "value", v) for k, v in context.get_logged_metadata().items()}
    assert metadata["wandb_artifact_id"] == "QXJ0aWZhY3Q6MQ=="
    assert metadata["wandb_artifact_url"].startswith("http")
    assert metadata["wandb_mode"] == "online"


def test_the_package_uses_no_private_wandb_modules():
    package = Path(integration.__file__).parent
    offenders = [
        p.name for p in package.rglob("*.py") if re.search(r"wandb\.sdk\.internal|wandb\.sdk\.lib", p.read_text())
    ]
    assert offenders == []
