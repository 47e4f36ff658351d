"""A recording stand-in for ``wandb.sdk.launch``, for the Launch op tests (test_launch.py).

Every method binds its arguments to the real wandb 0.31 signature first, so a keyword or function wandb
does not have fails the test. Install it as ``ops.LAUNCH``; calls are recorded in ``calls``.
"""

import inspect
import os
import pprint
import sys
from importlib import import_module
from types import SimpleNamespace

from tests._package import PACKAGE_NAME

ops = import_module(f"{PACKAGE_NAME}.wandb_integration.launch.ops")


class FakeLaunch:
    """Records calls; a wrong keyword or a function missing from wandb fails in ``bind``."""

    def __init__(self, item_states=("pending", "claimed"), run_states=("running", "finished"), local_state="finished"):
        self.real = ops._wandb_launch()
        self.LaunchError = self.real.LaunchError
        self.item_states = list(item_states)
        self.run_states = list(run_states)  # what the launched run reports: first, then after each load
        self.missing_job = False
        self.local_state = local_state
        self.calls = []
        self.env_at_call = {}

    def _record(self, label, real, /, *args, **kwargs):
        inspect.signature(real).bind(*args, **kwargs)
        self.calls.append((label, args, kwargs))
        self.env_at_call[label] = {key: os.environ.get(key) for key in ("WANDB_API_KEY", "WANDB_BASE_URL")}

    def launch(self, *args, **kwargs):
        from wandb.sdk.launch.runner.abstract import AbstractRun

        self._record("launch", self.real.launch, *args, **kwargs)
        fake = self

        class SubmittedRun:
            id = "4242"

            async def get_status(self, *a, **k):
                inspect.signature(AbstractRun.get_status).bind(self, *a, **k)
                fake.calls.append(("get_status", a, k))
                return fake.local_state

        return SubmittedRun()

    def launch_add(self, *args, **kwargs):
        from wandb.apis.public.jobs import QueuedRun as RealQueuedRun

        self._record("launch_add", self.real.launch_add, *args, **kwargs)
        # What wandb 0.31's launch_add prints (tests set WANDB_SILENT, so print it the way termlog would).
        sys.stderr.write(f"wandb: Launch spec:\n{pprint.pformat(kwargs)}\n")
        assert isinstance(RealQueuedRun.state, property)
        fake = self

        class QueuedRun:
            id = "queued-1"

            @property
            def state(self):
                fake.calls.append(("state", (), {}))
                return fake.item_states.pop(0) if len(fake.item_states) > 1 else fake.item_states[0]

            def wait_until_running(self, *a, **k):
                inspect.signature(RealQueuedRun.wait_until_running).bind(self, *a, **k)
                fake.calls.append(("wait_until_running", a, k))
                return FakeRun(fake)

        return QueuedRun()

    def Api(self, *args, **kwargs):
        import wandb

        self._record("Api", wandb.Api.__init__, None, *args, **kwargs)
        fake = self

        class Api:
            def artifact(self, *a, **k):
                inspect.signature(wandb.Api.artifact).bind(self, *a, **k)
                fake.calls.append(("Api.artifact", a, k))
                if fake.missing_job:
                    raise ValueError(f"artifact membership {a[0]!r} not found in 'acme/models'")

        return Api()

    def create_and_run_agent(self, *args, **kwargs):
        from wandb.sdk.launch.agent.config import AgentConfig

        self._record("create_and_run_agent", self.real.create_and_run_agent, *args, **kwargs)
        AgentConfig(**args[1])  # what the real function validates before starting the agent

    def LaunchApi(self, *args, **kwargs):
        self._record("LaunchApi", self.real.LaunchApi, *args, **kwargs)
        return SimpleNamespace(kind="launch-api")

    def names(self):
        return [name for name, _, _ in self.calls]


class FakeRun:
    """The ``wandb.apis.public.Run`` that ``wait_until_running`` returns: ``state``, ``url``, ``load``."""

    url = "http://wandb.test/acme/models/runs/r1"

    def __init__(self, fake):
        self.fake, self.state = fake, fake.run_states.pop(0)

    def load(self, *a, **k):
        from wandb.apis.public import Run

        inspect.signature(Run.load).bind(self, *a, **k)
        self.fake.calls.append(("load", a, k))
        self.state = self.fake.run_states.pop(0)
