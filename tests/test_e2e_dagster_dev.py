"""End to end as a person sees it: bake, `dg dev` (as `make dev`), launch the training job, look at the UI.

The server runs on a free loopback port with its own DAGSTER_HOME (default run coordinator, so runs start
at once), wandb offline. The UI is checked in Debian's headless Chromium through selenium with the system
chromedriver (nothing is downloaded). Screenshots go to ``.bake/screenshots/``.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import BIN, REPO, answers_of, project_env, run_in

SCREENSHOTS = REPO / ".bake" / "screenshots"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
DAGSTER_YAML = """\
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
telemetry:
  enabled: false
"""

pytestmark = pytest.mark.e2e
# The confusion matrix's <img> in the asset page's metadata table (row "confusion_matrix").
CONFUSION_MATRIX = "//tr[td[1][normalize-space()='confusion_matrix']]//img"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def group_members(pgid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()


@pytest.fixture
def dagster_dev(baked, tmp_path):
    """A running `dg dev` for the default project; stopped (whole process group) even on failure."""
    project = baked()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    port = free_port()
    env = {**project_env(project), "DAGSTER_HOME": str(home)}
    # As `make dev` does first: publish the labels artifact raw_dataset reads (made outside Dagster).
    package = answers_of(project)["package_name"]
    published = run_in(
        project, str(BIN / "python"), "-m", f"{package}.external_artifact", env={"DAGSTER_HOME": str(home)}
    )
    assert published.returncode == 0, published.stderr
    with open(tmp_path / "dagster-dev.log", "w") as log:
        process = subprocess.Popen(
            # As `make dev` runs it: dg reads [tool.dg] (the module and the location name) from pyproject.
            [str(BIN / "dg"), "dev", "--host", "127.0.0.1", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(lambda: answers_http(f"http://127.0.0.1:{port}/server_info"), 90, "/server_info")
            yield {"port": port, "project": project, "log": tmp_path / "dagster-dev.log"}
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            wait_for(lambda: not group_members(process.pid), 30, "every dg dev process to exit")


def location_loaded(client) -> bool:
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    entries = client._execute(query)["workspaceOrError"]["locationEntries"]
    return bool(entries) and all(entry["loadStatus"] == "LOADED" for entry in entries)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def open_page(driver, url: str) -> None:
    """Open ``url`` and dismiss Dagster's first-visit community dialog if it shows up."""
    driver.get(url)
    time.sleep(2)
    for button in driver.find_elements("xpath", "//button[normalize-space()='Skip']"):
        button.click()


def test_materialize_in_dagster_dev_and_see_the_wandb_metadata(dagster_dev):
    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError  # noqa: F401

    started = time.monotonic()
    port = dagster_dev["port"]
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    wait_for(lambda: location_loaded(client), 90, "the code location to load")
    location = answers_of(dagster_dev["project"])["project_slug"]  # [tool.dagster] code_location_name
    run_id = client.submit_job_execution(
        "training_job", repository_location_name=location, repository_name="__repository__"
    )
    status = wait_for(
        lambda: (s := client.get_run_status(run_id).value) in ("SUCCESS", "FAILURE", "CANCELED") and s,
        240,
        "the training run",
        interval=1,
    )
    assert status == "SUCCESS", dagster_dev["log"].read_text()[-4000:]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = browser()
    try:
        open_page(driver, f"http://127.0.0.1:{port}/assets/model_evaluation?view=lineage&lineageScope=upstream")
        wait_for(
            lambda: "trained_model" in driver.page_source and "validation_dataset" in driver.page_source,
            60,
            "the asset graph",
        )
        driver.save_screenshot(str(SCREENSHOTS / "asset_graph.png"))

        open_page(driver, f"http://127.0.0.1:{port}/assets/model_evaluation")
        wait_for(lambda: "wandb_artifact_version" in driver.page_source, 60, "the W&B metadata on the asset page")
        page = driver.page_source
        for entry in ("wandb_artifact_version", "wandb_artifact_digest", "wandb_artifact_path", "wandb_mode"):
            assert entry in page, entry
        assert "accuracy" in page and "roc_auc_ovr" in page, "the metrics table"
        assert "recall" in page and "support" in page, "the per-class table"
        # The confusion matrix is a picture on the page itself (markdown under Dagster's inline limit).
        picture = wait_for(
            lambda: (found := driver.find_elements("xpath", CONFUSION_MATRIX)) and found[0], 60, "the confusion matrix"
        )
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", picture)
        loaded = "return arguments[0].complete && arguments[0].naturalWidth"
        assert wait_for(lambda: driver.execute_script(loaded, picture), 30, "the picture to load") > 0
        driver.save_screenshot(str(SCREENSHOTS / "model_evaluation.png"))

        # The Checks tab: the blocking threshold check that gated registered_model, with its result.
        open_page(driver, f"http://127.0.0.1:{port}/assets/model_evaluation?view=checks")
        wait_for(lambda: "model_meets_thresholds" in driver.page_source, 60, "the check on the Checks tab")
        wait_for(lambda: "Passed" in driver.page_source, 60, "the check's result")
        driver.save_screenshot(str(SCREENSHOTS / "model_evaluation_checks.png"))
    finally:
        driver.quit()
    assert (SCREENSHOTS / "asset_graph.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "model_evaluation_checks.png").stat().st_size > 10_000
    print(f"e2e: {time.monotonic() - started:.1f} s after the server answered", file=sys.stderr)
