"""The two throughput figures users feel, measured end to end on this machine.

gunicorn serves the JSON API, PostgreSQL stores, Redis queues and ``python worker.py``
processes analyse, all on 127.0.0.1, as in production. Prints one JSON object.

(a) Submissions: real TipDM messages are posted to ``/api/v1/feedback`` at a fixed rate
    (open loop: request *i* is due at ``start + i / rate``, whatever the answers before it
    did) for ``--seconds`` per rate, rate after rate of ``--rates`` until one is not
    sustained (fewer than 97% of the requests answered 201 within the step's time plus one
    second, or any error). For each rate: the rate achieved, API latency (p50 / p95), and how
    long each submission took from the moment its request was sent until its analysis row
    was visible in PostgreSQL (a poller looks every 0.25 s, so figures are up to 0.25 s
    late): the share within 5 s, p50, p95 and the worst.

(b) Re-analysis after a model change: the stored, analysed messages are copied in SQL
    until ``--reanalyse`` of them exist, then ``flask analysis reanalyse``'s jobs
    (``enqueue_reanalyse_all`` with one part per worker) re-analyse every one. Timed from
    enqueue until the last job finished; the rate is extrapolated to 1,000,000 messages.

Usage (from the repository root; DATABASE_URL names the PostgreSQL server, whose database
``--database`` is dropped and recreated; REDIS_URL names a Redis database number of this run's
own, which is flushed)::

    python -m benchmarks.bench_pipeline --rates 30,60,90,120 --seconds 60 --reanalyse 100000

Other work on the machine changes every figure here: the output carries the load average.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WITHIN_SECONDS = 5.0
POLL_SECONDS = 0.25
SUSTAINED_SHARE = 0.97


def submittable_texts(n: int) -> list[tuple[str, str]]:
    """``n`` (title, text) pairs of real TipDM messages the site accepts.

    Messages with their posted text and 5-2,000 characters, repeated in order when ``n``
    exceeds them.
    """
    from nlp.datasets import load_messages

    messages = [
        m
        for m in load_messages()
        if m.text_source != "segmented_only" and 5 <= len(m.text.strip()) <= 2000
    ]
    return [(m.title[:100], m.text.strip()) for m in (messages * (n // len(messages) + 1))[:n]]


def _percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank); 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _scalar(conn: psycopg.Connection[Any], sql: str, *params: Any) -> int:
    row = conn.execute(sql, params or None).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _wait(predicate: Any, timeout: float, what: str, interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:.0f} s: {what}")
        time.sleep(interval)


class Poller(threading.Thread):
    """Records when each submission's analysis row first became visible (time.time())."""

    def __init__(self, db_url: str, low: int) -> None:
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self._db_url = db_url
        self._low = low  # every submission below this id has been seen (or came before)
        self._halt = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self._db_url, autocommit=True) as conn:
            while not self._halt.is_set():
                now = time.time()
                rows = conn.execute(
                    "SELECT submission_id FROM analysis WHERE submission_id >= %s", (self._low,)
                ).fetchall()
                for (submission_id,) in rows:
                    self.seen.setdefault(submission_id, now)
                while self._low in self.seen:
                    self._low += 1
                self._halt.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


def post_at_rate(
    port: int, bodies: list[bytes], rate: float, threads: int
) -> tuple[list[tuple[float, float, int, str]], float]:
    """Post ``bodies`` open loop at ``rate`` per second: [(sent, latency, status, code)], start."""
    counter = itertools.count()
    results: list[tuple[float, float, int, str]] = []
    start = time.time() + 0.5

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (i := next(counter)) < len(bodies):
            time.sleep(max(0.0, start + i / rate - time.time()))
            sent = time.time()
            try:
                conn.request(
                    "POST",
                    "/api/v1/feedback",
                    body=bodies[i],
                    headers={"Content-Type": "application/json"},
                )
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, payload = 0, b"{}"
            code = json.loads(payload).get("tracking_code", "") if status == 201 else ""
            results.append((sent, time.time() - sent, status, code))
        conn.close()

    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(client)
    return results, start


