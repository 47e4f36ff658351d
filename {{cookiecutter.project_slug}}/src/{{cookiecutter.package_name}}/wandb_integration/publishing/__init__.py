"""Publishing offline work to W&B: ``publish.py`` (the command, the op, the job) over ``replay.py``."""

from .publish import PublishReport, main, make_publish_job, publish, publish_offline_artifacts, publish_store

__all__ = ["PublishReport", "main", "make_publish_job", "publish", "publish_offline_artifacts", "publish_store"]
