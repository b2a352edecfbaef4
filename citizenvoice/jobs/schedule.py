"""The periodic jobs as data: what runs, on which queue, how often (``python worker.py --cron``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from citizenvoice.jobs.drift import weekly_drift_report_job
from citizenvoice.jobs.maintenance import (
    auto_close_job,
    clean_search_index_job,
    prune_media_job,
    refresh_duplicate_groups_job,
    refresh_hot_issues_job,
    refresh_topics_job,
)
from citizenvoice.jobs.models import weekly_retrain_job
from citizenvoice.jobs.notifications import send_due_job
from citizenvoice.jobs.opendata import build_open_data_job
from citizenvoice.jobs.outbox import relay_outbox_job
from citizenvoice.jobs.queues import BATCH, SCHEDULED, JobSpec

__all__ = ["DEFAULT_RELAY_INTERVAL_SECONDS", "Periodic", "periodic_jobs"]


@dataclass(frozen=True)
class Periodic:
    """A job the cron scheduler queues: every ``interval`` seconds or on a ``cron`` line."""

    function: Callable[..., Any]
    spec: JobSpec
    cron: str | None = None
    interval: int | None = None


# The relay sweep every minute catches anything the web could not queue within a minute of
# Redis coming back.
DEFAULT_RELAY_INTERVAL_SECONDS = 60


def periodic_jobs(relay_interval: int = DEFAULT_RELAY_INTERVAL_SECONDS) -> tuple[Periodic, ...]:
    """Every periodic job; the minutes are spread so the hourly ones never start together."""
    return (
        Periodic(relay_outbox_job, SCHEDULED, interval=relay_interval),
        # Residents' messages due after quiet hours, a provider's back-off or a Redis outage.
        Periodic(send_due_job, SCHEDULED, interval=relay_interval),
        Periodic(refresh_duplicate_groups_job, SCHEDULED, cron="7 * * * *"),
        # Unanswered follow-ups close as "no response" once a night, outside office hours.
        Periodic(auto_close_job, SCHEDULED, cron="30 1 * * *"),
        # Topics nightly (a minute of CPU for a month of messages); hot issues hourly (cheap).
        Periodic(refresh_topics_job, BATCH, cron="15 2 * * *"),
        Periodic(refresh_hot_issues_job, SCHEDULED, cron="37 * * * *"),
        # The search index's pending list is merged hourly (migration 0011), besides autovacuum.
        Periodic(clean_search_index_job, SCHEDULED, cron="47 * * * *"),
        # Open data nightly after the topics (03:15 server time): a dated folder of files.
        Periodic(build_open_data_job, BATCH, cron="15 3 * * *"),
        # A challenger of each model from the week's labels, Sunday night; never promoted here.
        Periodic(weekly_retrain_job, BATCH, cron="30 4 * * 0"),
        # Photos uploaded through the API and never attached (docs/photos.md), nightly.
        Periodic(prune_media_job, SCHEDULED, cron="25 4 * * *"),
        # The model drift report weekly, Monday 04:25 server time: the week before is complete.
        Periodic(weekly_drift_report_job, BATCH, cron="25 4 * * 1"),
    )
