"""The stack ``benchmarks.bench_load`` measures: started and seeded here, or found at a URL.

Also the CPU sampler that tells which process group is the bottleneck: every second it adds
up the CPU time of gunicorn (master and workers), the ``worker.py`` processes, the PostgreSQL
backends serving the benchmark's database (``pg_stat_activity``), the Redis server and the
load generator, and the machine's total busy time, so any window's average can be read back.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg
import redis

from benchmarks._common import DEFAULT_REDIS_URL, bench_app, recreate_database

__all__ = ["CpuSampler", "Stack", "seed_stack", "start_processes"]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOKUP_CODES = 5_000
STAFF_PASSWORD = "Bench-load-7f3Q-only"  # benchmark accounts in a scratch database
UNLIMITED = "1000000/minute"


@dataclass
class Stack:
    """What a load run talks to, and the processes this benchmark started for it."""

    url: str
    workdir: Path
    codes: list[str]
    bodies: list[str]
    staff: list[list[str]]
    health_path: str = "/healthz"
    db_url: str | None = None
    redis_url: str | None = None
    web: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        """SIGTERM every process started here (gunicorn drains), kill what outlives 30 s."""
        processes = [p for p in [self.web, *self.workers] if p is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def production_env(db_url: str, redis_url: str) -> dict[str, str]:
    """Production configuration for the benchmark's processes, rate limits out of the way."""
    return {
        **os.environ,
        "CITIZENVOICE_ENV": "production",
        "SECRET_KEY": "benchmark-only-secret",
        "CITIZENVOICE_PII_KEY": "benchmark-only-pii-key",
        "CITIZENVOICE_AUDIT_KEY": "benchmark-only-audit-key",
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        # Every load request comes from 127.0.0.1: the per-address limits would answer 429.
        "CITIZENVOICE_SUBMISSION_LIMIT": UNLIMITED,
        "CITIZENVOICE_LOOKUP_LIMIT": UNLIMITED,
    }


def request_bodies(n: int) -> list[str]:
    """``n`` JSON submission bodies made of real messages."""
    from benchmarks.bench_pipeline import submittable_texts

    return [
        json.dumps(
            {"kind": "complaint", "department": None, "title": title, "text": text},
            ensure_ascii=False,
        )
        for title, text in submittable_texts(n)
    ]


