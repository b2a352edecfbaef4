"""Workers and the scheduler outlive Redis and PostgreSQL outages, and stop cleanly on SIGTERM.

Each test runs real ``python worker.py`` processes (a worker and ``--cron``) against a private
redis-server it stops and starts (a restarted one is empty: queues and schedule gone) and the
test database, reached directly or through a TCP proxy the test can cut. The moment of a Redis
outage (idle, mid-job, while a job's result is stored) is chosen with ``fault_jobs.gate_job``,
a test-only job that waits for a file; the scheduler's tick (every 2 s here) fails in every
outage.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from rq import Queue
from sqlalchemy import func, select
from support import (
    PROJECT_ROOT,
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
from citizenvoice.jobs import ANALYSIS, enqueue_analysis, worker_redis
from citizenvoice.models import Analysis, Submission

pytestmark = [pytest.mark.redis, pytest.mark.worker, pytest.mark.slow]

TEXTS = [
    "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。",
    "公司已经拖欠二十多名工人三个月工资，多次讨要无果，请人社部门帮助我们讨回工资。",
    "小区电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难。",
    "建议在A1区至高新区之间开通早晚高峰公交专线，目前上班高峰期公交车非常拥挤。",
]
# Bounds a hang, not a speed: a loaded 2-core machine analyses the handful of cases here in
# seconds once its services are back.
RECOVERY_TIMEOUT = 180


class TcpProxy:
    """A loopback TCP proxy the test can cut (every connection closed, no listener) and restore."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen on the proxy's port and forward every connection to the target."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every open connection: the database is 'down'."""
        with self._lock:
            if self._listener is not None:
                # shutdown() wakes the thread blocked in accept(); close() alone would not.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queued_app(seeded, private_redis):
    """The seeded test app (direct to the test database), queueing on the private Redis."""
    app = create_app(testing_config(REDIS_URL=private_redis.url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """A worker's environment with ``tests/`` importable (for ``fault_jobs``)."""
    env = worker_env(database_url, redis_url, CITIZENVOICE_RELAY_INTERVAL="2", **extra)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")])
    return env


def _post(app, text: str) -> None:
    response = app.test_client().post(
        "/api/v1/feedback", json={"kind": "complaint", "department": None, "text": text}
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def _counts(app) -> tuple[int, int, int]:
    """(submissions, analysis rows, submissions with an analysis)."""
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Submission))
        rows = db.session.scalar(select(func.count()).select_from(Analysis))
        distinct = db.session.scalar(select(func.count(func.distinct(Analysis.submission_id))))
        db.session.remove()
    return total, rows, distinct


def _all_analysed(app) -> bool:
    total, _, distinct = _counts(app)
    return distinct == total


