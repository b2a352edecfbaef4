"""What each request type of ``benchmarks.bench_load`` costs the web process, measured in-process.

The load run says how busy gunicorn was; this says where that time goes. The app in its
production configuration (the benchmark's database and Redis) answers ``n`` requests of each
type through Flask's test client, one after another with nothing else running in this process,
and the CPU time of the process (``time.process_time``) and the wall time are taken per
request. CPU here is the web side only: PostgreSQL's and Redis's work is in the wall time.
Figures that hold on a busy machine far better than latencies do, since CPU time is only
counted while the process runs.
"""

from __future__ import annotations

import itertools
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from benchmarks.load_stack import Stack, production_env

__all__ = ["measure_costs"]

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _sign_in(client: FlaskClient, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = CSRF.search(page)
    answer = client.post(
        "/login",
        headers={"Referer": "https://localhost/login"},  # CSRF checks it on https
        data={
            "csrf_token": match.group(1) if match else "",
            "username": username,
            "password": password,
        },
    )
    if answer.status_code != 303:
        raise RuntimeError(f"benchmark sign-in answered {answer.status_code}")


def measure_costs(stack: Stack, n: int) -> dict[str, dict[str, float]]:
    """Median and mean CPU ms and median wall ms of each request type over ``n`` requests."""
    from citizenvoice import create_app
    from citizenvoice.extensions import db
    from config import ProductionConfig

    assert stack.db_url and stack.redis_url  # only for a stack this benchmark started
    app = create_app(ProductionConfig(production_env(stack.db_url, stack.redis_url)))
    codes = itertools.cycle(stack.codes)
    bodies = itertools.cycle(stack.bodies)
    client = app.test_client()
    staff = app.test_client()
    for each in (client, staff):
        # https, as behind the proxy: production cookies are Secure.
        each.environ_base["wsgi.url_scheme"] = "https"
    requests: dict[str, Callable[[], Any]] = {
        "POST /api/v1/feedback": lambda: client.post(
            "/api/v1/feedback", data=next(bodies), content_type="application/json"
        ),
        "GET /api/v1/feedback/[code]": lambda: client.get(f"/api/v1/feedback/{next(codes)}"),
        "GET /track/[code]": lambda: client.get(f"/track/{next(codes)}"),
        "GET /": lambda: client.get("/"),
        "GET /submit/complaint": lambda: client.get("/submit/complaint"),
        f"GET {stack.health_path} (probe)": lambda: client.get(stack.health_path),
    }
    if stack.staff:
        _sign_in(staff, *stack.staff[0])
        requests["GET /workspace/"] = lambda: staff.get("/workspace/")
    out = {}
    # No app context around the loop: each request must get (and tear down) its own, as
    # under gunicorn, or the database session and its identity map would carry over.
    for name, call in requests.items():
        for _ in range(3):  # first calls: template compilation, lazy imports
            call()
        cpu, wall = [], []
        for _ in range(n):
            c0, w0 = time.process_time(), time.perf_counter()
            status = call().status_code
            cpu.append(1000 * (time.process_time() - c0))
            wall.append(1000 * (time.perf_counter() - w0))
            if status >= 400:
                raise RuntimeError(f"{name} answered {status} in the cost measurement")
        out[name] = {
            "cpu_ms_median": round(statistics.median(cpu), 2),
            "cpu_ms_mean": round(statistics.fmean(cpu), 2),
            "wall_ms_median": round(statistics.median(wall), 2),
        }
    with app.app_context():
        db.engine.dispose()
    return out
