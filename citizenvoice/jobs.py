"""Background work: queues, timeouts and retries declared once; enqueue helpers; thin jobs.

Every job takes ids, never model objects, and follows one shape: load by id -> nlp ->
services -> commit. The same job functions run in an RQ worker (``python worker.py``) and, in
the embedded default without Redis, on a thread of the web process.

Delivery is at least once (the web's fast enqueue, the outbox relay, RQ retries and abandoned-job
recovery can all run a job again), so every job is idempotent.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry, get_current_job
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.timeouts import JobTimeoutException

from citizenvoice.extensions import db
from citizenvoice.models import OutboxMessage, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services import analysis as analysis_service
from citizenvoice.services import outbox as outbox_service
from citizenvoice.services.cases import merge_search_index
from citizenvoice.services.duplicates import regroup_window
from citizenvoice.services.topics import refresh_hot_issues, refresh_topics
from citizenvoice.services.workflow import close_unanswered

__all__ = [
    "ANALYSIS",
    "BATCH",
    "QUEUE_NAMES",
    "SCHEDULED",
    "JobSpec",
    "analyse_submission_job",
    "analysis_job_id",
    "auto_close_job",
    "clean_search_index_job",
    "enqueue_analysis",
    "get_analyzer",
    "refresh_duplicate_groups_job",
    "refresh_hot_issues_job",
    "refresh_topics_job",
    "relay_connection",
    "relay_outbox",
    "relay_outbox_job",
    "request_analysis",
    "web_redis",
    "worker_redis",
]

log = logging.getLogger("citizenvoice.jobs")


@dataclass(frozen=True)
class JobSpec:
    """Where a kind of job runs and how long it may take and be kept."""

    queue: str
    timeout: int  # seconds before the worker kills the job (JobTimeoutException)
    retry_intervals: tuple[int, ...]  # back-off between attempts; len = number of retries
    failure_ttl: int  # seconds a failed job stays inspectable in the FailedJobRegistry
    result_ttl: int = 24 * 3600

    @property
    def retry(self) -> Retry | None:
        """The RQ Retry policy, or None for no retries."""
        if not self.retry_intervals:
            return None
        return Retry(max=len(self.retry_intervals), interval=list(self.retry_intervals))


# Analysing one message takes milliseconds; 60 s means something is wrong (a pathological
# text, a stuck database). Three retries at 10 s, 1 min, 5 min ride out a database restart.
ANALYSIS = JobSpec(
    queue="analysis", timeout=60, retry_intervals=(10, 60, 300), failure_ttl=30 * 24 * 3600
)
# Re-analysing everything, retraining, topic refresh: long, reported through job.meta.
BATCH = JobSpec(queue="batch", timeout=3 * 3600, retry_intervals=(), failure_ttl=30 * 24 * 3600)
# How many pending submissions one analysis job takes along (one transaction, one model pass).
# 500 rather than 200: fewer statements and model passes per message, about 5% less worker
# CPU per message on a backlog (benchmarks/profile_drain.py, 2026-12-02); a batch of 500
# messages of at most 2,000 characters is still a second or two of a 60 s job timeout.
ANALYSIS_BATCH_SIZE = 500
# After its own batch, an analysis job on PostgreSQL drains the backlog for at most this long,
# batch after batch on its own thread. (A second draining thread, mining while the first waited
# for PostgreSQL, cost more CPU in GIL contention than it saved once the search index stopped
# merging inside the analysis INSERT: benchmarks/profile_drain.py, 2026-12-03.) A third of the
# job timeout, so a drain never makes a job time out; 0 turns draining off.
ANALYSIS_DRAIN_SECONDS = ANALYSIS.timeout / 3
# While a read-ahead mines on the helper thread, the job's thread needs the GIL back after
# every database call; with CPython's default 5 ms switch interval it waited up to that long
# each time, and a stored batch stretched past the helper's mining, leaving the CPU idle.
# 1 ms while a read-ahead runs (restored after): the job ran on 94.6% of a core's CPU against
# 93.2% (benchmarks/profile_drain.py, 2026-12-03; nlp/PERF_NOTES.md).
ANALYSIS_DRAIN_SWITCH_INTERVAL = 0.001
# Periodic housekeeping (relay sweep, duplicate refresh): cheap, and the next run repairs a miss.
SCHEDULED = JobSpec(
    queue="scheduled", timeout=15 * 60, retry_intervals=(), failure_ttl=7 * 24 * 3600
)
# Workers listen in this order: a resident's case before batch work.
QUEUE_NAMES = (ANALYSIS.queue, SCHEDULED.queue, BATCH.queue)

# The web process must never make a resident wait on Redis: fail fast, no retries.
WEB_REDIS_TIMEOUT_SECONDS = 0.5
# Jobs in these states need nothing more from the relay.
_LIVE_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def web_redis(url: str) -> redis.Redis[bytes]:
    """A Redis connection for the web process: short timeouts, no retries (FIELD-NOTES)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=WEB_REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=WEB_REDIS_TIMEOUT_SECONDS,
        retry=RedisRetry(NoBackoff(), 0),
        retry_on_timeout=False,
    )


