"""Figures for a department's dashboard (or the whole city for the office)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from citizenvoice.domain.cases import Satisfaction
from citizenvoice.domain.scoring import satisfaction_credit
from citizenvoice.domain.timelimits import on_time_reply_rate, response_rate
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, FollowUp, Submission, User
from citizenvoice.models.base import utcnow
from citizenvoice.services.cases import overdue_condition, running_due, visible_cases
from citizenvoice.services.topics import current_snapshot
from citizenvoice.services.workflow import snapshot_of

__all__ = ["Dashboard", "RateFigure", "dashboard_for", "month_start"]

TREND_MONTHS = 6


def _whole_words(keywords: list[str]) -> list[str]:
    """A message's keywords without fragments of unknown names (五里, 牌镇).

    Hot keywords are dictionary words of a content part of speech (nlp.is_whole_word).
    """
    from nlp import default_segmenter, is_whole_word

    segmenter = default_segmenter()
    return [word for word in keywords if is_whole_word(word, segmenter)]


@dataclass(frozen=True)
class RateFigure:
    """A rate with the counts it comes from (None when nothing was counted)."""

    label: str
    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        """The rate in percent."""
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard page shows."""

    by_status: dict[str, int]
    by_category: list[tuple[str, int]]
    overdue: list[Submission]
    overdue_total: int
    rates: list[RateFigure]
    top_groups: list[tuple[str, int]]
    top_keywords: list[tuple[str, int]]
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    hot_topics: list[dict[str, object]] = field(default_factory=list)
    trend_labels: list[str] = field(default_factory=list)
    trend_counts: list[float | None] = field(default_factory=list)
    trend_satisfaction: list[float | None] = field(default_factory=list)


def month_start(moment: datetime, months_back: int = 0) -> datetime:
    """Midnight of the first day of the month ``months_back`` before ``moment`` (Beijing time)."""
    local = moment.astimezone(SHANGHAI)
    year, month = local.year, local.month - months_back
    while month <= 0:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=SHANGHAI)


def _satisfaction(rows: list[FollowUp]) -> RateFigure:
    answered = [r for r in rows if r.satisfaction]
    answers = Counter(r.satisfaction for r in answered)
    # The default 基本满意 credit of the appraisal (domain/scoring), so the dashboard's 满意率
    # and the published one count the same way.
    score = satisfaction_credit(
        answers[Satisfaction.SATISFIED.value], answers[Satisfaction.BASIC.value]
    )
    return RateFigure("满意率", score, len(answered))


def dashboard_for(user: User, now: datetime | None = None) -> Dashboard:
    """The user's dashboard: their department's cases, or every case for the office."""
    now = now or utcnow()
    scope = visible_cases(user).subquery()
    overdue, overdue_total = _overdue(user, now)
    top_groups, top_keywords, top_topics = _text_signals(scope)
    snapshot = current_snapshot()
    labels, counts, satisfaction = _trend(user, scope, now)
    return Dashboard(
        by_status=_by_status(scope),
        by_category=_by_category(scope),
        overdue=overdue,
        overdue_total=overdue_total,
        rates=_month_rates(user, scope, now),
        top_groups=top_groups,
        top_keywords=top_keywords,
        top_topics=top_topics,
        hot_topics=list(snapshot.hot_topics[:10]) if snapshot else [],
        trend_labels=labels,
        trend_counts=counts,
        trend_satisfaction=satisfaction,
    )


def _by_status(scope: Any) -> dict[str, int]:
    """Cases in scope by status."""
    return dict(
        db.session.execute(select(scope.c.status, func.count()).group_by(scope.c.status))
        .tuples()
        .all()
    )


def _by_category(scope: Any) -> list[tuple[str, int]]:
    """Cases in scope by predicted category, most first."""
    rows = db.session.execute(
        select(Analysis.category, func.count())
        .join(scope, scope.c.id == Analysis.submission_id)
        .where(Analysis.category.is_not(None))
        .group_by(Analysis.category)
        .order_by(func.count().desc())
    ).tuples()
    return [(str(c), int(n)) for c, n in rows]


def _overdue(user: User, now: datetime) -> tuple[list[Submission], int]:
    """The 20 most overdue cases the user sees, and how many are overdue in all."""
    query = visible_cases(user).where(overdue_condition(now))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(db.session.scalars(query.order_by(running_due().asc()).limit(20))), total


def _month_rates(user: User, scope: Any, now: datetime) -> list[RateFigure]:
    """This month's 按时签收 / 按时答复 rates and the follow-ups' 联系 / 解决 / 满意 rates."""
    period_start = month_start(now)
    period_cases = list(
        db.session.scalars(visible_cases(user).where(Submission.created_at >= period_start))
    )
    snapshots = [snapshot_of(c) for c in period_cases]
    respond = response_rate(snapshots, now)
    reply = on_time_reply_rate(snapshots, now)
    follow_ups = list(
        db.session.scalars(
            select(FollowUp)
            .join(scope, scope.c.id == FollowUp.submission_id)
            .where(FollowUp.created_at >= period_start, FollowUp.no_response.is_(False))
        )
    )
    return [
        RateFigure("按时签收率", respond.numerator, respond.denominator),
        RateFigure("按时答复率", reply.numerator, reply.denominator),
        RateFigure("联系率", sum(1 for f in follow_ups if f.contacted), len(follow_ups)),
        RateFigure("解决率", sum(1 for f in follow_ups if f.resolved), len(follow_ups)),
        _satisfaction(follow_ups),
    ]


def _text_signals(
    scope: Any,
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
    """The largest duplicate groups, the hottest whole-word keywords and the top topics."""
    top_groups = db.session.execute(
        select(Analysis.duplicate_group, func.count())
        .join(scope, scope.c.id == Analysis.submission_id)
        .where(Analysis.duplicate_group.is_not(None))
        .group_by(Analysis.duplicate_group)
        .having(func.count() > 1)
        .order_by(func.count().desc())
        .limit(10)
    ).tuples()
    keyword_rows = db.session.scalars(
        select(Analysis.keywords).join(scope, scope.c.id == Analysis.submission_id).limit(5000)
    )
    keywords = Counter(word for row in keyword_rows for word in _whole_words(row or [])[:5])
    top_topics = db.session.execute(
        select(Analysis.topic_label, func.count())
        .join(scope, scope.c.id == Analysis.submission_id)
        .where(Analysis.topic_label.is_not(None))
        .group_by(Analysis.topic_label)
        .order_by(func.count().desc())
        .limit(10)
    ).tuples()
    return (
        [(str(g), int(n)) for g, n in top_groups],
        keywords.most_common(15),
        [(str(label), int(n)) for label, n in top_topics],
    )


def _trend(
    user: User, scope: Any, now: datetime
) -> tuple[list[str], list[float | None], list[float | None]]:
    """Month labels, case counts and satisfaction rates of the last TREND_MONTHS months."""
    labels: list[str] = []
    counts: list[float | None] = []
    satisfaction: list[float | None] = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        start, end = month_start(now, back), month_start(now, back - 1) if back else None
        query = visible_cases(user).where(Submission.created_at >= start)
        if end is not None:
            query = query.where(Submission.created_at < end)
        labels.append(start.strftime("%Y-%m"))
        counts.append(
            float(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        )
        month_follow_ups = list(
            db.session.scalars(
                select(FollowUp)
                .join(scope, scope.c.id == FollowUp.submission_id)
                .where(
                    FollowUp.created_at >= start,
                    *([FollowUp.created_at < end] if end is not None else []),
                )
            )
        )
        satisfaction.append(_satisfaction(month_follow_ups).value)
    return labels, counts, satisfaction