def _stop(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    """SIGTERM each process and return the exit codes (a hang fails after 60 s)."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=60) for process in processes]


def _dump(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        print(worker_log(process)[-6000:], file=sys.stderr)


@pytest.mark.parametrize("moment", ["idle", "mid_job", "result_store", "result_store_forked"])
def test_a_redis_outage_ends_no_process_and_every_submission_is_analysed_after(
    moment: str, queued_app, private_redis: RedisServer, tmp_path: Path
) -> None:
    env = _env(TEST_DATABASE_URL, private_redis.url)
    cron = start_worker(env, "--cron")
    # forked: the job and its result store run in RQ's work-horse, the worker watches it
    worker = start_worker(env, *(["--fork"] if moment.endswith("forked") else []))
    processes = [worker, cron]
    try:
        if moment != "idle":
            gate = Queue(ANALYSIS.queue, connection=worker_redis(private_redis.url))
            gate.enqueue("fault_jobs.gate_job", str(tmp_path), job_timeout=600)
            wait_for((tmp_path / "started").exists, timeout=RECOVERY_TIMEOUT)
            # Queued behind the busy worker: these jobs are lost with the Redis holding them,
            # while their outbox rows say "enqueued".
            for text in TEXTS[:2]:
                _post(queued_app, text)
        else:
            _post(queued_app, TEXTS[0])
        private_redis.stop()
        for text in TEXTS[2:]:  # Redis down: saved, pending in the outbox
            _post(queued_app, text)
        if moment.startswith("result_store"):
            (tmp_path / "release").touch()  # the job returns; storing its result fails
            wait_for(lambda: "worker stopped (" in worker_log(worker), timeout=60)
        # The scheduler's tick fails while Redis is down (every 2 s here).
        wait_for(lambda: "cron scheduler stopped (" in worker_log(cron), timeout=60)
        private_redis.start()  # a fresh, empty server on the same port
        if moment == "mid_job":
            (tmp_path / "release").touch()
        wait_for(lambda: _all_analysed(queued_app), timeout=RECOVERY_TIMEOUT, interval=0.5)
        assert worker.poll() is None and cron.poll() is None, "a process ended"
    except BaseException:
        _dump(processes)
        raise
    finally:
        codes = _stop(processes)
    assert codes == [0, 0]
    total, rows, distinct = _counts(queued_app)
    assert total == (3 if moment == "idle" else 4)
    assert rows == distinct == total
    assert "restarting in" in worker_log(cron)
    # The relay noticed the empty Redis and looked at every enqueued row at once.
    assert "redis_emptied=True" in worker_log(worker)


def test_a_postgresql_outage_ends_no_process_and_every_submission_is_analysed_after(
    queued_app, private_redis: RedisServer
) -> None:
    parts = urlsplit(TEST_DATABASE_URL)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    proxied = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    env = _env(proxied, private_redis.url)
    cron = start_worker(env, "--cron")
    worker = start_worker(env)
    processes = [worker, cron]
    try:
        _post(queued_app, TEXTS[0])
        wait_for(lambda: _all_analysed(queued_app), timeout=RECOVERY_TIMEOUT, interval=0.5)
        proxy.stop()  # every worker and scheduler connection to PostgreSQL drops
        for text in TEXTS[1:]:  # the web (direct) still files and queues them
            _post(queued_app, text)
        wait_for(lambda: "OperationalError" in worker_log(worker), timeout=60)
        proxy.start()
        wait_for(lambda: _all_analysed(queued_app), timeout=RECOVERY_TIMEOUT, interval=0.5)
        assert worker.poll() is None and cron.poll() is None, "a process ended"
    except BaseException:
        _dump(processes)
        raise
    finally:
        codes = _stop(processes)
        proxy.stop()
    assert codes == [0, 0]
    total, rows, distinct = _counts(queued_app)
    assert rows == distinct == total == len(TEXTS)


def test_sigterm_mid_batch_loses_nothing_and_the_worker_exits_0(
    queued_app, private_redis: RedisServer
) -> None:
    connection = worker_redis(private_redis.url)
    for i in range(120):
        enqueue_analysis(connection, file_submission(queued_app, f"{TEXTS[i % 4]}（第{i}件）"))
    env = _env(TEST_DATABASE_URL, private_redis.url, CITIZENVOICE_ANALYSIS_BATCH_SIZE="2")
    worker = start_worker(env)
    try:
        wait_for(lambda: _counts(queued_app)[1] >= 2, timeout=RECOVERY_TIMEOUT, interval=0.05)
        worker.send_signal(signal.SIGTERM)
        # Promptly: the job in hand finishes its batch and skips the rest of the backlog.
        assert worker.wait(timeout=60) == 0
    except BaseException:
        _dump([worker])
        raise
    log = worker_log(worker)
    assert "warm shut down requested" in log
    analysed_at_stop = _counts(queued_app)[2]
    print(f"analysed when the worker stopped: {analysed_at_stop} of 120", file=sys.stderr)
    # Nothing lost: what the stopped worker left is still queued, and a new worker finishes it.
    rescuer = start_worker(env, "--burst", capture=True)
    output, _ = rescuer.communicate(timeout=RECOVERY_TIMEOUT)
    assert rescuer.returncode == 0, output.decode(errors="replace")
    total, rows, distinct = _counts(queued_app)
    assert rows == distinct == total == 120