def worker_redis(url: str) -> redis.Redis[bytes]:
    """A Redis connection for workers and commands: patient, with redis-py's default retries."""
    return redis.Redis.from_url(
        url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=30
    )


def relay_connection() -> redis.Redis[bytes] | None:
    """Redis for commands and office pages; None in the embedded default (in-process analysis)."""
    url = current_app.config.get("REDIS_URL")
    if current_app.config.get("ANALYSIS_IN_PROCESS") or not url:
        return None
    return worker_redis(url)


def analysis_job_id(submission_id: int) -> str:
    """The job id of a submission's analysis: derived, so a second enqueue is harmless."""
    return f"analyse-submission-{submission_id}"


def _job_status(connection: redis.Redis[bytes], job_id: str) -> JobStatus | None:
    try:
        return Job.fetch(job_id, connection=connection).get_status(refresh=False)
    except NoSuchJobError:
        return None


def enqueue_analysis(connection: redis.Redis[bytes], submission_id: int) -> bool:
    """Queue the analysis of a submission unless its job is already live; True if it is queued now.

    A failed or finished-but-unrecorded job with the same id is replaced. Raises RedisError.
    """
    job_id = analysis_job_id(submission_id)
    status = _job_status(connection, job_id)
    if status in _LIVE_STATES:
        return True
    if status is not None:
        Job.fetch(job_id, connection=connection).delete(remove_from_queue=True)
    queue = Queue(ANALYSIS.queue, connection=connection)
    # DuplicateJobError: another process queued it a moment ago, exactly what we wanted.
    with suppress(DuplicateJobError):
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
    return True


# --------------------------------------------------------------------------- web side


class InProcessRunner:
    """Runs jobs on one background thread of the web process (embedded default, no Redis)."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="citizenvoice-analysis"
        )

    def submit(self, function: Any, *args: Any) -> Future[Any]:
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


def request_analysis(submission_id: int) -> Future[Any] | bool:
    """After commit: start the analysis of a submission without making the request wait long.

    In-process mode returns the Future of the background run. Queue mode tries one fast enqueue
    and returns whether it worked; on any Redis error the outbox row stays pending and the
    relay queues it later.
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
    row = db.session.scalar(
        db.select(OutboxMessage).where(
            OutboxMessage.topic == outbox_service.ANALYSE_TOPIC,
            OutboxMessage.aggregate_id == submission_id,
        )
    )
    if row is not None and row.status == "pending":
        outbox_service.mark_enqueued(row)
        db.session.commit()
    return True


# --------------------------------------------------------------------------- worker side


@lru_cache(maxsize=1)
def _analyzer_for(model_dir: str | None) -> Any:
    from pathlib import Path

    from nlp.pipeline import Analyzer

    return Analyzer.load(Path(model_dir) if model_dir else None)


def get_analyzer() -> Any:
    """The process-wide nlp Analyzer (loaded once; the worker warms it before taking jobs)."""
    return _analyzer_for(current_app.config.get("NLP_MODEL_DIR"))


@contextmanager
def _app_context() -> Iterator[Flask]:
    """The app the worker (or the in-process runner) pushed; jobs never build their own."""
    if not has_app_context():
        raise RuntimeError(
            "CitizenVoice jobs run inside an app context: start workers with python worker.py"
        )
    try:
        yield current_app._get_current_object()  # type: ignore[attr-defined]
    except JobTimeoutException:
        _discard_transaction_after(JobTimeoutException())
        raise


