"""Where each kind of job runs, how long it may take, how often it is retried, how long it is kept.

Declared once here; the enqueue helpers and the worker's schedule read these specs.
"""

from __future__ import annotations

from dataclasses import dataclass

from rq import Retry
from rq.job import JobStatus

__all__ = [
    "ANALYSIS",
    "BATCH",
    "LIVE_STATES",
    "NOTIFY",
    "QUEUE_NAMES",
    "SCHEDULED",
    "JobSpec",
]


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


# Analysing a batch takes a second or two; 60 s means something is wrong (a pathological
# text, a stuck database). Three retries at 10 s, 1 min, 5 min ride out a database restart.
ANALYSIS = JobSpec(
    queue="analysis", timeout=60, retry_intervals=(10, 60, 300), failure_ttl=30 * 24 * 3600
)
# Re-analysing everything, topic refresh: long, reported through job.meta.
BATCH = JobSpec(queue="batch", timeout=3 * 3600, retry_intervals=(), failure_ttl=30 * 24 * 3600)
# Periodic housekeeping (relay sweep, duplicate refresh): cheap, and the next run repairs a miss.
SCHEDULED = JobSpec(
    queue="scheduled", timeout=15 * 60, retry_intervals=(), failure_ttl=7 * 24 * 3600
)
# A resident's message: seconds to send; RQ retries only a crashed job (a database blip), the
# provider's own failures are retried by the job itself with back-off (jobs.notifications).
NOTIFY = JobSpec(queue="scheduled", timeout=60, retry_intervals=(10, 60), failure_ttl=7 * 24 * 3600)
# Workers listen in this order: a resident's case before batch work.
QUEUE_NAMES = (ANALYSIS.queue, SCHEDULED.queue, BATCH.queue)

# Jobs in these states need nothing more from the relay.
LIVE_STATES = frozenset(
    {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
)
