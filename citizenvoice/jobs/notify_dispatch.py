"""Starting residents' messages after commit: on Redis, or on a thread of the web process.

Every step that queues a message (services.notifications.record_event) notes the new row's id
on the session; once that transaction commits, the ids are handed on here: to RQ when the app
has Redis, to an in-process thread in the embedded default, and to nobody otherwise (the
sweep of ``worker.py --cron`` sends them). A failed hand-over loses nothing: the row stays
queued in the database for the sweep.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

from citizenvoice.jobs.notifications import send_notification_job
from citizenvoice.jobs.queues import NOTIFY
from citizenvoice.jobs.runner import InProcessRunner
from citizenvoice.services.notifications import NEW_IDS_KEY

__all__ = ["enqueue_notification", "init_app"]

log = logging.getLogger("citizenvoice.jobs")
_RUNNER = "citizenvoice.notify_runner"


def enqueue_notification(connection: redis.Redis[bytes], notification_id: int) -> None:
    """Queue the sending job of one message. Raises RedisError."""
    Queue(NOTIFY.queue, connection=connection).enqueue(
        send_notification_job,
        notification_id,
        job_timeout=NOTIFY.timeout,
        retry=NOTIFY.retry,
        failure_ttl=NOTIFY.failure_ttl,
        result_ttl=NOTIFY.result_ttl,
        description=f"send notification {notification_id}",
    )


def _dispatch(ids: list[int]) -> None:
    app = current_app
    runner: InProcessRunner | None = app.extensions.get(_RUNNER)
    if runner is not None:
        for notification_id in ids:
            runner.submit(send_notification_job, notification_id)
        return
    connection: redis.Redis[bytes] | None = app.extensions.get("citizenvoice.redis")
    if connection is None:
        return
    try:
        for notification_id in ids:
            enqueue_notification(connection, notification_id)
    except redis.RedisError as exc:
        log.warning("fast enqueue of notifications failed, the sweep sends them: %s", exc)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids: list[int] = session.info.pop(NEW_IDS_KEY, [])
    if ids and has_app_context():
        _dispatch(ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(NEW_IDS_KEY, None)


def init_app(app: Flask) -> None:
    """Attach the in-process sender (embedded default); say so once if nothing can send."""
    if app.config.get("NOTIFY_IN_PROCESS"):
        app.extensions[_RUNNER] = InProcessRunner(app)
    configured = app.config.get("NOTIFY_SMS_URL") or app.config.get("NOTIFY_SMTP_URL")
    if not configured and not app.testing:
        log.warning("notifications are off: set CITIZENVOICE_SMS_URL or CITIZENVOICE_SMTP_URL")
