"""A period's stored result as readers see it: public rows, explanations, the export table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.scoring.settings import Indicator
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Department, FollowUp, Period, Submission
from citizenvoice.services.appraisal.periods import AppraisalError, period_settings

__all__ = ["explain_department", "result_rows", "result_table"]


def result_rows(period: Period) -> list[dict[str, Any]]:
    """The stored result as public rows: department, group, dimensions, indicators, total, rank."""
    import json

    if not period.result_json:
        return []
    data = json.loads(period.result_json)
    names = dict(db.session.execute(select(Department.code, Department.name)).tuples().all())
    citizen = {c["department"]: c for c in data.get("citizen", [])}
    rows = []
    for total in data.get("totals", []):
        code = total["department"]
        score = citizen.get(code, {})
        rows.append(
            {
                "department": code,
                "department_name": names.get(code, code),
                "group": total["group"],
                "dimensions": dict(total["dimension_scores"]),
                "bonus": total.get("bonus"),
                "citizen": {
                    "score": score.get("score"),
                    "low": score.get("low"),
                    "high": score.get("high"),
                    "indicators": [
                        {
                            "indicator": ind["indicator"],
                            "label": Indicator(ind["indicator"]).label,
                            "score": ind["score"],
                            "n": ind["n"],
                            "low": ind["low"],
                            "high": ind["high"],
                            "sufficient": ind["sufficient"],
                        }
                        for ind in score.get("indicators", [])
                    ],
                },
                "total": total["total"],
                "rank": total["rank"],
                "reason": total.get("reason"),
            }
        )
    rows.sort(key=lambda r: (r["group"], r["rank"] is None, r["rank"] or 0, r["department"]))
    return rows


def explain_department(period: Period, department_code: str, examples: int = 3) -> dict[str, Any]:
    """Why a department scored as it did.

    Its weakest indicators, and the categories and topics of its dissatisfied or negative cases
    in the period, with redacted example messages.
    """
    rows = {r["department"]: r for r in result_rows(period)}
    row = rows.get(department_code)
    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if row is None or department is None:
        raise AppraisalError("该部门没有本期结果")
    start, end = local_midnight(period.starts_on), local_midnight(period.ends_on)
    indicators = [i for i in row["citizen"]["indicators"] if i["score"] is not None]
    # "Weakest" is relative to the department itself: an indicator at or above its own mean is
    # not a weakness, even if it is the lowest of three strong ones.
    mean = sum(i["score"] for i in indicators) / len(indicators) if indicators else None
    weakest = sorted(
        (i for i in indicators if mean is not None and i["score"] < mean),
        key=lambda i: i["score"],
    )[:3]
    concern_ids = _concern_case_ids(department.id, start, end)
    concerns = list(
        db.session.scalars(
            select(Analysis)
            .where(Analysis.submission_id.in_(concern_ids))
            .order_by(Analysis.submission_id.desc())
            .limit(2000)
        )
    )
    categories: dict[str, int] = {}
    topics: dict[str, int] = {}
    for analysis in concerns:
        if analysis.category:
            categories[analysis.category] = categories.get(analysis.category, 0) + 1
        if analysis.topic_label:
            topics[analysis.topic_label] = topics.get(analysis.topic_label, 0) + 1
    return {
        "row": row,
        "weakest": weakest,
        "indicator_mean": mean,
        "categories": sorted(categories.items(), key=lambda kv: -kv[1])[:5],
        "topics": sorted(topics.items(), key=lambda kv: -kv[1])[:5],
        "examples": [a.redacted_text[:200] for a in concerns[:examples] if a.redacted_text],
        "concern_cases": len(concern_ids),
    }


def _concern_case_ids(department_id: int, start: datetime, end: datetime) -> set[int]:
    """The department's cases judged dissatisfied, or complaints read as negative, in a span."""
    unhappy = (
        select(Submission.id)
        .join(FollowUp, FollowUp.submission_id == Submission.id)
        .where(
            Submission.department_id == department_id,
            FollowUp.created_at >= start,
            FollowUp.created_at < end,
            FollowUp.satisfaction == "dissatisfied",
        )
    )
    negative = (
        select(Analysis.submission_id)
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.department_id == department_id,
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.sentiment_label == "negative",
            # Only complaints: the sentiment model leans negative on texts unlike its training
            # data, and a suggestion or a rating (praise) is not a resident's dissatisfaction.
            Submission.kind == FeedbackKind.COMPLAINT.value,
        )
    )
    return set(db.session.scalars(unhappy.union(negative)))


def result_table(period: Period) -> tuple[list[str], list[list[Any]]]:
    """The results as a table (header, rows) for CSV/XLSX export: dimensions and indicators."""
    settings = period_settings(period)
    dimensions = list(settings.index.dimensions)
    indicator_codes = [i for i, _ in settings.scoring.weights.weights]
    header = ["组别", "排名", "部门代码", "部门", "总分", "加分"]
    header += [d.name for d in dimensions]
    header += (
        [f"{i.label}" for i in indicator_codes]
        + [f"{i.label} n" for i in indicator_codes]
        + ["说明"]
    )
    rows = []
    for r in result_rows(period):
        by_indicator = {i["indicator"]: i for i in r["citizen"]["indicators"]}
        rows.append(
            [
                r["group"],
                r["rank"] or "",
                r["department"],
                r["department_name"],
                r["total"],
                r["bonus"],
            ]
            + [r["dimensions"].get(d.code) for d in dimensions]
            + [by_indicator.get(i.value, {}).get("score") for i in indicator_codes]
            + [by_indicator.get(i.value, {}).get("n") for i in indicator_codes]
            + [r["reason"] or ""]
        )
    return header, rows