def submit_some(url: str, bodies: list[str]) -> list[str]:
    """Post ``bodies`` to a running app; the tracking codes it returned."""
    codes = []
    for body in bodies:
        request = urllib.request.Request(
            url + "/api/v1/feedback",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            codes.append(json.loads(response.read())["tracking_code"])
    return codes


def give_real_codes(db_url: str, n: int) -> list[str]:
    """Give the first ``n`` loaded cases tracking codes of the current format; the codes."""
    from citizenvoice.domain.tracking import new_tracking_code

    codes = [new_tracking_code() for _ in range(n)]
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        cur.executemany(
            "UPDATE submission SET tracking_code = %s WHERE id = %s",
            [(code, i) for i, code in enumerate(codes, start=1)],
        )
    return codes


def make_staff(db_url: str, count: int) -> list[list[str]]:
    """``count`` department staff accounts, spread over the busiest departments first."""
    from citizenvoice.extensions import db
    from citizenvoice.services.accounts import create_user

    with psycopg.connect(db_url) as conn:
        departments = [
            code
            for (code,) in conn.execute(
                "SELECT d.code FROM department d JOIN submission s ON s.department_id = d.id "
                "GROUP BY d.code ORDER BY count(*) DESC LIMIT 8"
            ).fetchall()
        ]
    app = bench_app(db_url)
    accounts = []
    with app.app_context():
        for i in range(count):
            username = f"load{i:03d}"
            create_user(username, STAFF_PASSWORD, "department_staff", departments[i % 8])
            accounts.append([username, STAFF_PASSWORD])
        db.session.commit()
        db.engine.dispose()
    return accounts


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("gunicorn not listening")


def seed_stack(args: argparse.Namespace, workdir: Path, staff_needed: int) -> Stack:
    """Create and load the database (or take the app at ``--url`` as it is); nothing started."""
    bodies = request_bodies(400)
    if args.url:
        codes = submit_some(args.url, bodies[:50])
        staff = [s.split(":", 1) for s in args.staff_login]
        return Stack(url=args.url, workdir=workdir, codes=codes, bodies=bodies, staff=staff)
    from flask_migrate import upgrade

    from benchmarks.bench_inbox import load_cases
    from citizenvoice.extensions import db

    db_url = recreate_database(args.database)
    app = bench_app(db_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    load_cases(db_url, args.cases)
    return Stack(
        url="",
        workdir=workdir,
        codes=give_real_codes(db_url, min(args.cases, LOOKUP_CODES)),
        bodies=bodies,
        staff=make_staff(db_url, staff_needed),
        db_url=db_url,
        redis_url=os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
    )


def start_processes(stack: Stack, workers: int, threads: int, rq_workers: int) -> None:
    """Start gunicorn (``gunicorn.conf.py``) and the RQ workers on a flushed Redis database."""
    assert stack.db_url and stack.redis_url
    redis.Redis.from_url(stack.redis_url).flushdb()
    env = production_env(stack.db_url, stack.redis_url)
    port = _free_port()
    log = (stack.workdir / "stack.log").open("ab")
    gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "-w", str(workers)]
    stack.web = subprocess.Popen(
        [*gunicorn, "--threads", str(threads), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )
    stack.url = f"http://127.0.0.1:{port}"
    try:
        stack.workers = [
            subprocess.Popen(
                [sys.executable, "worker.py"], env=env, cwd=ROOT, stdout=log, stderr=log
            )
            for _ in range(rq_workers)
        ]
        _wait_for(port, stack.web, 90)
    except BaseException:
        stack.stop()
        raise


class CpuSampler(threading.Thread):
    """Cumulative CPU seconds per process group, sampled every second."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._last: dict[int, float] = {}
        self._totals: dict[str, float] = {}
        self._halt = threading.Event()
        self._redis_pid: int | None = None
        self.peak_backends = 0  # connections to the benchmark's database, at most
        if stack.redis_url:
            info: Any = redis.Redis.from_url(stack.redis_url).info("server")
            self._redis_pid = int(info["process_id"])

    def _groups(self, conn: psycopg.Connection[Any] | None) -> dict[str, list[int]]:
        me = psutil.Process()
        started = {p.pid for p in [self.stack.web, *self.stack.workers] if p is not None}
        groups: dict[str, list[int]] = {"load generator (locust)": []}
        for child in me.children():
            if child.pid not in started:
                groups["load generator (locust)"] += [child.pid] + [
                    c.pid for c in child.children(recursive=True)
                ]
        for name, processes in (("gunicorn", [self.stack.web]), ("rq workers", self.stack.workers)):
            pids: list[int] = []
            for process in processes:
                if process is not None and process.poll() is None:
                    pids.append(process.pid)
                    with contextlib.suppress(psutil.NoSuchProcess):
                        pids += [c.pid for c in psutil.Process(process.pid).children(True)]
            if pids:
                groups[name] = pids
        if conn is not None:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ).fetchall()
            groups["postgres (this database's backends)"] = [pid for (pid,) in rows]
            self.peak_backends = max(self.peak_backends, len(rows))
        if self._redis_pid:
            groups["redis (shared server)"] = [self._redis_pid]
        return groups

    def _sample(self, conn: psycopg.Connection[Any] | None) -> None:
        for group, pids in self._groups(conn).items():
            for pid in pids:
                try:
                    times = psutil.Process(pid).cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                now = times.user + times.system
                before = self._last.get(pid, now)
                self._last[pid] = now
                self._totals[group] = self._totals.get(group, 0.0) + max(0.0, now - before)
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        self.samples.append((time.time(), {**self._totals, "machine_total": busy}))

    def run(self) -> None:
        """Sample until stopped."""
        conn = psycopg.connect(self.stack.db_url, autocommit=True) if self.stack.db_url else None
        try:
            while not self._halt.is_set():
                self._sample(conn)
                self._halt.wait(1.0)
        finally:
            if conn is not None:
                conn.close()

    def stop(self) -> None:
        """Stop sampling."""
        self._halt.set()
        self.join(timeout=10)

    def averages(self, start: float, end: float) -> dict[str, float]:
        """Each group's CPU between ``start`` and ``end``, in % of one core."""
        inside = [s for s in self.samples if start <= s[0] <= end + 1.0]
        if len(inside) < 2:
            return {}
        (t0, first), (t1, last) = inside[0], inside[-1]
        return {
            group: round(100 * (last[group] - first.get(group, 0.0)) / (t1 - t0), 1)
            for group in last
        }
