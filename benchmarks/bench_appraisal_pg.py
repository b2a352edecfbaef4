"""Benchmark: a full appraisal period on PostgreSQL: 100 departments, 1M follow-ups with ratings.

Loads the rows with server-side generate_series (realistic shapes: three department groups,
satisfaction mostly positive, the follow-ups' 1-5 ratings skewed to 4-5 stars, analysis rows with
sentiment and duplicate groups, replies with quality scores, deadlines met or not, plus 1M open
评价 submissions that must not be scored), then times:

- ``plain_group_by_s``: the bare GROUP BY over follow-ups and ratings (the floor: what any
  query that reads the rows must spend);
- ``gather_counts_s``: the service's GROUP BY queries for every indicator;
- ``compute_s``: the domain scoring from the counts; ``store_and_hash_s``: canonical JSON + hash;
- ``verify_s``: recomputing from the raw rows and comparing with the stored result.

Usage: python -m benchmarks.bench_appraisal_pg [--follow-ups 1000000] [--ratings 1000000]
Prints one JSON object. Recreates the database ``citizenvoice_appraisal_bench`` (``--database``).
"""

from __future__ import annotations

import argparse
import json
import time

from flask_migrate import upgrade
from sqlalchemy import text

from benchmarks._common import bench_app, recreate_database
from citizenvoice.extensions import db
from citizenvoice.services.appraisal import (
    PRESETS,
    compute,
    ensure_periods,
    gather_counts,
    settings_json,
    verify,
)

