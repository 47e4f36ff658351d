"""dagster-wandb's ``dagster_wandb.utils`` path; only ``utils.errors`` was meant for users."""
