"""End-to-end benchmark of the analysis pipeline: API -> PostgreSQL + outbox -> Redis -> RQ workers.

Submits N real messages from the shared TipDM data through the JSON API served by gunicorn,
with PostgreSQL, a private Redis server and W worker processes, and prints one JSON object:

- submissions per second through the API (client threads on loopback);
- seconds from the first submission until every message is analysed;
- the drain rate of ONE worker process on a queue of analysis jobs, compared with the
  in-process rate of the pipeline on the same texts in batches of 500, as ``python -m nlp
  bench`` measures it (target: at least 70%); one-by-one ``Analyzer.analyze`` is printed too;
- lost (submissions without an analysis) and analysed twice (analysis rows with runs > 1).

Usage: .venv/bin/python benchmarks/bench_pipeline.py [--n 10000] [--workers 2] [--threads 8]
Needs PostgreSQL (DATABASE_URL's server; a database ``citizenvoice_bench`` is recreated) and
redis-server on PATH. Everything runs on loopback.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import psycopg  # noqa: E402
from support import RedisServer  # noqa: E402

from nlp.datasets import load_messages  # noqa: E402

BENCH_DB = "citizenvoice_bench"
LOST_SQL = (
    "SELECT count(*) FROM submission s LEFT JOIN analysis a ON a.submission_id = s.id "
    "WHERE a.id IS NULL"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def recreate_database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return admin_url.rsplit("/", 1)[0] + "/" + BENCH_DB


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def count(db_url: str, sql: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(sql).fetchone()
        return int(row[0]) if row else 0


def post_all(port: int, bodies: list[bytes], threads: int) -> float:
    def worker(chunk: list[bytes]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = 0
        for body in chunk:
            conn.request(
                "POST", "/api/v1/feedback", body=body, headers={"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            response.read()
            if response.status != 201:
                raise RuntimeError(f"API answered {response.status}")
            ok += 1
        conn.close()
        return ok

    chunks = [bodies[i::threads] for i in range(threads)]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(worker, chunks))
    assert total == len(bodies)
    return time.perf_counter() - started


def wait_until(predicate, timeout: float, interval: float = 0.5) -> float:
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise TimeoutError("benchmark condition not met in time")
        time.sleep(interval)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--drain", type=int, default=2000, help="jobs for the one-worker drain rate"
    )
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    admin = base.rsplit("/", 1)[0] + "/postgres"
    db_url = recreate_database(admin)
    redis_server = RedisServer()
    redis_server.start()
    env = dict(os.environ)
    env.update(
        {
            "CITIZENVOICE_ENV": "production",
            "SECRET_KEY": "benchmark-only-secret",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_server.url,
            "CITIZENVOICE_SUBMISSION_LIMIT": "1000000/minute",
            "PYTHONPATH": str(ROOT),
        }
    )
    flask(env, "db", "upgrade")
    flask(env, "seed", "--messages", "0")

    messages = [
        m
        for m in load_messages()
        if m.text_source != "segmented_only" and 5 <= len(m.text.strip()) <= 2000
    ]
    texts = [
        (m.title[:100], m.text.strip())
        for m in (messages * (args.n // len(messages) + 1))[: args.n]
    ]
    bodies = [
        json.dumps({"kind": "complaint", "department": None, "title": t, "text": x}).encode()
        for t, x in texts
    ]

    port = free_port()
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[subprocess.Popen[bytes]] = []
    results: dict[str, object] = {
        "n": args.n,
        "workers": args.workers,
        "client_threads": args.threads,
    }
    try:
        wait_until(lambda: _port_open(port), 30, 0.2)
        workers = [
            subprocess.Popen(
                [sys.executable, "worker.py", "--queues", "analysis"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.workers)
        ]
        time.sleep(8)  # models load before a worker takes jobs
        started = time.perf_counter()
        submit_seconds = post_all(port, bodies, args.threads)
        results["submit_seconds"] = round(submit_seconds, 2)
        results["submissions_per_second"] = round(args.n / submit_seconds, 1)
        wait_until(lambda: count(db_url, "SELECT count(*) FROM analysis") >= args.n, 3600)
        results["seconds_until_all_analysed"] = round(time.perf_counter() - started, 2)
        results["lost"] = count(
            db_url,
            LOST_SQL,
        )
        results["analysed_twice"] = count(db_url, "SELECT count(*) FROM analysis WHERE runs > 1")
        results["failed"] = count(
            db_url, "SELECT count(*) FROM submission WHERE analysis_status = 'failed'"
        )
        for process in workers:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        workers = []

        # One worker draining a queue, against the same texts analysed in-process.
        drain = min(args.drain, args.n)
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute("TRUNCATE analysis, duplicate_band")
            conn.execute("UPDATE submission SET analysis_status = 'pending'")
            ids = [
                row[0]
                for row in conn.execute("SELECT id FROM submission ORDER BY id LIMIT %s", (drain,))
            ]
        from citizenvoice.jobs import enqueue_analysis, worker_redis

        connection = worker_redis(redis_server.url)
        connection.flushdb()
        for submission_id in ids:
            enqueue_analysis(connection, submission_id)
        one = subprocess.Popen(
            [sys.executable, "worker.py", "--queues", "analysis", "--burst"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        first_seen = wait_until(
            lambda: count(db_url, "SELECT count(*) FROM analysis") > 0, 600, 0.05
        )
        t0 = time.perf_counter()
        wait_until(lambda: count(db_url, "SELECT count(*) FROM analysis") >= drain, 3600, 0.2)
        queued_rate = (drain - 1) / (time.perf_counter() - t0)
        one.wait(timeout=60)
        del first_seen

        from nlp.pipeline import Analyzer

        analyzer = Analyzer.load()
        sample = texts[:drain]
        t0 = time.perf_counter()
        for title, text in sample:
            analyzer.analyze(title, text)
        per_message_rate = drain / (time.perf_counter() - t0)
        # What `python -m nlp bench` measures: the pipeline on batches of 500 messages.
        t0 = time.perf_counter()
        for start in range(0, drain, 500):
            analyzer.analyze_batch(sample[start : start + 500])
        inprocess_rate = drain / (time.perf_counter() - t0)
        results["one_worker_messages_per_second"] = round(queued_rate, 1)
        results["in_process_messages_per_second"] = round(inprocess_rate, 1)
        results["in_process_one_by_one_messages_per_second"] = round(per_message_rate, 1)
        results["queued_vs_in_process"] = round(queued_rate / inprocess_rate, 3)
    finally:
        for process in workers:
            process.kill()
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        redis_server.stop()
    print(json.dumps(results, ensure_ascii=False))


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