def _discard_transaction_after(exc: BaseException) -> None:
    """Roll back a failed job's transaction; after a timeout, throw its connection away.

    RQ's timeout is an exception raised from a signal handler: when it strikes while psycopg
    waits for a result, the connection is left mid-command and cannot even roll back (nor be
    used by the next job of this worker), so the session invalidates it instead.
    """
    if isinstance(exc, JobTimeoutException):
        db.session().invalidate()
    else:
        db.session.rollback()


def _log_job(name: str, started: float, **fields: Any) -> None:
    """One structured line per job: name, duration and the outcome's fields."""
    parts = " ".join(f"{key}={value}" for key, value in fields.items())
    log.info("job=%s duration_ms=%.1f %s", name, (time.perf_counter() - started) * 1000, parts)


def _cpu_ms(started_cpu: float) -> float:
    """Milliseconds of CPU this process used (all its threads) since ``started_cpu``."""
    return round((time.process_time() - started_cpu) * 1000, 1)


def analyse_submission_job(submission_id: int) -> dict[str, Any]:
    """Analyse a submission, with other pending ones in the same transaction (idempotent).

    After the last retry a failure is recorded on the submission (analysis_failed).
    """
    started, started_cpu = time.perf_counter(), time.process_time()
    drained: list[int] = []
    with _app_context() as app:
        batch_size = int(app.config["ANALYSIS_BATCH_SIZE"])
        min_confidence = float(app.config["ROUTING_MIN_CONFIDENCE"])
        analyzer = get_analyzer()
        read_ahead = _ReadAhead(
            analyzer,
            batch_size,
            float(app.config.get("ANALYSIS_DRAIN_SWITCH_INTERVAL", ANALYSIS_DRAIN_SWITCH_INTERVAL)),
        )
        deadline: float | None = None
        try:
            claimed = analysis_service.claim_batch_of(submission_id, batch_size)
            if isinstance(claimed, analysis_service.AnalysisOutcome):
                outcomes = [claimed]
            else:
                mined = analysis_service.mine(claimed, analyzer)
                deadline = _drain_deadline(app)
                if deadline is not None:
                    read_ahead.start()  # the backlog's next batch, mined while this one is stored
                outcomes = analysis_service.analyse_claimed(
                    claimed, analyzer, mined, min_confidence=min_confidence
                )
            db.session.commit()
            if deadline is not None and read_ahead.started:
                drained = _drain_backlog(read_ahead, batch_size, min_confidence, deadline)
        except Exception as exc:
            _discard_transaction_after(exc)
            job = get_current_job()
            final = job is None or not job.retries_left
            if final:
                analysis_service.mark_analysis_failed(
                    submission_id, "".join(traceback.format_exception_only(exc)).strip()
                )
                db.session.commit()
            _log_job(
                "analyse_submission",
                started,
                submission=submission_id,
                outcome="error",
                final=final,
            )
            raise
        finally:
            read_ahead.close()
            db.session.remove()
    taken_along = [o.submission_id for o in outcomes[1:] if o.status == "analysed"] + drained
    job = get_current_job()
    if job is not None and taken_along:
        _drop_queued_analysis_jobs(job.connection, taken_along)
    own = outcomes[0]
    _log_job(
        "analyse_submission",
        started,
        submission=submission_id,
        outcome=own.status,
        category=own.category,
        group=own.duplicate_group,
        batch=len(outcomes),
        drained=len(drained),
        cpu_ms=_cpu_ms(started_cpu),
    )
    return {
        "status": own.status,
        "category": own.category,
        "group": own.duplicate_group,
        "batch": len(outcomes),
        "drained": len(drained),
    }


def _drain_deadline(app: Flask) -> float | None:
    """When a job's backlog drain must stop (``time.monotonic``), or None for no drain.

    Only workers on PostgreSQL drain. SQLite (the embedded default) takes one writer at a
    time, so there a job stays on its own batch; the in-process runner never drains either.
    """
    seconds = float(app.config["ANALYSIS_DRAIN_SECONDS"])
    if seconds <= 0 or app.config.get("ANALYSIS_IN_PROCESS"):
        return None
    if db.engine.dialect.name != "postgresql":
        return None
    return time.monotonic() + seconds


