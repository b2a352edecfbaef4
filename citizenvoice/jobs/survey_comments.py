"""The survey comment analysis as a job: the same service the CLI runs, idempotent.

Only comments without an analysis are analysed, so a job delivered twice (RQ retries, a second
click) does nothing the second time. The job id is derived from the campaign, so a second
enqueue while one is queued or running is harmless.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from contextlib import suppress
from typing import Any

import redis
from flask import current_app
from rq import Queue
from rq.exceptions import DuplicateJobError

from citizenvoice.jobs.base import app_context, get_analyzer, log_job
from citizenvoice.jobs.queues import BATCH
from citizenvoice.services.survey_comments import analyse_comments

__all__ = ["analyse_survey_comments_job", "comments_job_id", "request_comment_analysis"]


def comments_job_id(campaign_id: int) -> str:
    """The job id of a campaign's comment analysis."""
    return f"analyse-survey-comments-{campaign_id}"


def analyse_survey_comments_job(campaign_id: int) -> dict[str, int]:
    """Analyse the campaign's comments not analysed yet; logs counts only, never a comment."""
    started = time.perf_counter()
    with app_context():
        done = analyse_comments(get_analyzer(), campaign_id)
    log_job("analyse_survey_comments", started, campaign=campaign_id, analysed=done)
    return {"analysed": done}


def request_comment_analysis(campaign_id: int) -> Future[Any] | bool:
    """Start the analysis: on the in-process runner (embedded default) or on the batch queue.

    Returns the runner's Future, or whether the job is queued (False: no Redis or an error).
    """
    runner = current_app.extensions.get("citizenvoice.runner")
    if runner is not None:
        future: Future[Any] = runner.submit(analyse_survey_comments_job, campaign_id)
        return future
    connection: redis.Redis[bytes] | None = current_app.extensions.get("citizenvoice.redis")
    if connection is None:
        return False
    queue = Queue(BATCH.queue, connection=connection)
    try:
        with suppress(DuplicateJobError):  # already queued: exactly what was asked
            queue.enqueue(
                analyse_survey_comments_job,
                campaign_id,
                job_id=comments_job_id(campaign_id),
                unique=True,
                job_timeout=BATCH.timeout,
                failure_ttl=BATCH.failure_ttl,
                result_ttl=BATCH.result_ttl,
                description=f"analyse survey comments of campaign {campaign_id}",
            )
    except redis.RedisError:
        return False
    return True
