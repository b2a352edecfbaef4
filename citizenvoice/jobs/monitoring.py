"""What the office's queue page and ``flask analysis progress`` show: counts, workers, failures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from citizenvoice.jobs.queues import BATCH, QUEUE_NAMES

__all__ = [
    "FailedJob",
    "QueueCounts",
    "WorkerBeat",
    "batch_progress",
    "job_progress",
    "queue_overview",
    "requeue_failed_job",
]


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
