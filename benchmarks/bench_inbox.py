"""Benchmark the staff inbox on PostgreSQL with 100,000 cases: timings and query plans.

Prints one JSON object. Run (PostgreSQL must be reachable; the database named below is dropped
and recreated)::

    python -m benchmarks.bench_inbox [--n 100000] [--runs 7] [--reuse] [--database NAME]

What it does:

1. drops and creates the database ``citizenvoice_inbox_bench`` (``--database``) on the server of
   ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/...``) and migrates it with
   the app's Alembic migrations (``flask_migrate.upgrade`` inside ``create_app``);
2. bulk-loads ``--n`` cases with COPY: 20 departments (the 19 demo departments and one more),
   created over the last 12 months, each text a real message of ``nlp.datasets.load_messages()``
   (reused cyclically) routed to a department that handles its category, states and due times
   that follow the case's age (old cases mostly closed, a few stuck and overdue), and one
   analysis row a case (category = the message's label, sentiment label, urgent flag,
   duplicate group, ``search_tokens`` from ``Segmenter().content_tokens`` of title and text,
   as the analysis service stores them); then ``ANALYZE``;
3. runs the inbox as the app does (``services.cases.inbox`` / the dashboard's overdue list /
   the CSV export) for the busiest department's user and for the office. Every SQL statement
   the call sends is captured; each is then timed on its own (median of ``--runs``) and
   EXPLAINed (``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)``, the same bound parameters).

Per query the JSON gives the median of the whole service call (``median_ms``, ORM included),
and per statement (``count``, ``page``, ``load`` for the selectin loads) its median, the index
scans of its plan and any sequential scan of ``submission`` or ``analysis``. ``uses_index`` is
true when the count and page statements read both big tables through indexes only.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import event, func, select

from benchmarks._common import bench_app, bench_database_url, recreate_database
from citizenvoice.domain.cases import ClosureKind
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission, User
from citizenvoice.seed_data import DEMO_DEPARTMENTS
from citizenvoice.services.cases import (
    InboxFilters,
    inbox,
    overdue_condition,
    running_due,
    visible_cases,
)
from citizenvoice.services.export import cases_to_csv

BENCH_DATABASE = "citizenvoice_inbox_bench"
BIG_TABLES = frozenset({"submission", "analysis"})
INDEX_NODES = frozenset({"Index Scan", "Index Only Scan", "Bitmap Index Scan"})
EXTRA_DEPARTMENTS = [{"code": "gxj", "name": "市工业和信息化局", "group": "公共服务"}]
SENTIMENTS = (("negative", 0.55), ("neutral", 0.33), ("positive", 0.12))
KEYWORD_QUERY = "路灯 维修"
EXPORT_LIMIT = 10_000


# --- data ------------------------------------------------------------------------------------


def _copy_value(value: Any) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "")


def _copy(
    conn: psycopg.Connection[Any], table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row))
        buffer.write("\n")
    quoted = ", ".join(f'"{c}"' for c in columns)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def _state(age_days: float, rng: random.Random) -> str:
    """A case's status given its age: new ones waiting, old ones mostly closed."""
    table: tuple[tuple[str, float], ...]
    if age_days < 1:
        table = (("received", 0.7), ("signed", 0.3))
    elif age_days < 15:
        table = (
            ("received", 0.04),
            ("signed", 0.12),
            ("in_progress", 0.45),
            ("replied", 0.27),
            ("closed", 0.12),
        )
    elif age_days < 60:
        table = (("in_progress", 0.08), ("replied", 0.3), ("followed_up", 0.2), ("closed", 0.42))
    else:
        table = (
            ("received", 0.002),
            ("in_progress", 0.01),
            ("replied", 0.03),
            ("followed_up", 0.14),
            ("closed", 0.798),
            ("returned", 0.02),
        )
    return rng.choices([s for s, _ in table], [w for _, w in table])[0]


