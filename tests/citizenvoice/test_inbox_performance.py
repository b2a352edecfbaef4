"""The inbox at 100,000 cases on PostgreSQL: the plans read submission and analysis by index.

The rows are made in SQL (generate_series), about 20 departments over a year, then VACUUM
ANALYZE (what autovacuum does in production), then the statements the inbox sends are captured
and EXPLAINed with their bound parameters. The timings are printed (``pytest -s`` shows them);
the full benchmark with real texts is benchmarks/bench_inbox.py.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from citizenvoice.extensions import db
from citizenvoice.models import User
from citizenvoice.services.cases import (
    InboxFilters,
    inbox,
    overdue_condition,
    running_due,
    visible_cases,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

N = 100_000
BIG_TABLES = {"submission", "analysis"}
INDEX_NODES = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
# Two-character words jieba keeps whole; a case's tokens are three of them.
WORDS = [
    "噪音",
    "路灯",
    "小区",
    "停车",
    "垃圾",
    "物业",
    "学校",
    "医院",
    "公交",
    "工资",
    "拆迁",
    "补偿",
    "油烟",
    "施工",
    "积水",
    "绿化",
    "电梯",
    "供暖",
    "燃气",
    "社保",
    "户口",
    "幼儿园",
    "菜市场",
    "广场舞",
    "渣土车",
    "排水",
    "占道",
    "违建",
    "扰民",
    "投诉",
    "消防",
    "通道",
    "围墙",
    "道路",
    "井盖",
    "污水",
    "养老",
    "医保",
    "教师",
    "食堂",
]
KEYWORDS = f"{WORDS[1]} {WORDS[5]}"  # 路灯 物业: together in about 1 case in 1,600

LOAD_SQL = """
WITH s AS (
    SELECT i,
           now() - ((i * 37) % 365) * interval '1 day' - ((i * 7919) % 86400) * interval '1 second'
               AS created,
           CASE WHEN i % 50 = 0 THEN 'received'
                WHEN i % 50 < 3 THEN 'in_progress'
                WHEN i % 50 < 5 THEN 'signed'
                WHEN i % 50 < 12 THEN 'replied'
                ELSE 'closed' END AS status
    FROM generate_series(1, :n) AS i
)
INSERT INTO submission (
    id, tracking_code, kind, department_id, title, text, location, anonymous, status, channel,
    created_at, analysis_status, routing, urgent, is_complex, assigned_at, sign_due_at,
    signed_at, reply_started_at, reply_due_at, extensions_used, supervise_count, reopen_count,
    redo_requested
)
SELECT i, 'P' || lpad(i::text, 9, '0'), 'complaint', 1 + (i * 7) % 20, '诉求 ' || i,
       '小区门口的路灯坏了很久，请尽快维修。' || i, '', false, status, 'web', created, 'done',
       'resident', false, false, created, created + interval '1 day',
       CASE WHEN status <> 'received' THEN created + interval '2 hours' END,
       CASE WHEN status <> 'received' THEN created + interval '2 hours' END,
       CASE WHEN status <> 'received' THEN created + interval '15 days' END,
       0, 0, 0, false
FROM s
"""

ANALYSIS_SQL = """
INSERT INTO analysis (
    id, submission_id, model_version, category, category_confidence, category_top3,
    category_uncertain, sentiment, sentiment_label, keywords, urgent, urgency_reasons,
    redacted_text, duplicate_group, search_tokens, timings_ms, runs, analysed_at
)
SELECT i, i, 'perf',
       (ARRAY['城乡建设','环境保护','交通运输','教育文体','劳动和社会保障','商贸旅游','卫生计生'])
           [1 + (i / 3) % 7],
       0.9, '[]', false, 0.3, (ARRAY['negative','neutral','positive'])[1 + (i / 11) % 3], '[]',
       i % 20 = 0, '[]', '小区门口的路灯坏了很久。', 'g' || (i - i % 4),
       ' ' || w[1 + i % 40] || ' ' || w[1 + (i / 40) % 40] || ' ' || w[1 + (i / 1600) % 40] || ' ',
       '{}', 1, now()
