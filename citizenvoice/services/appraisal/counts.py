"""The raw rows a period's result depends on, gathered into one ``PeriodInput``.

Per-department sufficient statistics by SQL GROUP BY (``gather_counts``) plus the imported
dimensions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Numeric, and_, case, cast, func, select

from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.scoring import DepartmentCounts, MomentSums, PeriodInput
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    CaseReply,
    Department,
    DimensionScore,
    FollowUp,
    Period,
    RatingReview,
    Submission,
)
from citizenvoice.services.appraisal.periods import AppraisalError, period_settings
from citizenvoice.services.appraisal.survey_counts import survey_counts

__all__ = ["build_input", "gather_counts"]


def _moments(value: Any) -> tuple[Any, Any, Any]:
    """count, sum and sum of squares in exact NUMERIC arithmetic.

    Float sums depend on the order PostgreSQL (parallel workers included) adds the rows in, so
    a recomputation could differ in the last bits from the published result; NUMERIC sums are
    exact, whatever the order.
    """
    exact = cast(value, Numeric(38, 12))
    return (
        func.count(value),
        func.coalesce(func.sum(exact), 0),
        func.coalesce(func.sum(exact * exact), 0),
    )


def gather_counts(period: Period) -> list[DepartmentCounts]:
    """Every department's sufficient statistics for the period, by SQL GROUP BY on raw rows.

    Follow-ups (三率 and the 1-5 service rating given with them through the tracking code: one
    scored judgement per case) count by when they were given; text signals, repeat complaints
    and timeliness by when the case came in. Follow-ups held for review or excluded do not
    count; open 评价 submissions are shown to departments but never scored.
    """
    start, end = local_midnight(period.starts_on), local_midnight(period.ends_on)
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    acc: dict[int, dict[str, Any]] = {}
    for part in (
        _follow_up_counts(start, end),
        _moment_sums(start, end),
        _case_counts(start, end),
    ):
        for dept, values in part.items():
            acc.setdefault(dept, {}).update(values)
    ids = {code: dept for dept, code in codes.items()}
    for code, groups in survey_counts(period).items():
        acc.setdefault(ids[code], {})["survey"] = groups
    return [
        DepartmentCounts(department=codes[dept], **values)
        for dept, values in acc.items()
        if dept in codes
    ]


def _scored_follow_ups(start: datetime, end: datetime) -> tuple[Any, ...]:
    """Follow-ups that count: given in the period, answered, for a department, not held."""
    held = select(RatingReview.submission_id).where(RatingReview.status.in_(("held", "excluded")))
    return (
        FollowUp.created_at >= start,
        FollowUp.created_at < end,
        FollowUp.no_response.is_(False),
        FollowUp.department_id.is_not(None),
        FollowUp.submission_id.not_in(held),
    )


def _in_period(start: datetime, end: datetime) -> Any:
    """Cases that came in during the period and have a department."""
    return and_(
        Submission.created_at >= start,
        Submission.created_at < end,
        Submission.department_id.is_not(None),
    )


def _follow_up_counts(start: datetime, end: datetime) -> dict[int, dict[str, Any]]:
    """Per department: scored follow-ups, contacted, resolved and the three satisfaction levels."""
    rows = db.session.execute(
        select(
            FollowUp.department_id,
            func.count(),
            func.sum(case((FollowUp.contacted.is_(True), 1), else_=0)),
            func.sum(case((FollowUp.resolved.is_(True), 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "satisfied", 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "basic", 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "dissatisfied", 1), else_=0)),
        )
        .where(*_scored_follow_ups(start, end))
        .group_by(FollowUp.department_id)
    ).all()
    return {
        dept: {
            "follow_ups": n,
            "contacted": int(contacted or 0),
            "resolved": int(resolved or 0),
            "satisfied": int(sat or 0),
            "basically_satisfied": int(basic or 0),
            "dissatisfied": int(dis or 0),
        }
        for dept, n, contacted, resolved, sat, basic, dis in rows
    }


def _moment_sums(start: datetime, end: datetime) -> dict[int, dict[str, Any]]:
    """Per department: moment sums of ratings, text sentiment and reply quality."""
    in_period = _in_period(start, end)
    queries = {
        "ratings": select(FollowUp.department_id, *_moments(FollowUp.rating))
        .where(*_scored_follow_ups(start, end), FollowUp.rating.is_not(None))
        .group_by(FollowUp.department_id),
        "sentiment": select(Submission.department_id, *_moments(Analysis.sentiment))
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(in_period, Analysis.sentiment.is_not(None))
        .group_by(Submission.department_id),
        "reply_quality": select(Submission.department_id, *_moments(CaseReply.quality_score))
        .join(CaseReply, CaseReply.submission_id == Submission.id)
        .where(in_period, CaseReply.quality_score.is_not(None))
        .group_by(Submission.department_id),
    }
    out: dict[int, dict[str, Any]] = {}
    for name, query in queries.items():
        for dept, n, total, total_sq in db.session.execute(query).all():
            out.setdefault(dept, {})[name] = MomentSums(int(n), float(total), float(total_sq))
    return out


def _case_counts(start: datetime, end: datetime) -> dict[int, dict[str, Any]]:
    """Per department: cases, repeat complaints (a duplicate group of 2+) and timeliness."""
    group_sizes = (
        select(Analysis.duplicate_group.label("grp"), func.count().label("size"))
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.duplicate_group.is_not(None),
        )
        .group_by(Analysis.duplicate_group)
        .subquery()
    )
    has_due = Submission.reply_due_at.is_not(None)
    # Due: replied with a deadline set, or not replied with a deadline already past at period end.
    due = case(
        (and_(has_due, Submission.replied_at.is_not(None)), 1),
        (and_(has_due, Submission.reply_due_at < end), 1),
        else_=0,
    )
    on_time = case(
        (
            and_(
                Submission.replied_at.is_not(None),
                Submission.replied_at <= Submission.reply_due_at,
            ),
            1,
        ),
        else_=0,
    )
    rows = db.session.execute(
        select(
            Submission.department_id,
            func.count(),
            func.sum(case((group_sizes.c.size >= 2, 1), else_=0)),
            func.sum(due),
            func.sum(on_time),
        )
        .outerjoin(Analysis, Analysis.submission_id == Submission.id)
        .outerjoin(group_sizes, group_sizes.c.grp == Analysis.duplicate_group)
        .where(_in_period(start, end))
        .group_by(Submission.department_id)
    ).all()
    return {
        dept: {
            "cases": int(cases),
            "repeat_cases": int(repeats or 0),
            "due_cases": int(due_n or 0),
            "on_time_cases": int(on_time_n or 0),
        }
        for dept, cases, repeats, due_n, on_time_n in rows
    }


def _imported(period: Period) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    bonus_name = (period.settings or {}).get("bonus_name", "bonus")
    imported: dict[str, dict[str, float]] = {}
    bonuses: dict[str, float] = {}
    for row in db.session.scalars(
        select(DimensionScore).where(DimensionScore.period_id == period.id)
    ):
        code = codes[row.department_id]
        if row.dimension in ("bonus", bonus_name):
            bonuses[code] = row.score
        else:
            imported.setdefault(code, {})[row.dimension] = row.score
    return imported, bonuses


def build_input(period: Period) -> PeriodInput:
    """Everything the period's result depends on, read from the raw rows now."""
    groups = dict(
        db.session.execute(
            select(Department.code, Department.group).where(Department.active.is_(True))
        )
        .tuples()
        .all()
    )
    imported, bonuses = _imported(period)
    counts = [c for c in gather_counts(period) if c.department in groups]
    try:
        return PeriodInput.build(
            period.code, period_settings(period), groups, counts, imported, bonuses
        )
    except ValueError as exc:
        raise AppraisalError(str(exc)) from exc
