"""The analysis jobs: one submission's batch (with the backlog behind it) and re-analysing all.

Both call the one analysis service, ``services.analysis.analyse_batch``, commit and log one
line. Delivery is at least once (the web's fast enqueue, the outbox relay, RQ retries and
abandoned-job recovery can all run a job again), so every job is idempotent.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Flask
from rq import Queue, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException

from citizenvoice.extensions import db
from citizenvoice.jobs.base import (
    app_context,
    discard_transaction_after,
    get_analyzer,
    log_job,
    score_new_in_shadow,
)
from citizenvoice.jobs.queues import (
    ANALYSIS,
    BATCH,
    LIVE_STATES,
)
from citizenvoice.jobs.supervision import stop_requested
from citizenvoice.models import Submission
from citizenvoice.services import analysis as analysis_service
from citizenvoice.services.analysis import TextAnalyzer

__all__ = [
    "analyse_submission_job",
    "analysis_job_id",
    "drop_queued_analysis_jobs",
    "enqueue_analysis",
    "enqueue_reanalyse_all",
    "job_status",
    "reanalyse_all_job",
]

log = logging.getLogger("citizenvoice.jobs")


def analysis_job_id(submission_id: int) -> str:
    """The job id of a submission's analysis: derived, so a second enqueue is harmless."""
    return f"analyse-submission-{submission_id}"


