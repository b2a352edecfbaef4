"""Public figures of a time window: intake, timeliness, resolution and satisfaction.

All counts pass through the small-number protection of domain.disclosure before they leave
this module; rates carry their n and a 95% Wilson interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from citizenvoice.domain.disclosure import PublicRate, median_hours, public_count, public_rate
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.scoring.settings import satisfaction_credit
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, FollowUp, Submission
from citizenvoice.models.base import utcnow

__all__ = ["WindowFigures", "window_figures"]

# The categories listed on a public page; the rest are summed as 其他 (a long tail of small,
# suppressed cells tells a reader nothing).
TOP_CATEGORIES = 10
# Reply times are read for at most this many cases per window: the median of a large random
# sample is the median, and a year of a big city stays one bounded query.
MAX_REPLY_SAMPLE = 20_000
UNCLASSIFIED = "未分类"


@dataclass(frozen=True)
class WindowFigures:
    """What the public sees of a window: counts are ints or "<5"."""

    total: int | str
    by_kind: list[tuple[str, int | str]]
    by_category: list[tuple[str, int | str]]
    on_time: PublicRate
    median_reply_hours: float | None
    resolution: PublicRate
    satisfaction: PublicRate


def _scope(start: datetime, end: datetime, department_id: int | None) -> list[Any]:
    conditions = [Submission.created_at >= start, Submission.created_at < end]
    if department_id is not None:
        conditions.append(Submission.department_id == department_id)
    return conditions


def _intake(conditions: list[Any]) -> tuple[int, list[tuple[str, int | str]]]:
    rows = dict(
        db.session.execute(
            select(Submission.kind, func.count()).where(*conditions).group_by(Submission.kind)
        )
        .tuples()
        .all()
    )
    by_kind = [(kind.label, public_count(int(rows.get(kind.value, 0)))) for kind in FeedbackKind]
    return sum(int(v) for v in rows.values()), by_kind


def _categories(conditions: list[Any]) -> list[tuple[str, int | str]]:
    counts: dict[str, int] = {}
    for name, n in db.session.execute(
        select(Analysis.category, func.count())
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(*conditions)
        .group_by(Analysis.category)
    ).tuples():
        counts[name or UNCLASSIFIED] = counts.get(name or UNCLASSIFIED, 0) + int(n)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked[:TOP_CATEGORIES]
    rest = sum(n for _, n in ranked[TOP_CATEGORIES:])
    if rest:
        top.append(("其他", rest))
    return [(name, public_count(n)) for name, n in top]


def _on_time(conditions: list[Any], end: datetime) -> PublicRate:
    has_due = Submission.reply_due_at.is_not(None)
    # Due: replied with a deadline, or unreplied with its deadline already past (as appraisal).
    due = case(
        (and_(has_due, Submission.replied_at.is_not(None)), 1),
        (and_(has_due, Submission.reply_due_at < end), 1),
        else_=0,
    )
    in_time = case(
        (
            and_(
                Submission.replied_at.is_not(None),
                Submission.replied_at <= Submission.reply_due_at,
            ),
            1,
        ),
        else_=0,
    )
    due_n, in_time_n = db.session.execute(
        select(func.sum(due), func.sum(in_time)).where(*conditions)
    ).one()
    return public_rate(float(in_time_n or 0), int(due_n or 0))


def _reply_hours(conditions: list[Any]) -> float | None:
    rows = db.session.execute(
        select(Submission.created_at, Submission.replied_at)
        .where(*conditions, Submission.replied_at.is_not(None))
        .order_by(Submission.id)
        .limit(MAX_REPLY_SAMPLE)
    ).all()
    hours = [(replied - created).total_seconds() / 3600 for created, replied in rows]
    return median_hours([h for h in hours if h >= 0])


def _follow_ups(conditions: list[Any]) -> tuple[PublicRate, PublicRate]:
    answered = FollowUp.satisfaction.is_not(None)
    judged, resolved, n_sat, satisfied, basic = db.session.execute(
        select(
            func.count(FollowUp.resolved),
            func.sum(case((FollowUp.resolved.is_(True), 1), else_=0)),
            func.sum(case((answered, 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "satisfied", 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "basic", 1), else_=0)),
        )
        .join(Submission, Submission.id == FollowUp.submission_id)
        .where(*conditions, FollowUp.no_response.is_(False))
    ).one()
    credit = satisfaction_credit(float(satisfied or 0), float(basic or 0))
    return public_rate(float(resolved or 0), int(judged or 0)), public_rate(credit, int(n_sat or 0))


def window_figures(
    start: datetime, end: datetime, department_id: int | None = None, *, detail: bool = True
) -> WindowFigures:
    """The public figures of cases filed in [start, end), for one department or all.

    ``detail`` False leaves out the categories and the median reply time (empty / None): the
    trend needs only the totals and the rates, twelve times over.
    """
    conditions = _scope(start, end, department_id)
    total, by_kind = _intake(conditions)
    resolution, satisfaction = _follow_ups(conditions)
    return WindowFigures(
        total=public_count(total),
        by_kind=by_kind,
        by_category=_categories(conditions) if detail else [],
        # A deadline counts as missed only once it has passed: for the running month that is
        # now, not the month's end (else every open case would count as late).
        on_time=_on_time(conditions, min(end, utcnow())),
        median_reply_hours=_reply_hours(conditions) if detail else None,
        resolution=resolution,
        satisfaction=satisfaction,
    )
