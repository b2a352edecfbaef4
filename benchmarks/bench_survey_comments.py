"""Benchmark: survey comments through nlp, and the pages' queries over them, on PostgreSQL.

- ``analyse_s``: C comments (over D departments) analysed by ``analyse_comments`` with the
  committed models, batches of 200, one commit each; with ``comments_per_s``;
- ``second_run_s``: the same call again (nothing left: the idempotence check's cost);
- ``groups_s``: every department's comment groups (the office's campaign page);
- ``report_s``: the opinion report (hot words, category shares, satisfaction per department).

Usage: python -m benchmarks.bench_survey_comments [--comments 5000] [--departments 30]
       [--database NAME]
Prints one JSON object. Recreates the database ``citizenvoice_comments_bench``.
"""

from __future__ import annotations

import argparse
import json
import time

from flask_migrate import upgrade
from sqlalchemy import insert, text

from benchmarks._common import bench_app, recreate_database
from citizenvoice.extensions import db
from citizenvoice.models import SurveyAnswer
from citizenvoice.services.appraisal import ensure_periods
from citizenvoice.services.survey import create_campaign
from citizenvoice.services.survey_comments import analyse_comments, comment_groups
from citizenvoice.services.survey_report import opinion_report
from nlp import Analyzer

DB_NAME = "citizenvoice_comments_bench"
RATINGS = ("satisfied", "fairly", "basic", "dissatisfied")
TEXTS = (
    "小区门口垃圾清运不及时，夏天臭气熏天，希望每天清运两次",
    "办事窗口排队时间太长，工作人员态度还可以，建议增加网上办理",
    "夜市占道经营噪音很大，晚上十二点以后还很吵，请加强执法",
    "公交线路调整后换乘不方便，老人出行困难，电话13812345678",
    "学校周边交通拥堵，上下学时段需要交警疏导",
    "医院挂号难，专家号一号难求，希望改进预约系统",
    "河道治理效果明显，环境比以前好多了，点赞",
    "老旧小区改造拖了半年还没完工，施工扬尘严重",
)


def main() -> None:
    """Build the campaign and comments, then time the analysis, the groups and the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--comments", type=int, default=5_000)
    parser.add_argument("--departments", type=int, default=30)
    parser.add_argument("--database", default=DB_NAME, help="scratch database name")
    args = parser.parse_args()
    app = bench_app(recreate_database(args.database))
    results: dict[str, object] = vars(args).copy()
    with app.app_context():
        upgrade()
        for i in range(args.departments):
            db.session.execute(
                text(
                    'INSERT INTO department (code, name, "group", active, aliases, created_at) '
                    "VALUES (:c, :n, '综合管理', true, '[]', now())"
                ),
                {"c": f"d{i:03d}", "n": f"部门{i:03d}"},
            )
        campaign = create_campaign(
            next(p for p in ensure_periods() if p.kind == "month"), "beijing"
        )
        db.session.commit()
        ids = [row[0] for row in db.session.execute(text("SELECT id FROM department ORDER BY id"))]
        rows = [
            {
                "campaign_id": campaign.id,
                "group_id": campaign.groups[0].id,
                "department_id": ids[n % len(ids)],
                "rating": RATINGS[n % 4],
                "comment": f"{TEXTS[n % len(TEXTS)]}（第{n}条）",
            }
            for n in range(args.comments)
        ]
        db.session.execute(insert(SurveyAnswer), rows)
        db.session.commit()
        analyzer = Analyzer.load()
        start = time.perf_counter()
        done = analyse_comments(analyzer, campaign.id)
        results["analyse_s"] = round(time.perf_counter() - start, 3)
        results["analysed"] = done
        results["comments_per_s"] = round(done / max(results["analyse_s"], 1e-9), 1)  # type: ignore[operator]
        start = time.perf_counter()
        results["second_run_analysed"] = analyse_comments(analyzer, campaign.id)
        results["second_run_s"] = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        groups = comment_groups(campaign.id)
        results["groups_s"] = round(time.perf_counter() - start, 3)
        results["groups"] = sum(len(g) for g in groups.values())
        start = time.perf_counter()
        report = opinion_report(campaign)
        results["report_s"] = round(time.perf_counter() - start, 3)
        results["hot_words"] = [word for word, _ in report.hot_words]
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
