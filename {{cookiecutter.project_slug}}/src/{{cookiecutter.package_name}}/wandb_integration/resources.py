"""dagster-wandb's ``dagster_wandb.resources`` path, so code moved over with one changed import keeps
working; the resource itself lives in ``resource.py``."""

from .resource import WandbResource, wandb_resource

__all__ = ["WandbResource", "wandb_resource"]