def _drain_backlog(
    read_ahead: _ReadAhead, batch_size: int, min_confidence: float, deadline: float
) -> list[int]:
    """Analyse the backlog batch by batch (SKIP LOCKED) until none is left or ``deadline`` passes.

    Starts from the batch ``read_ahead`` holds; while each batch is stored the next is read
    ahead, so PostgreSQL's share of a batch overlaps nlp's work on the next. Each batch commits
    on its own; a failing batch is rolled back, logged and ends this drain (its submissions stay
    pending for their own queued jobs, which retry and record failures). Returns the ids
    analysed, whose queued jobs the caller removes.
    """
    analyzer = get_analyzer()
    done: list[int] = []
    try:
        while read_ahead.started:
            ids, ahead = read_ahead.finish()
            rows = analysis_service.claim_pending(batch_size, ids=ids) if ids else []
            if not rows:
                break
            mined = analysis_service.mine(rows, analyzer, ahead)
            if time.monotonic() < deadline:
                read_ahead.start()
            outcomes = analysis_service.analyse_claimed(
                rows, analyzer, mined, min_confidence=min_confidence
            )
            db.session.commit()
            done += [o.submission_id for o in outcomes if o.status == "analysed"]
    except JobTimeoutException:
        raise  # the job's own timeout: _app_context discards the connection
    except Exception as exc:  # a drain is extra work: it must never fail the job
        db.session.rollback()
        log.warning("backlog drain stopped: %s", exc)
    return done


class _ReadAhead:
    """The next backlog batch, locked on a connection of its own and mined on a helper thread.

    ``start`` locks the next pending batch (SKIP LOCKED: not the batch the session holds, not
    another worker's) in a second transaction and hands its texts to one helper thread; only
    nlp runs there, never the database. ``finish`` waits for the results, then ends the second
    transaction so the session can claim the same rows; a row another worker takes in that
    instant is skipped, and one whose text changed is mined again (``analysis_service.mine``).
    Mining overlaps the session's storing of the previous batch, never other mining. While
    the helper runs, the interpreter's GIL switch interval is ``switch_interval`` seconds
    (restored by ``close``), so the session's thread gets the GIL back soon after each
    database call.
    """

    def __init__(self, analyzer: Any, batch_size: int, switch_interval: float) -> None:
        self._analyzer = analyzer
        self._batch_size = batch_size
        self._switch_interval = switch_interval
        self._previous_switch_interval: float | None = None
        self._connection: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._ids: list[int] = []
        self._future: Future[analysis_service.Mined] | None = None

    @property
    def started(self) -> bool:
        """Whether a read-ahead is under way (``start`` called, ``finish`` not yet)."""
        return self._future is not None

    def start(self) -> None:
        """Lock the next pending batch and start mining it; finds nothing when none is left."""
        if self._connection is None:
            self._connection = db.engine.connect()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
            self._previous_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(self._switch_interval)
        rows = analysis_service.claim_pending(self._batch_size, connection=self._connection)
        self._ids = [row.id for row in rows]
        self._future = self._executor.submit(analysis_service.mine, rows, self._analyzer)

    def finish(self) -> tuple[list[int], analysis_service.Mined]:
        """The read-ahead batch's ids and nlp results; its rows are unlocked for the session."""
        assert self._future is not None, "finish() without start()"
        future, self._future = self._future, None
        try:
            mined = future.result()
        finally:
            self._connection.rollback()
        return self._ids, mined

    def close(self) -> None:
        """End the second transaction and the helper thread (after an error too)."""
        self._future = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._previous_switch_interval is not None:
            sys.setswitchinterval(self._previous_switch_interval)
            self._previous_switch_interval = None
        if self._connection is not None:
            with suppress(Exception):  # after a job timeout its state is unknown: drop it
                self._connection.invalidate()
            self._connection.close()


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


def _drop_queued_analysis_jobs(connection: redis.Redis[bytes], submission_ids: list[int]) -> int:
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


