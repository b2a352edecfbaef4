"""The outbox relay: queue what the web could not, re-queue what Redis lost."""

from __future__ import annotations

import time
from datetime import datetime

import redis

from citizenvoice.extensions import db
from citizenvoice.jobs.analysis import (
    analyse_submission_job,
    analysis_job_id,
    enqueue_analysis,
    job_status,
)
from citizenvoice.jobs.base import app_context, log_job
from citizenvoice.jobs.connections import worker_redis
from citizenvoice.jobs.queues import LIVE_STATES
from citizenvoice.models.base import utcnow
from citizenvoice.services import outbox as outbox_service

__all__ = ["relay_outbox", "relay_outbox_job"]

RELAY_LIMIT = 500
# Set by every completed sweep and never expired: a Redis without it has lost its data (a
# restart without persistence, a failover to an empty replica) or has never seen a relay.
REDIS_MARKER_KEY = "citizenvoice:relay:seen"


def relay_outbox(
    connection: redis.Redis[bytes] | None,
    limit: int = RELAY_LIMIT,
    enqueued_before: datetime | None = None,
) -> dict[str, int]:
    """Queue what the outbox holds: pending rows, and enqueued rows whose job is lost or failed.

    ``enqueued_before`` (after Redis lost its data) takes every enqueued row queued before that
    time, however recent. Commits once per batch; the claimed rows stay locked until then, so
    concurrent relays share the work instead of doubling it. With no connection (embedded
    default) the analyses run right here, in this process.
    """
    counts = {"claimed": 0, "enqueued": 0, "alive": 0, "analysed_here": 0}
    rows = outbox_service.claim_relayable(limit, enqueued_before=enqueued_before)
    counts["claimed"] = len(rows)
    if connection is None:
        ids = [row.aggregate_id for row in rows if row.topic == outbox_service.ANALYSE_TOPIC]
        db.session.commit()
        for submission_id in ids:
            analyse_submission_job(submission_id)
            counts["analysed_here"] += 1
        return counts
    for row in rows:
        if row.topic != outbox_service.ANALYSE_TOPIC:
            continue
        status = job_status(connection, analysis_job_id(row.aggregate_id))
        if row.status == "enqueued" and status in LIVE_STATES:
            counts["alive"] += 1
            row.enqueued_at = utcnow()  # seen alive: look again after another STALE_AFTER
            continue
        enqueue_analysis(connection, row.aggregate_id)
        outbox_service.mark_enqueued(row)
        counts["enqueued"] += 1
    db.session.commit()
    return counts


def relay_outbox_job() -> dict[str, int]:
    """Periodic relay sweep (every minute from the cron scheduler, and nightly in full)."""
    started = time.perf_counter()
    with app_context() as app:
        connection = worker_redis(app.config["REDIS_URL"])
        # A Redis that came back empty lost every queued job: check every enqueued row now
        # rather than STALE_AFTER later (rows whose job is alive are left alone).
        emptied = not connection.exists(REDIS_MARKER_KEY)
        sweep_started = utcnow()
        total = {"claimed": 0, "enqueued": 0, "alive": 0, "analysed_here": 0}
        while True:
            # Emptied: every row enqueued before this sweep (not those it enqueues itself).
            counts = relay_outbox(connection, enqueued_before=sweep_started if emptied else None)
            for key, value in counts.items():
                total[key] += value
            if counts["claimed"] < RELAY_LIMIT:
                break
        db.session.remove()
        connection.set(REDIS_MARKER_KEY, "1")
    log_job("relay_outbox", started, redis_emptied=emptied, **total)
    return total