def job_status(connection: redis.Redis[bytes], job_id: str) -> JobStatus | None:
    """The status of a job, or None when Redis no longer knows it."""
    try:
        return Job.fetch(job_id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return None


def enqueue_analysis(connection: redis.Redis[bytes], submission_id: int) -> bool:
    """Queue the analysis of a submission unless its job is already live; True if it is queued now.

    A failed or finished-but-unrecorded job with the same id is replaced. Raises RedisError.
    """
    job_id = analysis_job_id(submission_id)
    queue = Queue(ANALYSIS.queue, connection=connection)
    # The usual case, a new submission, has no job yet: the unique enqueue checks that
    # atomically, so the status is only looked up when a job with this id already exists.
    try:
        _enqueue(queue, submission_id, job_id)
        return True
    except DuplicateJobError:
        pass
    status = job_status(connection, job_id)
    if status in LIVE_STATES:
        return True
    if status is not None:
        Job.fetch(job_id, connection=connection).delete(remove_from_queue=True)
    # DuplicateJobError: another process queued it a moment ago, exactly what we wanted.
    with suppress(DuplicateJobError):
        _enqueue(queue, submission_id, job_id)
    return True


def _enqueue(queue: Queue, submission_id: int, job_id: str) -> None:
    """One unique enqueue of the analysis job; raises DuplicateJobError if the id exists."""
    queue.enqueue(
        analyse_submission_job,
        submission_id,
        job_id=job_id,
        unique=True,
        job_timeout=ANALYSIS.timeout,
        retry=ANALYSIS.retry,
        failure_ttl=ANALYSIS.failure_ttl,
        result_ttl=ANALYSIS.result_ttl,
        description=f"analyse submission {submission_id}",
    )


def _batch_settings(app: Flask) -> tuple[int, float]:
    """(batch size, routing threshold) from the app's settings."""
    return (
        int(app.config["ANALYSIS_BATCH_SIZE"]),
        float(app.config["ROUTING_MIN_CONFIDENCE"]),
    )


def analyse_submission_job(submission_id: int) -> dict[str, Any]:
    """Analyse a submission with other pending ones in one batch, then the backlog behind it.

    After the last retry a failure is recorded on the submission (analysis_failed).
    """
    started = time.perf_counter()
    with app_context() as app:
        batch_size, min_confidence = _batch_settings(app)
        analyzer = get_analyzer()
        try:
            outcomes = analysis_service.analyse_batch(
                analyzer, first=submission_id, batch_size=batch_size, min_confidence=min_confidence
            )
            db.session.commit()
        except Exception as exc:
            _record_failure(submission_id, exc)
            log_job("analyse_submission", started, submission=submission_id, outcome="error")
            raise
        score_new_in_shadow([o.submission_id for o in outcomes if o.status == "analysed"])
        drained: list[int] = []
        if outcomes[0].status == "analysed":
            drained = _drain_backlog(app, analyzer, batch_size, min_confidence)
        db.session.remove()
    taken_along = [o.submission_id for o in outcomes[1:] if o.status == "analysed"] + drained
    job = get_current_job()
    if job is not None and taken_along:
        drop_queued_analysis_jobs(job.connection, taken_along)
    own = outcomes[0]
    log_job(
        "analyse_submission",
        started,
        submission=submission_id,
        outcome=own.status,
        category=own.category,
        group=own.duplicate_group,
        batch=len(outcomes),
        drained=len(drained),
    )
    return {
        "status": own.status,
        "category": own.category,
        "group": own.duplicate_group,
        "batch": len(outcomes),
        "drained": len(drained),
    }


def _record_failure(submission_id: int, exc: Exception) -> None:
    """Roll the batch back; after the last attempt, mark the submission's analysis failed."""
    discard_transaction_after(exc)
    job = get_current_job()
    if job is None or not job.retries_left:
        analysis_service.mark_analysis_failed(
            submission_id, "".join(traceback.format_exception_only(exc)).strip()
        )
        db.session.commit()
    db.session.remove()


def _drain_backlog(
    app: Flask, analyzer: TextAnalyzer, batch_size: int, min_confidence: float
) -> list[int]:
    """Analyse pending submissions batch after batch until none is left or the time is up.

    Only workers on PostgreSQL drain (SKIP LOCKED keeps concurrent workers on disjoint
    batches); SQLite takes one writer at a time and the in-process runner keeps to its own
    batch. Each batch commits on its own; a failing batch is rolled back, logged and ends the
    drain (its submissions stay pending for their own queued jobs). Returns the ids analysed,
    whose queued jobs the caller removes.
    """
    seconds = float(app.config["ANALYSIS_DRAIN_SECONDS"])
    if seconds <= 0 or app.config.get("ANALYSIS_IN_PROCESS"):
        return []
    if db.engine.dialect.name != "postgresql":
        return []
    deadline = time.monotonic() + seconds
    done: list[int] = []
    try:
        # A worker asked to stop finishes the batch in hand, not the backlog: the rest have
        # their own queued jobs (and the relay), so nothing is lost and SIGTERM is prompt.
        while time.monotonic() < deadline and not stop_requested():
            outcomes = analysis_service.analyse_batch(
                get_analyzer(), batch_size=batch_size, min_confidence=min_confidence
            )
            db.session.commit()
            if not outcomes:
                break
            score_new_in_shadow([o.submission_id for o in outcomes])
            done += [o.submission_id for o in outcomes]
    except JobTimeoutException:
        raise  # the job's own timeout: app_context discards the connection
    except Exception as exc:  # a drain is extra work: it must never fail the job
        db.session.rollback()
        log.warning("backlog drain stopped: %s", exc)
    return done


# KEYS[1]: the queue's list; KEYS[2..]: the job hashes of ARGV[1..], the job ids to drop.
# One pass over the list (LREM per job scans it once each: 2,000 jobs behind a burst cost
# 0.15 s, inside the job's time); atomic, so a worker popping meanwhile sees before or after.
_DROP_QUEUED_JOBS_LUA = """
local drop = {}
for index, job_id in ipairs(ARGV) do drop[job_id] = KEYS[index + 1] end
local queued = redis.call('LRANGE', KEYS[1], 0, -1)
local kept, dropped = {}, {}
for _, job_id in ipairs(queued) do
  if drop[job_id] then dropped[job_id] = drop[job_id] else kept[#kept + 1] = job_id end
end
if #kept == #queued then return 0 end
redis.call('DEL', KEYS[1])
for first = 1, #kept, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(kept, first, math.min(first + 999, #kept)))
end
local removed = 0
for _, job_key in pairs(dropped) do
  redis.call('DEL', job_key)
  removed = removed + 1
end
return removed
"""


def drop_queued_analysis_jobs(connection: redis.Redis[bytes], submission_ids: list[int]) -> int:
    """Remove the still-queued jobs of submissions a batch already analysed; returns how many.

    Only jobs still waiting in the queue list are removed (every copy of their id), and only
    their hashes are deleted; a job a worker already took runs and finds its submission done.
    One server-side script, one pass over the queue. Best effort: a Redis error here costs
    only the no-op runs it would have saved.
    """
    if not submission_ids:
        return 0
    queue_key = Queue(ANALYSIS.queue, connection=connection).key
    job_ids = [analysis_job_id(i) for i in submission_ids]
    try:
        removed = connection.eval(  # type: ignore[no-untyped-call]
            _DROP_QUEUED_JOBS_LUA,
            1 + len(job_ids),
            queue_key,
            *[Job.key_for(job_id) for job_id in job_ids],
            *job_ids,
        )
    except redis.RedisError as exc:
        log.warning("could not drop queued jobs of a batch: %s", exc)
        return 0
    return int(removed)


def reanalyse_all_job(
    chunk: int | None = None,
    part: int = 0,
    parts: int = 1,
    since: str | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Batch: re-run the analysis of every submission (after a model update), with progress.

    With ``parts`` > 1 this job takes the submissions whose id leaves remainder ``part``, so
    ``parts`` jobs on as many workers share the work. Batches of ``chunk`` (default: the
    analysis batch size), one commit each. Progress goes to ``job.meta`` (``done`` /
    ``total``) after every batch, for the queue page and ``flask analysis progress``.
    Idempotent like the single analysis. ``since`` (ISO date or time, UTC) keeps to the
    submissions created from then on. Each batch takes the current champion models.
    ``on_batch(done, total)`` (in-process runs) is called after every batch.
    """
    started = time.perf_counter()
    job = get_current_job()
    done = 0
    with app_context() as app:
        batch_size, min_confidence = _batch_settings(app)
        size = chunk or batch_size
        query = db.select(Submission.id).order_by(Submission.id)
        if parts > 1:
            query = query.where(Submission.id % parts == part)
        if since:
            query = query.where(Submission.created_at >= _since(since))
        ids = list(db.session.scalars(query))
        db.session.commit()
        for start in range(0, len(ids), size):
            batch = ids[start : start + size]
            analysis_service.analyse_batch(get_analyzer(), ids=batch, min_confidence=min_confidence)
            db.session.commit()
            done += len(batch)
            if on_batch is not None:
                on_batch(done, len(ids))
            if job is not None:
                job.meta.update({"done": done, "total": len(ids)})
                job.save_meta()  # type: ignore[no-untyped-call]
        db.session.remove()
    log_job("reanalyse_all", started, analysed=done, part=part, parts=parts)
    return {"analysed": done}


def _since(value: str) -> datetime:
    """An ISO date or date-time; naive values are UTC."""
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def enqueue_reanalyse_all(
    connection: redis.Redis[bytes],
    timeout: int | None = None,
    parts: int = 1,
    since: str | None = None,
) -> list[Job]:
    """Queue the batch re-analysis as ``parts`` jobs (one per worker that should share it).

    Returns the jobs; the meta of each carries its progress.
    """
    queue = Queue(BATCH.queue, connection=connection)
    return [
        queue.enqueue(
            reanalyse_all_job,
            kwargs={"part": part, "parts": parts, **({"since": since} if since else {})},
            job_timeout=timeout or BATCH.timeout,
            failure_ttl=BATCH.failure_ttl,
            result_ttl=BATCH.result_ttl,
            description="re-analyse all submissions"
            + (f" (part {part + 1} of {parts})" if parts > 1 else ""),
            meta={"done": 0, "total": None},
        )
        for part in range(max(1, parts))
    ]
