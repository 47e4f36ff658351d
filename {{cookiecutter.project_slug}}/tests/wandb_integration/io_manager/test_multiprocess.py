"""Dagster's multiprocess executor: several step processes write and read the same store at once."""

import os
from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration

pytestmark = pytest.mark.slow  # starts processes of its own

local = import_module(f"{PACKAGE_NAME}.wandb_integration.stores.local")
FAN_OUT = 4


def fan_out_job() -> dg.JobDefinition:
    """A root, four steps that each write two versions of one shared artifact and their own, and a join."""

    @dg.asset
    def root() -> list:
        return list(range(100))

    def branch(index: int) -> dg.AssetsDefinition:
        @dg.asset(name=f"branch_{index}")
        def _branch(root: list) -> dict:
            store = local.LocalArtifactStore(os.environ["MULTIPROCESS_STORE"])
            for attempt in range(2):  # extra writers racing on one name, beside the IO manager's own writes
                with store.staging_dir() as folder:
                    (folder / "value.txt").write_text(f"{index}-{attempt}")
                    store.commit(
                        integration.stores.ArtifactDraft(
                            id=integration.stores.ArtifactId("e", "p", "shared"),
                            type="dataset",
                            files={"value.txt": folder / "value.txt"},
                        )
                    )
            return {"index": index, "total": sum(root)}

        return _branch

    branches = [branch(i) for i in range(FAN_OUT)]

    @dg.asset
    def joined(branch_0: dict, branch_1: dict, branch_2: dict, branch_3: dict) -> list:
        return sorted(value["index"] for value in (branch_0, branch_1, branch_2, branch_3))

    resource = integration.WandbResource(
        entity="e", project="p", mode="offline", base_dir=os.environ["MULTIPROCESS_BASE"]
    )
    defs = dg.Definitions(
        assets=[root, *branches, joined],
        resources={"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)},
        executor=dg.multiprocess_executor.configured({"max_concurrent": 4}),
        jobs=[dg.define_asset_job("fan_out", selection="*")],
    )
    return defs.resolve_job_def("fan_out")


@pytest.mark.stress
def test_concurrent_step_processes_lose_no_version(base_dir, monkeypatch):
    store_root = base_dir / "wandb" / "artifacts"
    monkeypatch.setenv("MULTIPROCESS_BASE", str(base_dir))
    monkeypatch.setenv("MULTIPROCESS_STORE", str(store_root))
    with (
        dg.instance_for_test() as instance,
        dg.execute_job(dg.reconstructable(fan_out_job), instance=instance) as result,
    ):
        assert result.success
        assert result.output_for_node("joined") == list(range(FAN_OUT))
    store = local.LocalArtifactStore(store_root)
    shared = store.versions(integration.stores.ArtifactId("e", "p", "shared"))
    # 8 writes of 8 distinct contents: gap-free versions, none lost, latest on the last one committed.
    assert [v.version for v in shared] == list(range(2 * FAN_OUT))
    assert store.resolve(integration.stores.ArtifactId("e", "p", "shared")).version == 2 * FAN_OUT - 1
    for version in shared:
        store.verify(version)
    for index in range(FAN_OUT):
        assert store.resolve(integration.stores.ArtifactId("e", "p", f"branch_{index}")).version == 0
