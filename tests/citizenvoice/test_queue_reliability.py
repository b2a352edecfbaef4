"""Reliability of the analysis pipeline with real Redis servers and real worker processes.

Each test runs its own redis-server on a free port (so it can stop and start it) and starts
``python worker.py`` as a separate process against the test PostgreSQL database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis
from flask import Flask
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import create_engine, func, select, text
from support import (
    TEST_DATABASE_URL,
    RedisServer,
    file_submission,
    start_worker,
    testing_config,
    wait_for,
    worker_env,
    worker_log,
)

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.jobs import (
    ANALYSIS,
    analysis_job_id,
    drop_queued_analysis_jobs,
    enqueue_analysis,
    enqueue_reanalyse_all,
    relay_outbox,
    worker_redis,
)
from citizenvoice.models import Analysis, OutboxMessage, Submission
from config import normalise_database_url
from worker import RedisSettingsError, check_redis_settings

# Every test here runs its own redis-server and all but one start worker.py processes.
pytestmark = [pytest.mark.redis, pytest.mark.worker, pytest.mark.slow]

MESSAGES = [
    "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。",
    "公司已经拖欠二十多名工人三个月工资，多次讨要无果，请人社部门帮助我们讨回工资。",
    "小区电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难。",
    "建议在A1区至高新区之间开通早晚高峰公交专线，目前上班高峰期公交车非常拥挤。",
    "化工厂每天傍晚排放刺鼻气体，周边村民普遍出现咽喉不适，请环保部门尽快检测。",
]


@pytest.fixture
def private_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queued_app(seeded, private_redis):
    """The seeded test app, but talking to the private Redis server."""
    app = create_app(testing_config(REDIS_URL=private_redis.url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _post(client, text: str):
    return client.post(
        "/api/v1/feedback", json={"kind": "complaint", "department": None, "text": text}
    )


def _analysis_counts(app) -> tuple[int, int]:
    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Analysis))
        distinct = db.session.scalar(select(func.count(func.distinct(Analysis.submission_id))))
        db.session.remove()
    return rows, distinct


def _run_burst_worker(env: dict[str, str], timeout: float = 180) -> str:
    process = start_worker(
        env, "--burst", "--queues", "analysis", "scheduled", "batch", capture=True
    )
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output.decode(errors="replace")
    return output.decode(errors="replace")


def test_redis_down_submission_is_saved_and_analysed_after_redis_returns(queued_app, private_redis):
    private_redis.stop()
    client = queued_app.test_client()
    response = _post(client, MESSAGES[0])
    assert response.status_code == 201
    code = response.get_json()["tracking_code"]
    with queued_app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert submission.analysis_status == "pending"
        assert (
            db.session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.aggregate_id == submission.id)
            )
            == "pending"
        )
        submission_id = submission.id
        db.session.remove()

    private_redis.start()
    env = worker_env(TEST_DATABASE_URL, private_redis.url, CITIZENVOICE_RELAY_INTERVAL="2")
    cron = start_worker(env, "--cron")
    worker = start_worker(env)
    try:

        def analysed() -> bool:
            with queued_app.app_context():
                status = db.session.scalar(
                    select(Submission.analysis_status).where(Submission.id == submission_id)
                )
                db.session.remove()
            return status == "done"

        try:  # 60 s bounds a hang; how fast is benchmarks/bench_pipeline.py's to measure
            wait_for(analysed, timeout=60)
        except BaseException:
            print(worker_log(cron), worker_log(worker), file=sys.stderr)
            raise
    finally:
        for process in (worker, cron):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert client.get(f"/api/v1/feedback/{code}").get_json()["category"] is not None


def test_duplicate_enqueues_and_two_relays_at_once_give_one_analysis_each(
    queued_app, private_redis
):
    for i in range(30):
        file_submission(queued_app, f"{MESSAGES[i % len(MESSAGES)]}（第{i}次反映）")
    with queued_app.app_context():
        ids = list(db.session.scalars(select(Submission.id)))
        # Forget that the web queued them: both relays will now see every row as pending.
        db.session.execute(
            OutboxMessage.__table__.update().values(status="pending", enqueued_at=None)
        )
        db.session.commit()
        db.session.remove()
    connection = worker_redis(private_redis.url)
    for submission_id in ids:  # a second, third enqueue of the same job is harmless
        enqueue_analysis(connection, submission_id)
        enqueue_analysis(connection, submission_id)

    errors: list[BaseException] = []
    # Each relay is its own app (its own engine and connections), built here: CPython 3.11.7's
    # ast.parse, which werkzeug uses to compile URL rules, is not thread-safe ("AST
    # constructor recursion depth mismatch" when two threads build an app at once).
    apps = [create_app(testing_config(REDIS_URL=private_redis.url)) for _ in range(2)]

    def relay(app: Flask) -> None:
        try:
            with app.app_context():
                relay_outbox(worker_redis(private_redis.url))
                db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=relay, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Queue(ANALYSIS.queue, connection=connection).count == len(ids)

    env = worker_env(TEST_DATABASE_URL, private_redis.url)
    workers = [start_worker(env, "--burst", capture=True) for _ in range(2)]
    for process in workers:
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, output.decode(errors="replace")
    rows, distinct = _analysis_counts(queued_app)
    assert rows == distinct == len(ids)
    assert FailedJobRegistry(ANALYSIS.queue, connection=connection).count == 0


def test_the_queued_jobs_a_batch_took_along_are_dropped_and_the_rest_keep_their_order(
    private_redis,
):
    connection = worker_redis(private_redis.url)
    for submission_id in range(1, 7):
        enqueue_analysis(connection, submission_id)
    queue = Queue(ANALYSIS.queue, connection=connection)
    connection.rpush(queue.key, analysis_job_id(4))  # a stray second copy of a queued id
    removed = drop_queued_analysis_jobs(connection, [2, 4, 6, 99])  # 99: never queued
    assert removed == 3
    assert queue.job_ids == [analysis_job_id(i) for i in (1, 3, 5)]
    for gone in (2, 4, 6):
        assert not connection.exists(Job.key_for(analysis_job_id(gone)))
    for kept in (1, 3, 5):
        assert Job.fetch(analysis_job_id(kept), connection=connection).get_status() == "queued"
    assert drop_queued_analysis_jobs(connection, [2, 4]) == 0  # nothing of theirs is left
    assert queue.job_ids == [analysis_job_id(i) for i in (1, 3, 5)]
    private_redis.stop()
    assert drop_queued_analysis_jobs(connection, [1]) == 0  # Redis gone: logged, not raised


def test_a_job_for_a_deleted_submission_finishes_cleanly(queued_app, private_redis):
    client = queued_app.test_client()
    code = _post(client, MESSAGES[1]).get_json()["tracking_code"]
    with queued_app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        submission_id = submission.id
        db.session.delete(submission)
        db.session.commit()
        db.session.remove()
    output = _run_burst_worker(worker_env(TEST_DATABASE_URL, private_redis.url))
    assert f"submission={submission_id} outcome=missing" in output
    connection = worker_redis(private_redis.url)
    job = Queue(ANALYSIS.queue, connection=connection).fetch_job(analysis_job_id(submission_id))
    assert job.get_status() == "finished"
    assert job.return_value()["status"] == "missing"


def test_a_batch_job_past_its_timeout_fails_visibly(queued_app, private_redis):
    # The job is held past its 1-s timeout by a real row lock (another transaction holds the
    # first submission FOR UPDATE, as a long office edit would), not by the amount of work: a
    # workload sized to outlast the timeout finished inside it whenever the machine ran fast.
    for i in range(5):
        file_submission(queued_app, f"{MESSAGES[i % len(MESSAGES)]} 编号{i}")
    connection = worker_redis(private_redis.url)
    engine = create_engine(normalise_database_url(TEST_DATABASE_URL))
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT id FROM submission ORDER BY id LIMIT 1 FOR UPDATE"))
            (job,) = enqueue_reanalyse_all(connection, timeout=1)
            # The lock is held until the worker exits, so only the job's timeout can end the
            # run: a worker still waiting after 60 s raises TimeoutExpired (a hang, not a speed).
            _run_burst_worker(worker_env(TEST_DATABASE_URL, private_redis.url), timeout=60)
            holder.rollback()
    finally:
        engine.dispose()
    job.refresh()
    assert job.get_status() == "failed"
    assert "JobTimeoutException" in (job.latest_result().exc_string or "")
    assert job.meta["done"] == 0
    with queued_app.app_context():  # nothing lost: every case is still there to retry
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 5


def test_a_sigkilled_worker_is_recovered_and_every_submission_has_one_analysis(
    queued_app, private_redis
):
    """Kill the worker mid-queue with SIGKILL; a new worker finishes every job exactly once.

    The jobs are queued from this process with the real 60-s analysis timeout. The killed
    batch's submissions are taken at once by their own queued jobs (the dead worker's
    transaction ends with its connection); a submission with no queued job left waits for the
    documented bound: RQ notices the dead worker when the job's heartbeat (timeout + 60 s)
    expires and the next maintenance run (every 5 s here) retries it, 2 to 2.5 minutes on.
    """
    connection = worker_redis(private_redis.url)
    for i in range(60):
        enqueue_analysis(
            connection, file_submission(queued_app, f"{MESSAGES[i % len(MESSAGES)]}（{i}）")
        )
    env = worker_env(
        TEST_DATABASE_URL,
        private_redis.url,
        CITIZENVOICE_ANALYSIS_TIMEOUT="5",
        CITIZENVOICE_WORKER_MAINTENANCE="5",
        CITIZENVOICE_WORKER_TTL="10",
    )
    victim = start_worker(env)
    started_registry = StartedJobRegistry(ANALYSIS.queue, connection=connection)
    wait_for(
        lambda: started_registry.count > 0 or _analysis_counts(queued_app)[0] > 5,
        timeout=90,
        interval=0.01,
    )
    wait_for(lambda: started_registry.count > 0, timeout=30, interval=0.001)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    killed_mid_job = started_registry.get_job_ids()
    assert killed_mid_job, "the worker was not killed in the middle of a job"

    killed_at = time.monotonic()
    rescuer = start_worker(env)
    try:
        with queued_app.app_context():
            total = db.session.scalar(select(func.count()).select_from(Submission))
            db.session.remove()
        # 240 s bounds a hang past the documented 2.5 minutes; it asserts no duration.
        wait_for(
            lambda: _analysis_counts(queued_app)[1] == total,
            timeout=240,
            interval=1,
            explain=lambda: _worker_logs(victim=victim, rescuer=rescuer),
        )
        recovered_after = time.monotonic() - killed_at
    finally:
        rescuer.send_signal(signal.SIGTERM)
        rescuer.wait(timeout=30)
    rows, distinct = _analysis_counts(queued_app)
    assert rows == distinct == total
    print(f"killed job {killed_mid_job} recovered after {recovered_after:.0f} s", file=sys.stderr)


def _worker_logs(**workers: subprocess.Popen[bytes]) -> str:
    """The logs of the named worker processes, for a failure message."""
    return "\n".join(f"--- {name} worker ---\n{worker_log(p)}" for name, p in workers.items())


def _children(pid: int) -> set[int]:
    """The ids of the live processes whose parent is ``pid``."""
    listing = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid=,stat="], capture_output=True, text=True
    ).stdout
    return {int(line.split()[0]) for line in listing.splitlines() if "Z" not in line.split()[1]}


def _alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, exited but not yet reaped, is not running)."""
    state = subprocess.run(["ps", "-p", str(pid), "-o", "stat="], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


def _database_sessions(engine) -> set[int]:
    """The server process ids of the sessions on the test database, but this one."""
    with engine.connect() as connection:
        return set(
            connection.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        )


def test_a_sigkilled_worker_leaves_no_database_session_and_no_child_process(
    queued_app, private_redis
):
    """Nothing of a SIGKILLed worker lives on: not its PostgreSQL session, not its children.

    RQ forks its scheduler from the worker. A child that inherited the worker's database
    socket kept the dead worker's session open, and with it the transaction it was in and the
    row locks of the batch it was analysing, so no other worker could take that batch; the
    scheduler itself ran on unsupervised.
    """
    engine = create_engine(normalise_database_url(TEST_DATABASE_URL))
    try:
        before = _database_sessions(engine)
        env = worker_env(TEST_DATABASE_URL, private_redis.url)
        worker = start_worker(env)
        # The worker has read the model registry (a database session) and forked its scheduler.
        wait_for(lambda: "nlp models loaded" in worker_log(worker), timeout=120)
        wait_for(lambda: bool(_children(worker.pid)), timeout=60)
        children = _children(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        explain = lambda: _worker_logs(killed=worker)  # noqa: E731
        wait_for(lambda: not (_database_sessions(engine) - before), timeout=30, explain=explain)
        wait_for(lambda: not any(_alive(pid) for pid in children), timeout=30, explain=explain)
    finally:
        engine.dispose()


def test_the_worker_refuses_a_redis_that_may_evict_jobs():
    evicting = RedisServer(maxmemory_policy="allkeys-lru")
    evicting.start()
    try:
        with pytest.raises(RedisSettingsError, match="noeviction"):
            check_redis_settings(redis.Redis.from_url(evicting.url))
        env = worker_env(TEST_DATABASE_URL, evicting.url)
        result = subprocess.run(
            [sys.executable, "worker.py", "--burst"],
            env=env,
            capture_output=True,
            timeout=120,
            cwd=env["PYTHONPATH"],
        )
        assert result.returncode == 2
        assert b"noeviction" in result.stdout + result.stderr
    finally:
        evicting.stop()
