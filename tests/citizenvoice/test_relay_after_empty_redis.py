"""The relay notices a Redis that came back empty and re-queues every unfinished case at once.

Without the marker it would wait STALE_AFTER (2 minutes) before looking at rows it had queued;
the jobs those rows point at are gone with the old Redis contents.
"""

from __future__ import annotations

from rq import Queue
from support import file_submission

from citizenvoice.jobs import ANALYSIS, analysis_job_id, relay_outbox_job, worker_redis
from citizenvoice.jobs.outbox import REDIS_MARKER_KEY


def test_an_emptied_redis_gets_every_enqueued_job_back_at_once(seeded, redis_client):
    ids = [
        file_submission(seeded, f"小区电梯又坏了，第{i}次反映，请物业尽快维修。") for i in range(3)
    ]
    with seeded.app_context():
        first = relay_outbox_job()  # pending rows: queued, and the marker set
        assert first["enqueued"] == 3
        assert redis_client.exists(REDIS_MARKER_KEY)
        connection = worker_redis(seeded.config["REDIS_URL"])
        queue = Queue(ANALYSIS.queue, connection=connection)
        assert relay_outbox_job()["claimed"] == 0  # queued a moment ago: nothing to do

        redis_client.flushdb()  # Redis restarted without persistence: queues and marker gone
        assert queue.count == 0
        again = relay_outbox_job()
        assert again["enqueued"] == 3
        assert sorted(queue.job_ids) == sorted(analysis_job_id(i) for i in ids)

        assert relay_outbox_job()["claimed"] == 0  # marker back: the usual STALE_AFTER rule