def load_cases(url: str, n: int, seed: int = 7) -> dict[str, Any]:
    """COPY ``n`` cases and their analysis rows into the migrated bench database."""
    from nlp import Segmenter, load_messages

    started = time.perf_counter()
    rng = random.Random(seed)
    messages = load_messages()
    segmenter = Segmenter()
    tokens = [segmenter.content_tokens(f"{m.title}\n{m.text}") for m in messages]
    segment_s = time.perf_counter() - started

    departments = [
        {"code": d["code"], "name": d["name"], "group": d["group"], "categories": d["categories"]}
        for d in DEMO_DEPARTMENTS
    ] + [dict(d, categories=[]) for d in EXTRA_DEPARTMENTS]
    by_category: dict[str, list[int]] = {}
    for number, department in enumerate(departments, start=1):
        for category in department["categories"]:
            by_category.setdefault(category, []).append(number)
    general = [i for i, d in enumerate(departments, start=1) if not d["categories"]]

    now = datetime.now(UTC)
    submissions: list[tuple[Any, ...]] = []
    analyses: list[tuple[Any, ...]] = []
    first_of_text: dict[int, int] = {}
    per_department: dict[int, int] = {}
    for case_id in range(1, n + 1):
        index = (case_id * 7919) % len(messages)  # every text, in a scattered order
        message = messages[index]
        created = now - timedelta(days=365 * rng.random() ** 1.15, seconds=rng.random() * 3600)
        age = (now - created).total_seconds() / 86400
        status = _state(age, rng)
        if status == "received" and rng.random() < 0.15:
            department_id = None  # waiting for the office to route it
        elif rng.random() < 0.03 and general:
            department_id = rng.choice(general)
        else:
            department_id = rng.choice(by_category.get(message.label) or general)
        if department_id is not None:
            per_department[department_id] = per_department.get(department_id, 0) + 1
        urgent = rng.random() < 0.05
        kind = rng.choices(["complaint", "suggestion", "rating"], [0.7, 0.2, 0.1])[0]
        assigned = created + timedelta(minutes=rng.uniform(5, 240)) if department_id else None
        sign_due = assigned + timedelta(days=1) if assigned else None
        signed = reply_started = reply_due = replied = closed = None
        if status not in {"received", "returned"} and assigned:
            signed = assigned + timedelta(hours=rng.uniform(0.2, 30))
            reply_started = signed
            reply_due = signed + timedelta(days=3 if urgent else 15)
        if status in {"replied", "followed_up", "closed"} and signed:
            replied = signed + timedelta(days=rng.uniform(0.5, 16))
        if status == "closed" and replied:
            closed = replied + timedelta(days=rng.uniform(1, 7))
        submissions.append(
            (
                case_id,
                f"B{case_id:09d}",
                kind,
                department_id,
                message.title[:100],
                message.text,
                rng.randint(1, 5) if kind == "rating" else None,
                "",
                f"138****{rng.randint(0, 9999):04d}",
                False,
                status,
                rng.choice(["web", "web", "api"]),
                created,
                "done",
                "resident" if department_id else "office",
                urgent,
                False,
                assigned,
                sign_due,
                signed,
                reply_started,
                reply_due,
                replied,
                closed,
                ClosureKind.FOLLOWED_UP.value if closed else None,
                0,
                0,
                0,
                False,
            )
        )
        founder = first_of_text.setdefault(index, case_id)
        group = f"g{founder}" if rng.random() < 0.1 else f"g{case_id}"
        r = rng.random()
        sentiment_label, acc = SENTIMENTS[-1][0], 0.0
        for label, weight in SENTIMENTS:
            acc += weight
            if r < acc:
                sentiment_label = label
                break
        words = tokens[index]
        keywords = list(dict.fromkeys(words))[:8]
        analyses.append(
            (
                case_id,
                case_id,
                "bench",
                message.label,
                round(rng.uniform(0.4, 0.99), 3),
                json.dumps([[message.label, 0.8]], ensure_ascii=False),
                False,
                {"negative": 0.2, "neutral": 0.5, "positive": 0.8}[sentiment_label],
                sentiment_label,
                json.dumps(keywords, ensure_ascii=False),
                urgent,
                json.dumps(["人身安全"] if urgent else [], ensure_ascii=False),
                message.text,
                group,
                f" {' '.join(words)} " if words else "",
                "{}",
                1,
                created + timedelta(seconds=5),
            )
        )
    build_s = time.perf_counter() - started - segment_s

    copy_started = time.perf_counter()
    with psycopg.connect(url) as conn:
        _copy(
            conn,
            "department",
            ["id", "code", "name", "group", "active", "created_at"],
            [
                (i, d["code"], d["name"], d["group"], True, now - timedelta(days=400))
                for i, d in enumerate(departments, start=1)
            ],
        )
        _copy(
            conn,
            "submission",
            [
                "id",
                "tracking_code",
                "kind",
                "department_id",
                "title",
                "text",
                "rating",
                "location",
                "contact_phone_masked",
                "anonymous",
                "status",
                "channel",
                "created_at",
                "analysis_status",
                "routing",
                "urgent",
                "is_complex",
                "assigned_at",
                "sign_due_at",
                "signed_at",
                "reply_started_at",
                "reply_due_at",
                "replied_at",
                "closed_at",
                "closure",
                "extensions_used",
                "supervise_count",
                "reopen_count",
                "redo_requested",
            ],
            submissions,
        )
        _copy(
            conn,
            "analysis",
            [
                "id",
                "submission_id",
                "model_version",
                "category",
                "category_confidence",
                "category_top3",
                "category_uncertain",
                "sentiment",
                "sentiment_label",
                "keywords",
                "urgent",
                "urgency_reasons",
                "redacted_text",
                "duplicate_group",
                "search_tokens",
                "timings_ms",
                "runs",
                "analysed_at",
            ],
            analyses,
        )
        for table in ("department", "submission", "analysis"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.commit()
    copy_s = time.perf_counter() - copy_started
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE department, submission, analysis")
    busiest = max(per_department, key=lambda k: per_department[k])
    return {
        "rows_loaded": {"submission": n, "analysis": n, "department": len(departments)},
        "texts": len(messages),
        "load_s": round(time.perf_counter() - started, 2),
        "load_breakdown_s": {
            "segment_texts": round(segment_s, 2),
            "build_rows": round(build_s, 2),
            "copy": round(copy_s, 2),
            "vacuum_analyze": round(
                time.perf_counter() - started - segment_s - build_s - copy_s, 2
            ),
        },
        "busiest_department_id": busiest,
        "busiest_department_cases": per_department[busiest],
    }


# --- measuring -------------------------------------------------------------------------------


@contextmanager
def captured_statements() -> Iterator[list[tuple[str, Any]]]:
    """Record every (statement, parameters) the app's engine sends inside the block."""
    statements: list[tuple[str, Any]] = []

    def _before(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _before)


def plan_nodes(
    plan: dict[str, Any], relation: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan tree, with the table it reads.

    A Bitmap Index Scan names no table: it gets the one of the Bitmap Heap Scan above it.
    """
    relation = plan.get("Relation Name", relation)
    yield plan, relation
    for child in plan.get("Plans", []):
        yield from plan_nodes(child, relation)


def scans(plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(index scans as 'table.index', sequentially scanned big tables) of a plan."""
    indexes, seq = [], []
    for node, relation in plan_nodes(plan):
        kind = node.get("Node Type")
        if kind in INDEX_NODES:
            indexes.append(f"{relation or '?'}.{node['Index Name']}")
        elif kind == "Seq Scan" and node.get("Relation Name") in BIG_TABLES:
            seq.append(node["Relation Name"])
    return sorted(set(indexes)), sorted(set(seq))


def _relation_names(plan: dict[str, Any]) -> set[str]:
    return {n["Relation Name"] for n, _ in plan_nodes(plan) if "Relation Name" in n}


def _role(statement: str, position: int) -> str:
    head = " ".join(statement.split()).lower()
    if head.startswith("select count(*)"):
        return "count"
    if position <= 1:
        return "page"
    match = re.search(r"\bfrom (\w+)", head)
    return f"load_{match.group(1) if match else '?'}"


def measure_statement(statement: str, parameters: Any, runs: int) -> dict[str, Any]:
    """Median time of the statement alone, and its plan's scans."""
    conn = db.session.connection()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.exec_driver_sql(statement, parameters).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    explained = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
    ).scalar_one()
    root = explained[0]
    indexes, seq = scans(root["Plan"])
    return {
        "median_ms": round(statistics.median(times), 2),
        "execution_ms": round(root["Execution Time"], 2),
        "rows": root["Plan"].get("Actual Rows"),
        "indexes": indexes,
        "seq_scans": seq,
        "tables": sorted(_relation_names(root["Plan"]) & BIG_TABLES),
        "top_node": root["Plan"]["Node Type"],
    }


def measure(name: str, who: str, call: Callable[[], Any], runs: int) -> dict[str, Any]:
    """Time ``call`` (median of ``runs``), then time and EXPLAIN each statement it sent."""
    call()  # warm the caches and the segmenter
    db.session.rollback()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    with captured_statements() as statements:
        result = call()
    db.session.rollback()
    measured: list[dict[str, Any]] = []
    for position, (statement, parameters) in enumerate(statements):
        if not statement.lstrip().lower().startswith("select"):
            continue
        role = _role(statement, position)
        if role.startswith("load") and any(m["role"] == role for m in measured):
            continue  # the first selectin load of a table stands for the others
        measured.append({"role": role, **measure_statement(statement, parameters, runs)})
        db.session.rollback()
    main = [m for m in measured if m["role"] in {"count", "page"}]
    uses_index = all(m["indexes"] and not m["seq_scans"] for m in main)
    return {
        "query": name,
        "user": who,
        "median_ms": round(statistics.median(times), 2),
        "uses_index": uses_index,
        "indexes": sorted({i for m in main for i in m["indexes"]}),
        "seq_scans": sorted({s for m in main for s in m["seq_scans"]}),
        "result": result,
        "statements": measured,
    }


def _inbox_call(user: User, filters: InboxFilters, limit: int | None = None) -> Callable[[], Any]:
    def _call() -> dict[str, int]:
        page = inbox(user, filters, limit) if limit else inbox(user, filters)
        return {"total": page.total, "items": len(page.items), "pages": page.pages}

    return _call


def _overdue_by_due(user: User) -> Callable[[], Any]:
    """The dashboard's overdue list: visible, overdue now, earliest deadline first."""

    def _call() -> dict[str, int]:
        rows = list(
            db.session.scalars(
                visible_cases(user)
                .where(overdue_condition(datetime.now(UTC)))
                .order_by(running_due().asc())
                .limit(20)
            )
        )
        return {"items": len(rows)}

    return _call


def _export_csv(user: User, filters: InboxFilters) -> Callable[[], Any]:
    def _call() -> dict[str, int]:
        page = inbox(user, filters, EXPORT_LIMIT)
        body = cases_to_csv(page.items)
        return {"total": page.total, "items": len(page.items), "csv_bytes": len(body)}

    return _call


def run_queries(department_id: int, runs: int) -> list[dict[str, Any]]:
    """Every inbox query of the brief, for the busiest department's user and the office."""
    department_user = User(username="bench-dept", role="department_staff")
    department_user.department_id = department_id
    office = User(username="bench-office", role="office")
    today = datetime.now(UTC).date()
    month = (today - timedelta(days=60), today - timedelta(days=31))
    top_category = db.session.scalar(
        select(Analysis.category)
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(Submission.department_id == department_id)
        .group_by(Analysis.category)
        .order_by(func.count().desc())
        .limit(1)
    )
    db.session.rollback()
    plans: list[tuple[str, User, Callable[[], Any], int]] = []
    for user in (department_user, office):
        plans += [
            ("first_page_newest", user, _inbox_call(user, InboxFilters()), runs),
            ("page_20_newest", user, _inbox_call(user, InboxFilters(page=20)), runs),
            (
                "status_in_progress",
                user,
                _inbox_call(user, InboxFilters(status="in_progress")),
                runs,
            ),
            ("category", user, _inbox_call(user, InboxFilters(category=top_category)), runs),
            (
                "sentiment_negative",
                user,
                _inbox_call(user, InboxFilters(sentiment="negative")),
                runs,
            ),
            ("urgent", user, _inbox_call(user, InboxFilters(urgent=True)), runs),
            (
                "status_category_sentiment_urgent",
                user,
                _inbox_call(
                    user,
                    InboxFilters(
                        status="closed", category=top_category, sentiment="negative", urgent=True
                    ),
                ),
                runs,
            ),
            ("overdue_filter", user, _inbox_call(user, InboxFilters(overdue=True)), runs),
            ("overdue_by_due", user, _overdue_by_due(user), runs),
            (
                "date_range_month",
                user,
                _inbox_call(user, InboxFilters(date_from=month[0], date_to=month[1])),
                runs,
            ),
            ("keyword_2_words", user, _inbox_call(user, InboxFilters(q=KEYWORD_QUERY)), runs),
            (
                "export_csv_10000",
                user,
                _export_csv(user, InboxFilters(per_page=EXPORT_LIMIT)),
                max(3, runs // 2),
            ),
        ]
    results = []
    for name, user, call, n_runs in plans:
        who = "office" if user is office else "department"
        results.append(measure(name, who, call, n_runs))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases to load")
    parser.add_argument("--runs", type=int, default=7, help="timed runs a query (median)")
    parser.add_argument("--reuse", action="store_true", help="skip create/migrate/load")
    parser.add_argument("--database", default=BENCH_DATABASE, help="scratch database name")
    args = parser.parse_args(argv)

    url = bench_database_url(args.database)
    out: dict[str, Any] = {"database": args.database, "n": args.n, "runs": args.runs}
    if not args.reuse:
        started = time.perf_counter()
        recreate_database(args.database)
        app = bench_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()
        out["migrate_s"] = round(time.perf_counter() - started, 2)
        out.update(load_cases(url, args.n))
    app = bench_app(url)
    with app.app_context():
        if args.reuse:
            out["busiest_department_id"] = db.session.scalar(
                select(Submission.department_id)
                .where(Submission.department_id.is_not(None))
                .group_by(Submission.department_id)
                .order_by(func.count().desc())
                .limit(1)
            )
        out["keyword_query"] = KEYWORD_QUERY
        out["queries"] = run_queries(out["busiest_department_id"], args.runs)
        out["server"] = str(db.session.scalar(select(func.version()))).split(" on ")[0]
        db.engine.dispose()
    out["all_use_index"] = all(q["uses_index"] for q in out["queries"])
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return out


if __name__ == "__main__":
    main()
