"""Test support: a stand-in of the W&B API on 127.0.0.1 so tests can run the real wandb SDK online.

``FakeWandbServer`` (``server.py``) is the stand-in; ``fixtures.py`` holds pytest fixtures that start it
and point wandb at it; ``launch_handlers.py`` serves W&B Launch queues, which tests drive with
``launch_queues(server.state)``. Nothing here is imported by the integration itself.
"""

from .server import FakeWandbServer, RecordedRequest

__all__ = ["FakeWandbServer", "RecordedRequest"]
