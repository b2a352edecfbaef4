"""Benchmark Open311 ``GET /open311/v2/requests.json`` on PostgreSQL with 100,000 cases.

Prints one JSON object. Run (PostgreSQL must be reachable; the database named below is dropped
and recreated)::

    python -m benchmarks.bench_open311 [--n 100000] [--runs 30] [--database NAME] [--reuse]

What it does:

1. drops and creates ``citizenvoice_open311_bench`` (``--database``) on the server of
   ``DATABASE_URL`` and migrates it with the app's Alembic migrations;
2. bulk-loads ``--n`` cases with COPY: the demo departments, created over the last 12 months,
   60% public-consented, statuses that follow the case's age (old ones mostly closed), texts
   built from a few complaint templates with phone numbers and house numbers in them (so the
   public redaction has work to do), a public number each, one or three timeline events;
   then ``ANALYZE``;
3. serves the app on a live threaded HTTP server (werkzeug) and times, over real HTTP, the
   common queries of an Open311 client: the default listing (last 90 days, up to 1,000 rows),
   ``status=open``, one ``service_code``, a 30-day window, ``page_size=100`` page 3, and 20
   ids. Per query: p50, p95 and max of ``--runs`` requests (after one warm-up), rows, bytes,
   and whether the listing SQL's plan reads ``submission`` through an index (EXPLAIN).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask_migrate import upgrade
from werkzeug.serving import make_server

from benchmarks._common import bench_app, bench_database_url, recreate_database
from citizenvoice.domain.localtime import LOCAL_ZONE

BENCH_DATABASE = "citizenvoice_open311_bench"
PUBLIC_SHARE = 0.6
TEMPLATES = [
    "{place}小区{n}栋楼下垃圾堆积多日无人清运，气味很大，联系电话138{d8}，请尽快处理。",
    "{place}路{n}号门口路灯坏了一个多月，晚上出行很不安全，我是业主王先生。",
    "{place}街道夜市占道经营到凌晨，噪音和油烟严重扰民，多次反映无果，电话0731-8{d7}。",
    "{place}小学附近道路破损严重，积水很深，学生上下学不安全，请交通部门尽快修复。",
    "{place}社区供水水压不足已经一周，高层住户基本没水，请水务部门处理。",
]
PLACES = ["幸福", "人民", "解放", "五一", "芙蓉", "湘江", "岳麓", "雨花", "天心", "开福"]


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row) + "\n")
    quoted = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _status(age_days: float, rng: random.Random) -> str:
    if age_days < 15:
        return rng.choices(["received", "signed", "in_progress", "replied"], [2, 2, 4, 2])[0]
    if age_days < 60:
        return rng.choices(["in_progress", "replied", "followed_up", "closed"], [1, 3, 2, 4])[0]
    return rng.choices(["replied", "followed_up", "closed"], [1, 2, 17])[0]


def load_cases(url: str, n: int, seed: int = 11) -> dict[str, Any]:
    """COPY ``n`` cases and their timeline events into the migrated bench database."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        department_ids = [
            row[0] for row in conn.execute("SELECT id FROM department ORDER BY id").fetchall()
        ]
        moments = sorted(now - timedelta(days=rng.uniform(0, 365)) for _ in range(n))
        cases: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        counters: dict[int, int] = {}
        for case_id, created in enumerate(moments, start=1):
            year = created.astimezone(LOCAL_ZONE).year
            counters[year] = counters.get(year, 0) + 1
            age = (now - created).total_seconds() / 86400
            status = _status(age, rng)
            text = rng.choice(TEMPLATES).format(
                place=rng.choice(PLACES),
                n=rng.randint(1, 40),
                d8=rng.randint(10**7, 10**8 - 1),
                d7=rng.randint(10**6, 10**7 - 1),
            )
            public = rng.random() < PUBLIC_SHARE
            department = rng.choice(department_ids) if rng.random() < 0.95 else None
            lat = round(28.1 + rng.random() * 0.2, 6) if public and rng.random() < 0.5 else None
            cases.append(
                (
                    case_id,
                    f"BENCH{case_id:010d}",
                    "complaint" if rng.random() < 0.9 else "suggestion",
                    department,
                    text,
                    "" if rng.random() < 0.5 else f"{rng.choice(PLACES)}路{rng.randint(1, 99)}号",
                    status,
                    created,
                    public,
                    lat,
                    round(112.8 + rng.random() * 0.2, 6) if lat is not None else None,
                    f"{year}-{counters[year]:06d}",
                    created + timedelta(days=1),
                    created + timedelta(days=10),
                    created + timedelta(days=rng.uniform(3, 20)) if status == "closed" else None,
                    "",
                    False,
                    "web",
                )
            )
            events.append((case_id, "received", "诉求已受理", True, created, "system"))
            if status != "received":
                signed = created + timedelta(hours=5)
                events.append((case_id, "signed", "", True, signed, "system"))
            if status in ("replied", "followed_up", "closed"):
                replied = created + timedelta(days=3)
                events.append((case_id, "replied", "已答复", True, replied, "system"))
        _copy(
            conn,
            "submission",
            [
                "id",
                "tracking_code",
                "kind",
                "department_id",
                "text",
                "location",
                "status",
                "created_at",
                "public_consent",
                "latitude",
                "longitude",
                "public_number",
                "sign_due_at",
                "reply_due_at",
                "closed_at",
                "title",
                "anonymous",
                "channel",
            ],
            cases,
        )
        _copy(
            conn,
            "status_event",
            ["submission_id", "status", "note", "public", "created_at", "actor"],
            events,
        )
        conn.execute(
            "INSERT INTO public_number_counter (year, last_value) SELECT * FROM unnest("
            "%s::int[], %s::int[])",
            (list(counters), list(counters.values())),
        )
        conn.execute("SELECT setval('submission_id_seq', %s)", (n,))
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE")
    return {"cases": n, "events": len(events), "load_s": round(time.perf_counter() - started, 1)}


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _explain(url: str) -> dict[str, Any]:
    """The plan of the default listing's SQL: does it read submission through an index?"""
    sql = (
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM submission WHERE public_consent = true "
        "AND created_at >= now() - interval '90 days' AND created_at < now() "
        "AND kind IN ('complaint', 'suggestion') ORDER BY created_at DESC, id DESC LIMIT 1000"
    )
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
        assert row is not None
        plan = row[0][0]
    nodes: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        nodes.append(f"{node['Node Type']}:{node.get('Index Name', node.get('Relation Name', ''))}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return {"nodes": nodes, "execution_ms": plan["Execution Time"]}


def main(argv: list[str] | None = None) -> None:
    """Load the cases, serve the app, time the queries, print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database", default=BENCH_DATABASE)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    args = parser.parse_args(argv)

    if args.reuse:
        url = bench_database_url(args.database)
        app = bench_app(url, CITIZENVOICE_OPEN311_READ_LIMIT="1000000/minute")
        loaded: dict[str, Any] = {"reused": args.database}
    else:
        url = recreate_database(args.database)
        app = bench_app(url, CITIZENVOICE_OPEN311_READ_LIMIT="1000000/minute")
        with app.app_context():
            upgrade()
            from citizenvoice.cli import seed_demo_data
            from citizenvoice.extensions import db

            seed_demo_data(0)
            db.session.commit()
            db.engine.dispose()
        loaded = load_cases(url, args.n)
    with psycopg.connect(url) as conn:
        first = conn.execute("SELECT code FROM department ORDER BY id LIMIT 1").fetchone()
        assert first is not None
        code = first[0]
        numbers = [
            row[0]
            for row in conn.execute(
                "SELECT public_number FROM submission ORDER BY random() LIMIT 20"
            ).fetchall()
        ]
    now = datetime.now(LOCAL_ZONE).replace(microsecond=0)
    window = (now - timedelta(days=60)).isoformat().replace("+", "%2B")
    window_end = (now - timedelta(days=30)).isoformat().replace("+", "%2B")
    queries = {
        "default (last 90 days, <=1000 rows)": "",
        "status=open": "?status=open",
        "service_code": f"?service_code={code}",
        "30-day window": f"?start_date={window}&end_date={window_end}",
        "page_size=100&page=3": "?page_size=100&page=3",
        "20 ids": "?service_request_id=" + ",".join(numbers),
    }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    results: dict[str, Any] = {}
    try:
        for name, query in queries.items():
            path = f"/open311/v2/requests.json{query}"
            status, body = _get(server.server_port, path)  # warm-up
            assert status == 200, body[:300]
            timings = []
            for _ in range(args.runs):
                began = time.perf_counter()
                status, body = _get(server.server_port, path)
                timings.append((time.perf_counter() - began) * 1000)
                assert status == 200
            timings.sort()
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
                "max_ms": round(timings[-1], 1),
                "rows": len(json.loads(body)),
                "bytes": len(body),
            }
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
    print(
        json.dumps(
            {"loaded": loaded, "runs": args.runs, "queries": results, "plan": _explain(url)},
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