def measure_rate(
    port: int, db_url: str, texts: list[tuple[str, str]], rate: float, args: argparse.Namespace
) -> dict[str, Any]:
    """One step of (a): post for ``args.seconds`` at ``rate``, then wait for every analysis."""
    count = int(rate * args.seconds)
    bodies = [_body(t, x) for t, x in itertools.islice(itertools.cycle(texts), count)]
    with psycopg.connect(db_url, autocommit=True) as conn:
        poller = Poller(db_url, _scalar(conn, "SELECT coalesce(max(id), 0) + 1 FROM submission"))
    poller.start()
    loads = [os.getloadavg()[0]]
    results, start = post_at_rate(port, bodies, rate, args.threads)
    loads.append(os.getloadavg()[0])
    ok = [r for r in results if r[2] == 201]
    codes = {r[3]: r[0] for r in ok}
    with psycopg.connect(db_url, autocommit=True) as conn:
        _wait(
            lambda: (
                _scalar(conn, "SELECT count(*) FROM submission WHERE analysis_status = 'pending'")
                == 0
            ),
            300,
            "every submission analysed",
        )
        time.sleep(2 * POLL_SECONDS)
        ids = dict(
            conn.execute(
                "SELECT tracking_code, id FROM submission WHERE tracking_code = ANY(%s)",
                (list(codes),),
            ).fetchall()
        )
    poller.stop()
    delays = [
        poller.seen[ids[code]] - sent for code, sent in codes.items() if ids[code] in poller.seen
    ]
    finished = max((r[0] + r[1] for r in results), default=start) - start
    answered_in_time = sum(1 for r in ok if r[0] + r[1] - start <= args.seconds + 1)
    return {
        "rate": rate,
        "submissions": count,
        "answered_201": len(ok),
        "errors": len(results) - len(ok),
        "achieved_per_second": round(len(ok) / max(finished, 1e-9), 1),
        "sustained": not (len(results) - len(ok)) and answered_in_time >= SUSTAINED_SHARE * count,
        "api_ms_p50": round(1000 * _percentile([r[1] for r in ok], 0.5), 1),
        "api_ms_p95": round(1000 * _percentile([r[1] for r in ok], 0.95), 1),
        "analysed": len(delays),
        "share_stored_within_5s": round(
            sum(1 for d in delays if d <= WITHIN_SECONDS) / max(1, len(ok)), 4
        ),
        "stored_seconds_p50": round(_percentile(delays, 0.5), 2),
        "stored_seconds_p95": round(_percentile(delays, 0.95), 2),
        "stored_seconds_max": round(max(delays, default=0.0), 2),
        "load_average_1min": [round(x, 2) for x in loads],
    }


def grow_to(db_url: str, target: int) -> int:
    """Copy stored submissions with their analyses (SQL) until ``target`` exist; the count."""
    with psycopg.connect(db_url, autocommit=True) as conn:
        # Copies get new tracking codes and no public number (both unique; the bench needs neither).
        submission_columns = _columns(conn, "submission", {"id", "tracking_code", "public_number"})
        analysis_columns = _columns(conn, "analysis", {"id", "submission_id", "search_vector"})
        for generation in itertools.count(1):
            have = _scalar(conn, "SELECT count(*) FROM submission")
            if have >= target:
                return have
            tag = f"bench{generation}-"
            cols = ", ".join(submission_columns)
            conn.execute(
                f"INSERT INTO submission (tracking_code, {cols}) "
                f"SELECT %s || id, {cols} FROM submission ORDER BY id LIMIT %s",
                (tag, target - have),
            )
            acols = ", ".join(analysis_columns)
            conn.execute(
                f"INSERT INTO analysis (submission_id, {acols}) "
                f"SELECT n.id, {', '.join('a.' + c for c in analysis_columns)} "
                "FROM submission n JOIN analysis a "
                "ON a.submission_id = substr(n.tracking_code, length(%s) + 1)::int "
                "WHERE n.tracking_code LIKE %s",
                (tag, tag + "%"),
            )
        raise AssertionError("unreachable")


def _columns(conn: psycopg.Connection[Any], table: str, skip: set[str]) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [name for (name,) in rows if name not in skip]