FROM generate_series(1, :n) AS i, (SELECT string_to_array(:words, ' ') AS w) AS vocabulary
"""


def _plan_nodes(
    plan: dict[str, Any], relation: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    relation = plan.get("Relation Name", relation)
    yield plan, relation
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child, relation)


def _explain(statement: str, parameters: Any) -> dict[str, Any]:
    rows = db.session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
    plan: dict[str, Any] = rows.scalar_one()[0]["Plan"]
    return plan


def _captured(call: Callable[[], Any]) -> list[tuple[str, Any]]:
    statements: list[tuple[str, Any]] = []

    def _before(*args: Any) -> None:
        statement, parameters = args[2], args[3]
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", _before)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", _before)
    return [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]


def _check_plans(name: str, call: Callable[[], Any]) -> dict[str, Any]:
    """EXPLAIN every SELECT the call sends; fail on a Seq Scan of submission or analysis."""
    indexes: set[str] = set()
    statements = _captured(call)
    assert statements, name
    for statement, parameters in statements:
        plan = _explain(statement, parameters)
        nodes = list(_plan_nodes(plan))
        seq = [n["Relation Name"] for n, _ in nodes if n["Node Type"] == "Seq Scan"]
        assert not BIG_TABLES & set(seq), f"{name}: Seq Scan on {seq}\n{statement}\n{plan}"
        indexes |= {f"{r}.{n['Index Name']}" for n, r in nodes if n["Node Type"] in INDEX_NODES}
    assert {i.split(".")[0] for i in indexes} & BIG_TABLES, f"{name}: no index used: {indexes}"
    times = []
    for _ in range(5):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 2), "indexes": sorted(indexes)}


def _load(n: int) -> float:
    started = time.perf_counter()
    db.session.execute(
        text(
            'INSERT INTO department (id, code, name, "group", active, created_at) '
            "SELECT d, 'perf' || d, '测试部门' || d, '公共服务', true, now() "
            "FROM generate_series(1, 20) AS d"
        )
    )
    db.session.execute(text(LOAD_SQL), {"n": n})
    db.session.execute(text(ANALYSIS_SQL), {"n": n, "words": " ".join(WORDS)})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE department, submission, analysis")
    return time.perf_counter() - started


def _clean_up() -> None:
    db.session.rollback()
    db.session.execute(text("TRUNCATE analysis, submission, department RESTART IDENTITY CASCADE"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE department, submission, analysis")


def test_inbox_plans_use_indexes_at_100000_cases(app: Flask) -> None:
    with app.app_context():
        try:
            load_s = _load(N)
            assert db.session.scalar(text("SELECT count(*) FROM submission")) == N
            user = User(username="perf-staff", role="department_staff")
            user.department_id = 1
            office = User(username="perf-office", role="office")

            def first_page(who: User) -> Callable[[], Any]:
                return lambda: inbox(who, InboxFilters())

            def overdue_by_due(who: User) -> Callable[[], Any]:
                return lambda: list(
                    db.session.scalars(
                        visible_cases(who)
                        .where(overdue_condition(datetime.now(UTC)))
                        .order_by(running_due().asc())
                        .limit(20)
                    )
                )

            def keyword(who: User) -> Callable[[], Any]:
                return lambda: inbox(who, InboxFilters(q=KEYWORDS))

            page = inbox(user, InboxFilters(q=KEYWORDS))
            assert page.tokens == KEYWORDS.split(), page.tokens
            assert 0 < page.total < 100, page.total
            assert inbox(user, InboxFilters()).total == N // 20
            assert len(overdue_by_due(user)()) == 20

            results: dict[str, Any] = {"load_s": round(load_s, 2)}
            for name, make in (
                ("first_page", first_page),
                ("overdue_by_due", overdue_by_due),
                ("overdue_filter", lambda who: lambda: inbox(who, InboxFilters(overdue=True))),
                ("keyword_2_words", keyword),
            ):
                for who_name, who in (("department", user), ("office", office)):
                    results[f"{who_name}:{name}"] = _check_plans(f"{who_name}:{name}", make(who))
            print("\ninbox at", N, "cases:")
            for key, value in results.items():
                print(f"  {key}: {value}")
        finally:
            _clean_up()
        assert db.session.scalar(text("SELECT count(*) FROM submission")) == 0
