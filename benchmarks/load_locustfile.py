"""The request mix of ``benchmarks.bench_load``, run by locust in a process of its own.

Not a benchmark to run by hand: ``python -m benchmarks.bench_load`` writes a plan (JSON, its
path in ``CITIZENVOICE_LOAD_PLAN``) and starts ``locust -f`` on this file. Locust patches the
standard library with gevent on import, which is why it never runs inside the benchmark's own
process (psycopg, subprocesses and threads there stay unpatched).

One user class per request type, each with a fixed number of users and
``constant_throughput``: the plan gives every class its users and the requests a second each
one makes, so every type is offered at its own rate whatever the others do (open loop per
user, as long as an answer comes back within the user's interval). Requests are named by
route (``/track/[code]``), so no tracking code reaches locust's statistics or logs.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant_throughput, events, task
from locust.env import Environment

PLAN: dict[str, Any] = json.loads(
    Path(os.environ["CITIZENVOICE_LOAD_PLAN"]).read_text(encoding="utf-8")
)
CODES: list[str] = PLAN["codes"]
BODIES: list[str] = PLAN["bodies"]
STAFF: list[list[str]] = PLAN["staff"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_staff_next = iter(range(1_000_000))


def _write_marker(**times: float) -> None:
    marker = Path(PLAN["marker"])
    known = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
    marker.write_text(json.dumps({**known, **times}), encoding="utf-8")


def _start_measuring(environment: Environment) -> None:
    # The warm-up (spawning, sign-ins, each process's first requests) is not measured.
    if environment.runner is not None:
        environment.runner.stats.reset_all()
    _write_marker(start=time.time())


@events.test_start.add_listener
def _schedule_measurement(environment: Environment, **_: Any) -> None:
    gevent.spawn_later(float(PLAN["reset_after"]), _start_measuring, environment)


@events.test_stop.add_listener
def _end_measurement(environment: Environment, **_: Any) -> None:
    _write_marker(stop=time.time())


def _users(kind: str) -> int:
    return int(PLAN["classes"][kind]["users"])


def _pace(kind: str) -> Any:
    # A class with no users still needs a valid pace; locust never starts it.
    return constant_throughput(float(PLAN["classes"][kind]["per_user"]) or 1.0)


class Submitter(FastHttpUser):
    """A resident's app posting complaints to the JSON API."""

    fixed_count = _users("submit")
    wait_time = _pace("submit")

    @task
    def submit(self) -> None:
        """POST /api/v1/feedback with a real message; 201 expected."""
        with self.client.post(
            "/api/v1/feedback",
            data=random.choice(BODIES),
            headers={"Content-Type": "application/json"},
            name="POST /api/v1/feedback",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}")


class TrackApi(FastHttpUser):
    """Tracking lookups through the API."""

    fixed_count = _users("track_api")
    wait_time = _pace("track_api")

    @task
    def lookup(self) -> None:
        """GET /api/v1/feedback/<code> for a stored case."""
        code = random.choice(CODES)
        self.client.get(f"/api/v1/feedback/{code}", name="GET /api/v1/feedback/[code]")


class TrackPage(FastHttpUser):
    """Residents opening their tracking page."""

    fixed_count = _users("track_page")
    wait_time = _pace("track_page")

    @task
    def track(self) -> None:
        """GET /track/<code> for a stored case."""
        code = random.choice(CODES)
        self.client.get(f"/track/{code}", name="GET /track/[code]")


class PublicPages(FastHttpUser):
    """Anonymous visitors: the home page and the complaint form."""

    fixed_count = _users("public")
    wait_time = _pace("public")

    @task
    def home(self) -> None:
        """GET /."""
        self.client.get("/", name="GET /")

    @task
    def complaint_form(self) -> None:
        """GET /submit/complaint."""
        self.client.get("/submit/complaint", name="GET /submit/complaint")


class Staff(FastHttpUser):
    """A department's staff member, signed in, reloading the inbox.

    Production cookies are ``Secure``, which a client keeps but never sends over plain HTTP:
    the benchmark talks to gunicorn on 127.0.0.1 without TLS (a proxy ends TLS in production),
    so the stored cookies are sent by hand.
    """

    fixed_count = _users("inbox")
    wait_time = _pace("inbox")

    def _cookies(self) -> dict[str, str]:
        jar = self.client.cookiejar
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)} if jar else {}

    def on_start(self) -> None:
        """Sign in as the next benchmark account (one account per user: one session each)."""
        username, password = STAFF[next(_staff_next) % len(STAFF)]
        page = self.client.get("/login", name="GET /login (sign-in)")
        match = CSRF.search(page.text or "")
        self.client.post(
            "/login",
            data={
                "csrf_token": match.group(1) if match else "",
                "username": username,
                "password": password,
            },
            headers=self._cookies(),
            allow_redirects=False,
            name="POST /login (sign-in)",
        )

    @task
    def inbox(self) -> None:
        """GET /workspace/ (the department inbox, first page)."""
        with self.client.get(
            "/workspace/",
            headers=self._cookies(),
            name="GET /workspace/",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class Probe(FastHttpUser):
    """The liveness probe, the baseline every p95 is compared with."""

    fixed_count = _users("health")
    wait_time = _pace("health")

    @task
    def health(self) -> None:
        """GET the health path (/healthz, or / where the app has none)."""
        path = PLAN["health_path"]
        self.client.get(path, name=f"GET {path} (probe)")
