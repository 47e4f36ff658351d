"""Retrain weekly; stopped until someone turns it on in the UI (a template should not start jobs by itself)."""

import dagster as dg

from .jobs import training_job

weekly_retraining = dg.ScheduleDefinition(
    name="weekly_retraining",
    job=training_job,
    cron_schedule="0 3 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Retrain and re-evaluate every Monday at 03:00 UTC.",
)