def measure_reanalysis(db_url: str, redis_url: str, target: int, parts: int) -> dict[str, Any]:
    """(b): copy messages up to ``target``, re-analyse them all in ``parts`` jobs, time it."""
    from rq.job import JobStatus

    from citizenvoice.jobs import enqueue_reanalyse_all, worker_redis

    messages = grow_to(db_url, target)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE submission")
        conn.execute("VACUUM ANALYZE analysis")
    connection = worker_redis(redis_url)
    loads = [os.getloadavg()[0]]
    started = time.time()
    jobs = enqueue_reanalyse_all(connection, parts=parts)
    done = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
    _wait(lambda: all(job.get_status() in done for job in jobs), 3 * 3600, "re-analysis", 1.0)
    seconds = time.time() - started
    loads.append(os.getloadavg()[0])
    statuses = [job.get_status().value for job in jobs]
    with psycopg.connect(db_url) as conn:
        not_rerun = _scalar(conn, "SELECT count(*) FROM analysis WHERE runs < 2")
    rate = messages / seconds
    return {
        "messages": messages,
        "jobs": parts,
        "job_statuses": statuses,
        "not_reanalysed": not_rerun,
        "seconds": round(seconds, 1),
        "per_second": round(rate, 1),
        "extrapolated_minutes_for_1000000": round(1_000_000 / rate / 60, 1),
        "load_average_1min": [round(x, 2) for x in loads],
    }


def _body(title: str, text: str) -> bytes:
    return json.dumps(
        {"kind": "complaint", "department": None, "title": title, "text": text}
    ).encode()


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def _environment(db_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "CITIZENVOICE_ENV": "production",
            "SECRET_KEY": "benchmark-only-secret",
            "CITIZENVOICE_PII_KEY": "benchmark-only-pii-key",
            "CITIZENVOICE_AUDIT_KEY": "benchmark-only-audit-key",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "CITIZENVOICE_SUBMISSION_LIMIT": "1000000/minute",
        }
    )
    return env


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run (a) and (b) as the arguments say and print the figures as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="30,60,90,120", help="submissions per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each rate step")
    parser.add_argument("--reanalyse", type=int, default=100_000, help="messages; 0: skip (b)")
    parser.add_argument("--workers", type=int, default=2, help="worker.py processes")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=32, help="client threads")
    parser.add_argument("--database", default="citizenvoice_bench")
    args = parser.parse_args(argv)

    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    with psycopg.connect(server.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    db_url = server.rsplit("/", 1)[0] + "/" + args.database
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = _environment(db_url, redis_url)
    for command in (["db", "upgrade"], ["seed", "--messages", "0"]):
        subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *command],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    web_port = int(port.getsockname()[1])
    port.close()
    web = [str(BIN / "gunicorn"), "-w", str(args.web_workers), "-b", f"127.0.0.1:{web_port}"]
    processes = [
        subprocess.Popen(
            [*web, "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    processes += [
        subprocess.Popen(
            [sys.executable, "worker.py"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    results: dict[str, Any] = {
        "cores": os.cpu_count(),
        "web_workers": args.web_workers,
        "workers": args.workers,
        "client_threads": args.threads,
    }
    try:
        _wait(lambda: _port_open(web_port), 60, "gunicorn listening", 0.2)
        time.sleep(10)  # workers load the models before they take jobs
        texts = submittable_texts(20_000)
        # Untimed warm-up: every gunicorn process and worker pays its one-time costs (lazy
        # imports, first connections, prepared statements) before the first timed request.
        warm_up = argparse.Namespace(**{**vars(args), "seconds": 10.0})
        measure_rate(web_port, db_url, texts[-100:], 10.0, warm_up)
        steps = []
        for rate in (float(r) for r in args.rates.split(",")):
            steps.append(measure_rate(web_port, db_url, texts, rate, args))
            if not steps[-1]["sustained"]:
                break
        sustained = [s for s in steps if s["sustained"]]
        results["submission_steps"] = steps
        results["highest_sustained_rate"] = sustained[-1]["rate"] if sustained else None
        if args.reanalyse:
            results["reanalysis"] = measure_reanalysis(
                db_url, redis_url, args.reanalyse, args.workers
            )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
    print(json.dumps(results, ensure_ascii=False))
    return results


if __name__ == "__main__":
    main()