def relay_outbox(connection: redis.Redis[bytes] | None, limit: int = 500) -> dict[str, int]:
    """Queue what the outbox holds: pending rows, and enqueued rows whose job is lost or failed.

    Commits once per batch; the claimed rows stay locked until then, so concurrent relays share
    the work instead of doubling it. With no connection (embedded default) the analyses run
    right here, in this process.
    """
    counts = {"claimed": 0, "enqueued": 0, "alive": 0, "analysed_here": 0}
    rows = outbox_service.claim_relayable(limit)
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
        status = _job_status(connection, analysis_job_id(row.aggregate_id))
        if row.status == "enqueued" and status in _LIVE_STATES:
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
    with _app_context() as app:
        connection = worker_redis(app.config["REDIS_URL"])
        total = {"claimed": 0, "enqueued": 0, "alive": 0, "analysed_here": 0}
        while True:
            counts = relay_outbox(connection)
            for key, value in counts.items():
                total[key] += value
            if counts["claimed"] < 500:
                break
        db.session.remove()
    _log_job("relay_outbox", started, **total)
    return total


def reanalyse_all_job(chunk: int = 200) -> dict[str, int]:
    """Batch: re-run the analysis of every submission (after a model update), with progress.

    Progress goes to ``job.meta`` (``done`` / ``total``) after every chunk, for the queue page
    and ``flask analysis progress``. Idempotent like the single analysis.
    """
    started = time.perf_counter()
    job = get_current_job()
    done = 0
    with _app_context() as app:
        ids = list(db.session.scalars(db.select(Submission.id).order_by(Submission.id)))
        db.session.commit()
        analyzer = get_analyzer()
        min_confidence = float(app.config["ROUTING_MIN_CONFIDENCE"])
        for start in range(0, len(ids), chunk):
            for submission_id in ids[start : start + chunk]:
                analysis_service.analyse_submission(
                    submission_id, analyzer, min_confidence=min_confidence
                )
                done += 1
            db.session.commit()
            if job is not None:
                job.meta.update({"done": done, "total": len(ids)})
                job.save_meta()  # type: ignore[no-untyped-call]
        db.session.remove()
    _log_job("reanalyse_all", started, analysed=done)
    return {"analysed": done}


def enqueue_reanalyse_all(connection: redis.Redis[bytes], timeout: int | None = None) -> Job:
    """Queue the batch re-analysis; returns the job (its meta carries progress)."""
    return Queue(BATCH.queue, connection=connection).enqueue(
        reanalyse_all_job,
        job_timeout=timeout or BATCH.timeout,
        failure_ttl=BATCH.failure_ttl,
        result_ttl=BATCH.result_ttl,
        description="re-analyse all submissions",
        meta={"done": 0, "total": None},
    )


def job_progress(connection: redis.Redis[bytes], job_id: str) -> dict[str, Any] | None:
    """Status and progress (``done`` / ``total`` from meta) of a job, or None if unknown."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return None
    result = job.latest_result()
    return {
        "id": job.id,
        "status": str(job.get_status()),
        "done": job.meta.get("done"),
        "total": job.meta.get("total"),
        "error": (result.exc_string or "").strip().splitlines()[-1]
        if result is not None and result.exc_string
        else None,
    }


def refresh_topics_job(days: int = 30) -> dict[str, Any]:
    """Nightly: fit the topic model over the last ``days`` days and label the messages."""
    started = time.perf_counter()
    job = get_current_job()
    with _app_context():
        snapshot = refresh_topics(days)
        db.session.commit()
        result: dict[str, Any] = (
            {"documents": snapshot.documents, "topics": snapshot.n_topics}
            if snapshot
            else {"documents": 0, "topics": 0}
        )
        db.session.remove()
    if job is not None:
        job.meta.update({"done": 1, "total": 1})
        job.save_meta()  # type: ignore[no-untyped-call]
    _log_job("refresh_topics", started, **result)
    return result


def refresh_hot_issues_job() -> dict[str, int]:
    """Hourly: recompute the hot-issue index of topics and duplicate groups."""
    started = time.perf_counter()
    with _app_context():
        snapshot = refresh_hot_issues()
        db.session.commit()
        counts = (
            {"hot_topics": len(snapshot.hot_topics), "hot_groups": len(snapshot.hot_groups)}
            if snapshot
            else {}
        )
        db.session.remove()
    _log_job("refresh_hot_issues", started, **counts)
    return counts


def clean_search_index_job() -> dict[str, int]:
    """Hourly: merge the search index's pending list (new analyses only append to it)."""
    started = time.perf_counter()
    with _app_context():
        pages = merge_search_index()
        db.session.commit()
        db.session.remove()
    _log_job("clean_search_index", started, pages=pages)
    return {"pages": pages}


