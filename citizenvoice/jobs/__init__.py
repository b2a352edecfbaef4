"""Background work, one module per concern.

Every job is thin: load ids, call one service, commit, log one line.

- ``queues``: queue names, timeouts, retries and TTLs, declared once;
- ``connections``: Redis for the web (impatient) and for workers (patient);
- ``analysis``: a submission's analysis batch, the backlog drain, re-analysing everything;
- ``outbox``: the relay that queues what the web could not;
- ``maintenance``: topics, hot issues, search index, auto-close, duplicate groups;
- ``schedule``: the periodic jobs as data, for ``python worker.py --cron``;
- ``runner``: the web side, fast enqueue or the in-process thread of the embedded default;
- ``monitoring``: what the office's queue page shows;
- ``supervision``: workers and the scheduler outlive Redis outages and stop cleanly on SIGTERM.

The same job functions run in an RQ worker (``python worker.py``) and, in the embedded
default without Redis, on a thread of the web process.
"""

from __future__ import annotations

from citizenvoice.jobs.analysis import (
    analyse_submission_job,
    analysis_job_id,
    drop_queued_analysis_jobs,
    enqueue_analysis,
    enqueue_reanalyse_all,
    reanalyse_all_job,
)
from citizenvoice.jobs.base import get_analyzer
from citizenvoice.jobs.connections import relay_connection, web_redis, worker_redis
from citizenvoice.jobs.maintenance import (
    auto_close_job,
    clean_search_index_job,
    refresh_duplicate_groups_job,
    refresh_hot_issues_job,
    refresh_topics_job,
)
from citizenvoice.jobs.monitoring import (
    FailedJob,
    QueueCounts,
    WorkerBeat,
    batch_progress,
    job_progress,
    queue_overview,
    requeue_failed_job,
)
from citizenvoice.jobs.outbox import relay_outbox, relay_outbox_job
from citizenvoice.jobs.queues import (
    ANALYSIS,
    BATCH,
    QUEUE_NAMES,
    SCHEDULED,
    JobSpec,
)
from citizenvoice.jobs.runner import InProcessRunner, init_app, request_analysis
from citizenvoice.jobs.schedule import periodic_jobs

__all__ = [
    "ANALYSIS",
    "BATCH",
    "QUEUE_NAMES",
    "SCHEDULED",
    "FailedJob",
    "InProcessRunner",
    "JobSpec",
    "QueueCounts",
    "WorkerBeat",
    "analyse_submission_job",
    "analysis_job_id",
    "auto_close_job",
    "batch_progress",
    "clean_search_index_job",
    "drop_queued_analysis_jobs",
    "enqueue_analysis",
    "enqueue_reanalyse_all",
    "get_analyzer",
    "init_app",
    "job_progress",
    "periodic_jobs",
    "queue_overview",
    "reanalyse_all_job",
    "refresh_duplicate_groups_job",
    "refresh_hot_issues_job",
    "refresh_topics_job",
    "relay_connection",
    "relay_outbox",
    "relay_outbox_job",
    "request_analysis",
    "requeue_failed_job",
    "web_redis",
    "worker_redis",
]
