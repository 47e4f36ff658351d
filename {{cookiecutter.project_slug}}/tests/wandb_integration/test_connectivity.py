"""Fail fast online: a host that does not resolve, refuses, never answers or rejects the key is one clear
error within seconds, naming the host, the cause and the ways forward (connectivity.py)."""

import socket
import threading
import time
from importlib import import_module

import dagster as dg
import pytest

from tests._package import PACKAGE_NAME, integration

connectivity = import_module(f"{PACKAGE_NAME}.wandb_integration.connectivity")
testing = import_module(f"{PACKAGE_NAME}.wandb_integration.testing")
KEY = "k" * 40
LIMIT = 10  # seconds: what a newcomer waits at most to learn what is wrong


def failure(host, key=KEY, timeout=2.0):
    start = time.monotonic()
    with pytest.raises(integration.WandbModeError) as info:
        connectivity.check_connection(host, key, timeout)
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert elapsed < LIMIT, f"took {elapsed:.1f} s"
    assert host.rstrip("/") in message and "WANDB_BASE_URL" in message and "WANDB_MODE=offline" in message
    return message


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free now, and nothing listens on it


@pytest.fixture
def silent_server():
    """A loopback socket that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


def test_nothing_listening_is_a_refused_connection(closed_port):
    assert "connection refused" in failure(f"http://127.0.0.1:{closed_port}")


def test_a_server_that_never_answers_fails_at_the_deadline(silent_server):
    start = time.monotonic()
    assert "no answer within 0.5 s" in failure(silent_server, timeout=0.5)
    assert time.monotonic() - start < 2, "the deadline is the configured one, not a default"


def test_a_host_that_does_not_resolve_is_named_as_such():
    assert "does not resolve" in failure("http://no-such-host.invalid")


def test_a_rejected_key_is_named_and_an_accepted_one_is_checked_once_per_process():
    with testing.FakeWandbServer(accepted_key=KEY) as server:
        assert "rejected the API key (HTTP 401)" in failure(server.url, key="w" * 40)
        connectivity.check_connection(server.url, KEY, 2.0)
        connectivity.check_connection(server.url, KEY, 2.0)
        assert server.count("Viewer") == 1
    connectivity.check_connection("http://127.0.0.1:9", KEY, 0)  # 0 skips the check


def test_a_step_online_against_an_unreachable_host_fails_in_seconds_saying_what_to_do(
    closed_port, base_dir, monkeypatch
):
    monkeypatch.delenv("WANDB_MODE")  # the tests' offline default would win over the configured mode
    resource = integration.WandbResource(
        entity="e", project="p", mode="online", api_key=KEY, host=f"http://127.0.0.1:{closed_port}",
        base_dir=str(base_dir), connect_timeout=2,
    )  # fmt: skip

    @dg.asset
    def anything() -> int:
        return 1

    start = time.monotonic()
    result = dg.materialize(
        [anything],
        resources={"io_manager": integration.WandbArtifactsIOManager(wandb_resource=resource)},
        raise_on_error=False,
    )
    assert time.monotonic() - start < LIMIT
    failure_event = next(event for event in result.all_events if event.is_step_failure)
    error = failure_event.step_failure_data.error
    while error.cause is not None and "WandbModeError" not in error.cls_name:
        error = error.cause
    assert error.cls_name == "WandbModeError"
    assert f"127.0.0.1:{closed_port}" in error.message and "connection refused" in error.message
