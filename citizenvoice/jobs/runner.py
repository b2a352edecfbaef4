"""The web side: start a submission's analysis after commit, on Redis or on a thread in-process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import redis
from flask import Flask, current_app

from citizenvoice.extensions import db
from citizenvoice.jobs.analysis import analyse_submission_job, enqueue_analysis
from citizenvoice.jobs.connections import web_redis
from citizenvoice.services import outbox as outbox_service

__all__ = ["InProcessRunner", "init_app", "request_analysis"]

log = logging.getLogger("citizenvoice.jobs")


class InProcessRunner:
    """Runs jobs on one background thread of the web process (embedded default, no Redis)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="citizenvoice-analysis"
        )

    def submit(self, function: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``function(*args)`` inside an app context on the worker thread."""

        def run() -> Any:
            with self._app.app_context():
                return function(*args)

        return self._executor.submit(run)

    def shutdown(self) -> None:
        """Wait for queued work and stop the thread."""
        self._executor.shutdown(wait=True)


def init_app(app: Flask) -> None:
    """Attach the in-process runner (embedded default) or the web's Redis connection."""
    if app.config.get("ANALYSIS_IN_PROCESS"):
        app.extensions["citizenvoice.runner"] = InProcessRunner(app)
    elif app.config.get("REDIS_URL"):
        app.extensions["citizenvoice.redis"] = web_redis(app.config["REDIS_URL"])
    from citizenvoice.jobs.notify_dispatch import init_app as init_notifications

    init_notifications(app)


def request_analysis(submission_id: int) -> Future[Any] | bool:
    """After commit: start the analysis of a submission without making the request wait long.

    In-process mode returns the Future of the background run (the same job a worker runs).
    Queue mode tries one fast enqueue and returns whether it worked; on any Redis error the
    outbox row stays pending and the relay queues it later.
    """
    app = current_app
    runner: InProcessRunner | None = app.extensions.get("citizenvoice.runner")
    if runner is not None:
        return runner.submit(analyse_submission_job, submission_id)
    connection: redis.Redis[bytes] | None = app.extensions.get("citizenvoice.redis")
    if connection is None:
        return False
    try:
        enqueue_analysis(connection, submission_id)
    except redis.RedisError as exc:
        log.warning(
            "fast enqueue of submission %s failed, the relay will retry: %s", submission_id, exc
        )
        return False
    outbox_service.mark_pending_enqueued(outbox_service.ANALYSE_TOPIC, submission_id)
    db.session.commit()
    return True