DB_NAME = "citizenvoice_appraisal_bench"
GROUPS = ("综合管理", "执法监管", "公共服务")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--follow-ups", type=int, default=1_000_000)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--database", default=DB_NAME, help="scratch database name")
    args = parser.parse_args()
    app = bench_app(recreate_database(args.database))
    results: dict[str, object] = {
        "departments": args.departments,
        "follow_ups": args.follow_ups,
        "ratings": args.ratings,
    }
    with app.app_context():
        upgrade()
        period = next(p for p in ensure_periods() if p.kind == "month")
        period.settings = settings_json(PRESETS["hangzhou"][1], "hangzhou")
        db.session.commit()
        start = time.perf_counter()
        for i in range(args.departments):
            db.session.execute(
                text(
                    'INSERT INTO department (code, name, "group", active, created_at) VALUES (:c, :n, :g, true, now())'
                ),
                {"c": f"d{i:03d}", "n": f"部门{i:03d}", "g": GROUPS[i % 3]},
            )
        n_dept = args.departments
        # Complaints with follow-ups, then ratings; created now (inside the current month).
        db.session.execute(
            text(
                """
                INSERT INTO submission (tracking_code, kind, department_id, title, text, location, anonymous,
                    status, channel, created_at, analysis_status, routing, urgent, is_complex,
                    extensions_used, supervise_count, reopen_count, redo_requested)
                SELECT 'f' || g, 'complaint', 1 + (g % :d), '', '关于路灯维修的诉求', '', false,
                    'closed', 'api', now() - (g % 20) * interval '1 minute', 'done', 'resident', false, false, 0, 0, 0, false
                FROM generate_series(1, :n) AS g
                """
            ),
            {"d": n_dept, "n": args.follow_ups},
        )
        db.session.execute(
            text(
                """
                INSERT INTO follow_up (submission_id, department_id, contacted, resolved, satisfaction, comment,
                    wants_redo, no_response, created_at, rating)
                SELECT s.id, s.department_id, (s.id::bigint * 7919 % 10) <> 0, (s.id::bigint * 104729 % 4) <> 0,
                    CASE WHEN s.id::bigint * 31 % 10 < 7 THEN 'satisfied' WHEN s.id::bigint * 31 % 10 < 9 THEN 'basic' ELSE 'dissatisfied' END,
                    '', false, false, now() - (s.id % 20) * interval '1 minute', 5 - (s.id::bigint * 13 % 7)::int / 3
                FROM submission s WHERE s.kind = 'complaint'
                """
            )
        )
        db.session.execute(
            text(
                """
                INSERT INTO analysis (submission_id, model_version, category, category_top3, category_uncertain,
                    sentiment, sentiment_label, keywords, urgent, urgency_reasons, redacted_text, duplicate_group,
                    timings_ms, runs, analysed_at, search_tokens)
                SELECT s.id, 'bench', '城乡建设', '[]', false, ((s.id * 37) % 100) / 100.0, 'neutral', '[]', false,
                    '[]', '', 'g' || (s.id % 200000), '{}', 1, now(), ''
                FROM submission s WHERE s.kind = 'complaint'
                """
            )
        )
        db.session.execute(
            text(
                """
                INSERT INTO case_reply (submission_id, department_id, body, quality_score, quality, created_at)
                SELECT s.id, s.department_id, '经调查核实，已处理。', ((s.id * 13) % 100) / 100.0, '{}', now()
                FROM submission s WHERE s.kind = 'complaint'
                """
            )
        )
        db.session.execute(
            text(
                "UPDATE submission SET reply_due_at = now() + interval '1 day', "
                "replied_at = now() - (id % 3) * interval '1 hour' WHERE kind = 'complaint'"
            )
        )
        db.session.execute(
            text(
                """
                INSERT INTO submission (tracking_code, kind, department_id, title, text, rating, location, anonymous,
                    status, channel, created_at, analysis_status, routing, urgent, is_complex,
                    extensions_used, supervise_count, reopen_count, redo_requested)
                SELECT 'r' || g, 'rating', 1 + (g % :d), '', '服务评价', 5 - (g % 7) / 3, '', false,
                    'received', 'api', now() - (g % 20) * interval '1 minute', 'done', 'resident', false, false, 0, 0, 0, false
                FROM generate_series(1, :n) AS g
                """
            ),
            {"d": n_dept, "n": args.ratings},
        )
        # The other dimensions of the Hangzhou index, as the office would import them.
        db.session.execute(
            text(
                "INSERT INTO dimension_score (period_id, department_id, dimension, score, source_sha256, imported_at) "
                "SELECT :p, d.id, dim, 60 + (d.id * 37 % 40), 'bench', now() FROM department d, "
                "unnest(ARRAY['goals', 'leadership']) AS dim"
            ),
            {"p": period.id},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        results["load_s"] = round(time.perf_counter() - start, 1)

        t0 = time.perf_counter()
        db.session.execute(
            text(
                "SELECT department_id, count(*), sum(CASE WHEN contacted THEN 1 ELSE 0 END), "
                "sum(CASE WHEN resolved THEN 1 ELSE 0 END), sum(CASE WHEN satisfaction = 'satisfied' THEN 1 ELSE 0 END) "
                "FROM follow_up GROUP BY department_id"
            )
        ).all()
        db.session.execute(
            text(
                "SELECT department_id, count(rating), sum(rating), sum(rating * rating) FROM submission "
                "WHERE kind = 'rating' GROUP BY department_id"
            )
        ).all()
        results["plain_group_by_s"] = round(time.perf_counter() - t0, 2)

        t0 = time.perf_counter()
        counts = gather_counts(period)
        results["gather_counts_s"] = round(time.perf_counter() - t0, 2)
        results["departments_with_counts"] = len(counts)

        t0 = time.perf_counter()
        result = compute(period, "bench")
        db.session.commit()
        results["compute_total_s"] = round(time.perf_counter() - t0, 2)
        results["ranked"] = sum(1 for t in result.totals if t.rank is not None)
        results["result_json_bytes"] = len(period.result_json or "")

        t0 = time.perf_counter()
        differences = verify(period)
        results["verify_s"] = round(time.perf_counter() - t0, 2)
        results["verify_differences"] = len(differences)
        if differences:
            results["first_differences"] = differences[:3]
        db.engine.dispose()
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