def auto_close_job() -> dict[str, int]:
    """Daily: close replied cases the resident did not follow up in time ("no response")."""
    started = time.perf_counter()
    with _app_context():
        closed = close_unanswered()
        db.session.commit()
        db.session.remove()
    _log_job("auto_close", started, closed=len(closed))
    return {"closed": len(closed)}


def refresh_duplicate_groups_job(days: int = 30) -> dict[str, int]:
    """Hourly: rebuild duplicate groups of the last ``days`` from stored signatures."""
    started = time.perf_counter()
    with _app_context():
        end = utcnow() + timedelta(seconds=1)
        changed = regroup_window(end - timedelta(days=days), end)
        db.session.commit()
        db.session.remove()
    _log_job("refresh_duplicate_groups", started, changed=changed, days=days)
    return {"changed": changed}


# --------------------------------------------------------------------------- monitoring


@dataclass(frozen=True)
class QueueCounts:
    """Jobs of one queue by state."""

    name: str
    queued: int
    started: int
    scheduled: int
    failed: int
    finished: int


@dataclass(frozen=True)
class WorkerBeat:
    """A live worker and when it last reported."""

    name: str
    state: str
    queues: tuple[str, ...]
    last_heartbeat: str
    current_job: str | None


@dataclass(frozen=True)
class FailedJob:
    """A job in a FailedJobRegistry."""

    id: str
    queue: str
    description: str
    ended_at: str
    error: str


def batch_progress(connection: redis.Redis[bytes]) -> list[dict[str, Any]]:
    """Progress of batch jobs that are queued or running (for progress bars)."""
    queue = Queue(BATCH.queue, connection=connection)
    job_ids = queue.started_job_registry.get_job_ids() + queue.get_job_ids()
    found = [job_progress(connection, job_id) for job_id in job_ids]
    return [p for p in found if p is not None]


def queue_overview(
    connection: redis.Redis[bytes],
) -> tuple[list[QueueCounts], list[WorkerBeat], list[FailedJob]]:
    """Counts per queue, live workers with their heartbeat, and the latest failed jobs."""
    counts: list[QueueCounts] = []
    failed: list[FailedJob] = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=connection)
        counts.append(
            QueueCounts(
                name=name,
                queued=queue.count,
                started=queue.started_job_registry.count,
                scheduled=queue.scheduled_job_registry.count,
                failed=queue.failed_job_registry.count,
                finished=queue.finished_job_registry.count,
            )
        )
        for job_id in queue.failed_job_registry.get_job_ids(0, 49):
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            result = job.latest_result()
            error = (result.exc_string if result is not None else "") or ""
            failed.append(
                FailedJob(
                    id=job.id,
                    queue=name,
                    description=job.description or "",
                    ended_at=job.ended_at.isoformat() if job.ended_at else "",
                    error=error.strip().splitlines()[-1] if error.strip() else "",
                )
            )
    from rq import Worker

    workers = [
        WorkerBeat(
            name=w.name,
            state=str(w.get_state()),
            queues=tuple(w.queue_names()),
            last_heartbeat=w.last_heartbeat.isoformat() if w.last_heartbeat else "",
            current_job=w.get_current_job_id(),
        )
        for w in Worker.all(connection=connection)
    ]
    return counts, workers, failed


def requeue_failed_job(connection: redis.Redis[bytes], job_id: str) -> bool:
    """Put a failed RQ job back on its queue (the office's retry button). False if unknown."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except (NoSuchJobError, ValueError):  # RQ refuses ids with other characters: no such job
        return False
    if job.get_status() != JobStatus.FAILED:
        return False
    job.requeue()
    return True
