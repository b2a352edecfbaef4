"""Benchmark: a 社会评价 campaign on PostgreSQL, end to end.

- ``invite_s``: N invitation codes generated, hashed and stored (``issue_invitations``);
- ``answer_s``: R raters answering every one of D departments through ``POST
  /api/v1/surveys/<code>`` (the Flask test client, in process: app, validation, one transaction
  each; no network), with ``answers_per_s``;
- ``plain_group_by_s``: the bare ``GROUP BY group, department, rating`` over the answers (the
  floor); ``survey_counts_s``: the appraisal's survey counts; ``compute_s``: the whole period
  compute (counts, scoring, canonical JSON, hash, audit); the ratios of both to the floor
  (goal for the compute: <= 2x).

Usage: python -m benchmarks.bench_survey [--invitations 100000] [--raters 15000]
       [--departments 60] [--database NAME]
Prints one JSON object. Recreates the database ``citizenvoice_survey_bench``.
"""

from __future__ import annotations

import argparse
import json
import time

from flask_migrate import upgrade
from sqlalchemy import text

from benchmarks._common import bench_app, recreate_database
from citizenvoice.extensions import db
from citizenvoice.services.appraisal import compute, ensure_periods
from citizenvoice.services.appraisal.survey_counts import survey_counts
from citizenvoice.services.survey import create_campaign, issue_invitations

DB_NAME = "citizenvoice_survey_bench"
GROUPS = ("综合管理", "执法监管", "公共服务")
RATINGS = ("satisfied", "fairly", "basic", "dissatisfied", "unknown")


def _timed(results: dict[str, object], name: str, start: float) -> None:
    results[name] = round(time.perf_counter() - start, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--raters", type=int, default=15_000)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--database", default=DB_NAME, help="scratch database name")
    args = parser.parse_args()
    app = bench_app(recreate_database(args.database), CITIZENVOICE_SURVEY_LIMIT="1000000/minute")
    results: dict[str, object] = vars(args).copy()
    with app.app_context():
        upgrade()
        for i in range(args.departments):
            db.session.execute(
                text(
                    'INSERT INTO department (code, name, "group", active, aliases, created_at) '
                    "VALUES (:c, :n, :g, true, '[]', now())"
                ),
                {"c": f"d{i:03d}", "n": f"部门{i:03d}", "g": GROUPS[i % 3]},
            )
        period = next(p for p in ensure_periods() if p.kind == "month")
        campaign = create_campaign(period, "hangzhou")
        db.session.commit()
        groups = [g.code for g in campaign.groups]
        start = time.perf_counter()
        per_group = max(1, args.invitations // len(groups))
        issued = [issue_invitations(campaign, group, per_group) for group in groups]
        db.session.commit()
        # Raters of every group in turn, so each group gets its share of the answers.
        codes = [code for batch in zip(*issued, strict=True) for code in batch]
        _timed(results, "invite_s", start)
        results["invitations_stored"] = len(codes)
        departments = [f"d{i:03d}" for i in range(args.departments)]
        period_code = period.code
    client = app.test_client()
    start = time.perf_counter()
    refused = 0
    for n, code in enumerate(codes[: args.raters]):
        answers = [
            {"department": d, "rating": RATINGS[(n * 7 + i * 3) % 5]}
            for i, d in enumerate(departments)
        ]
        response = client.post(f"/api/v1/surveys/{code}", json={"answers": answers})
        refused += response.status_code != 201
    _timed(results, "answer_s", start)
    answered = min(args.raters, len(codes))
    results["answers_per_s"] = round(answered * len(departments) / max(results["answer_s"], 1e-9))  # type: ignore[arg-type]
    results["refused"] = refused
    with app.app_context():
        db.session.execute(text("ANALYZE survey_answer"))
        start = time.perf_counter()
        rows = db.session.execute(
            text(
                "SELECT group_id, department_id, rating, count(*) FROM survey_answer "
                "GROUP BY group_id, department_id, rating"
            )
        ).all()
        _timed(results, "plain_group_by_s", start)
        results["group_by_rows"] = len(rows)
        from citizenvoice.services.appraisal import period_by_code

        period = period_by_code(period_code)
        start = time.perf_counter()
        survey_counts(period)
        _timed(results, "survey_counts_s", start)
        start = time.perf_counter()
        compute(period, "bench")
        db.session.commit()
        _timed(results, "compute_s", start)
        floor = max(float(results["plain_group_by_s"]), 1e-6)  # type: ignore[arg-type]
        results["survey_counts_ratio"] = round(float(results["survey_counts_s"]) / floor, 2)  # type: ignore[arg-type]
        results["compute_ratio"] = round(float(results["compute_s"]) / floor, 2)  # type: ignore[arg-type]
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
