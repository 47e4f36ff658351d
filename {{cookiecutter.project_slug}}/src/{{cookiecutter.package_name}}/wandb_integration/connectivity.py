"""Fail fast online: one bounded check that the W&B server answers, before a process's first W&B call.

Without it, a wrong host or a network that cannot reach W&B costs minutes of wandb's retries and ends in an
error that names neither the host nor the way out. One GraphQL request (the viewer query, the credential
check wandb itself starts with) with a deadline tells within seconds: the host name does not resolve,
nothing listens, nothing answers, TLS fails, the key is rejected (HTTP 401/403), or the server errs. Each
becomes one ``WandbModeError`` naming the host, the cause and the two ways forward. A host and key that
answered are not checked again in the process. ``connect_timeout`` 0 skips the check.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import threading
import urllib.error
import urllib.request
from typing import Any

from .errors import WandbModeError
from .settings import WandbSettings

_answered: set[tuple[str, str]] = set()
_lock = threading.Lock()


def check_server(settings: WandbSettings) -> None:
    """``check_connection`` for resolved settings (nothing to check offline)."""
    if settings.mode == "online":
        check_connection(settings.host, settings.api_key, settings.connect_timeout)


def check_connection(host: str | None, api_key: str | None, timeout: float) -> None:
    """Raise ``WandbModeError`` unless the W&B server (``host``, else ``WANDB_BASE_URL``, else wandb's
    default) answers the viewer query for ``api_key`` within ``timeout`` seconds."""
    if timeout <= 0:
        return
    url = server_url(host)
    key = (url, api_key or "")
    with _lock:
        if key in _answered:
            return
    outcome: dict[str, Any] = {}
    probe = threading.Thread(target=_probe, args=(url, key[1], timeout, outcome), daemon=True)
    probe.start()
    probe.join(timeout + 1)  # a DNS lookup ignores socket timeouts: bound the whole check
    if outcome.get("ok") is not True:
        problem = outcome.get("problem", f"no answer within {timeout:g} s")
        raise WandbModeError(
            f"W&B at {url} cannot be used: {problem}. Either fix the host (WANDB_BASE_URL, or the resource's "
            "host) or the API key (WANDB_API_KEY), or work offline with WANDB_MODE=offline: artifacts then go to "
            f"the local store, and `make publish` uploads them later. (Checked within {timeout:g} s; the "
            "resource's connect_timeout sets how long, 0 skips the check.)"
        )
    with _lock:
        _answered.add(key)


def server_url(host: str | None) -> str:
    """The W&B API host the SDK will talk to: ``host``, ``WANDB_BASE_URL``, else wandb's default."""
    if host or os.environ.get("WANDB_BASE_URL"):
        return (host or os.environ["WANDB_BASE_URL"]).rstrip("/")
    import wandb

    return str(wandb.Settings().base_url).rstrip("/")


def _probe(host: str, api_key: str, timeout: float, outcome: dict[str, Any]) -> None:
    body = json.dumps({"operationName": "Viewer", "query": "query Viewer { viewer { id entity } }", "variables": {}})
    credentials = base64.b64encode(f"api:{api_key}".encode()).decode()
    request = urllib.request.Request(
        f"{host}/graphql",
        data=body.encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Basic {credentials}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read() or b"{}")
        viewer = (answer.get("data") or {}).get("viewer")
        if viewer:
            outcome["ok"] = True
        else:
            outcome["problem"] = "it does not accept the API key (no viewer for it)"
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            outcome["problem"] = f"it rejected the API key (HTTP {exc.code})"
        else:
            outcome["problem"] = (
                f"it answered HTTP {exc.code} at /graphql; is that the API host (W&B's cloud is wandb's default, "
                "https://api.forge.coreweave.com in wandb 0.31; your server's URL for a dedicated one)?"
            )
    except urllib.error.URLError as exc:
        outcome["problem"] = _network_problem(exc.reason, timeout)
    except (OSError, ValueError) as exc:  # a timeout while reading; an answer that is no JSON
        outcome["problem"] = _network_problem(exc, timeout)


def _network_problem(reason: Any, timeout: float) -> str:
    if isinstance(reason, socket.gaierror):
        return f"its host name does not resolve (DNS: {reason.strerror or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return "nothing listens there (connection refused)"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason})"
    if isinstance(reason, ValueError):
        return "its answer is not a W&B API response (not JSON)"
    return f"the connection failed ({reason})"
