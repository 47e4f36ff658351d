"""W&B Launch ops: ``run_launch_agent`` and ``run_launch_job`` (see ``ops.py``)."""

from .config import LaunchAgentConfig, LaunchJobConfig
from .ops import run_launch_agent, run_launch_job

__all__ = ["LaunchAgentConfig", "LaunchJobConfig", "run_launch_agent", "run_launch_job"]
