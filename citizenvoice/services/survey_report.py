"""The yearly opinion report (民意报告) of a survey campaign.

The ten hot words of the comments (the nlp keywords found in most comments), the share of
comments per category, and per department its survey score, satisfaction rate (share of
满意/比较满意/基本满意 among known answers, as Hangzhou publishes it) and number of comments.
Only analysed comments count (``flask survey analyse-comments``); the report says how many are
still waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from citizenvoice.domain.survey import Rating
from citizenvoice.domain.survey_comments import category_shares, hot_words
from citizenvoice.extensions import db
from citizenvoice.models import Department, SurveyAnswer, SurveyCampaign, SurveyCommentAnalysis
from citizenvoice.services.survey_comments import pending_comments
from citizenvoice.services.survey_results import campaign_results

__all__ = ["DepartmentLine", "OpinionReport", "opinion_report"]

SATISFIED = (Rating.SATISFIED.value, Rating.FAIRLY.value, Rating.BASIC.value)


@dataclass(frozen=True)
class DepartmentLine:
    """One department's line in the report."""

    code: str
    name: str
    score: float | None  # the weighted survey score, None when no group has enough n
    n: int
    satisfaction_rate: float | None
    comments: int


@dataclass(frozen=True)
class OpinionReport:
    """What the report page prints."""

    comments: int
    pending: int
    hot_words: list[tuple[str, int]]
    categories: list[tuple[str, int, float]]
    departments: list[DepartmentLine]


def _satisfaction(campaign_id: int) -> dict[int, tuple[int, int]]:
    """Department id -> (satisfied answers, known answers)."""
    out: dict[int, tuple[int, int]] = {}
    for dept, rating, count in db.session.execute(
        select(SurveyAnswer.department_id, SurveyAnswer.rating, func.count())
        .where(SurveyAnswer.campaign_id == campaign_id)
        .group_by(SurveyAnswer.department_id, SurveyAnswer.rating)
    ).tuples():
        if rating == Rating.UNKNOWN.value:
            continue
        satisfied, known = out.get(dept, (0, 0))
        out[dept] = (satisfied + (count if rating in SATISFIED else 0), known + count)
    return out


def opinion_report(campaign: SurveyCampaign) -> OpinionReport:
    """The report of one campaign, departments by satisfaction rate (highest first)."""
    analysed = db.session.execute(
        select(
            SurveyCommentAnalysis.department_id,
            SurveyCommentAnalysis.category,
            SurveyCommentAnalysis.keywords,
        ).where(SurveyCommentAnalysis.campaign_id == campaign.id)
    ).tuples()
    per_department: dict[int, int] = {}
    categories, keywords = [], []
    for dept, category, words in analysed:
        per_department[dept] = per_department.get(dept, 0) + 1
        categories.append(category)
        keywords.append(list(words or ()))
    ids = dict(db.session.execute(select(Department.code, Department.id)).tuples().all())
    rates = _satisfaction(campaign.id)
    lines = []
    for result in campaign_results(campaign):
        dept_id = ids[result.code]
        satisfied, known = rates.get(dept_id, (0, 0))
        lines.append(
            DepartmentLine(
                result.code,
                result.name,
                result.combined.score if result.combined.sufficient else None,
                known,
                satisfied / known if known else None,
                per_department.get(dept_id, 0),
            )
        )
    lines.sort(key=lambda d: (d.satisfaction_rate is None, -(d.satisfaction_rate or 0), d.code))
    return OpinionReport(
        comments=len(categories),
        pending=pending_comments(campaign.id),
        hot_words=hot_words(keywords, 10),
        categories=category_shares(categories),
        departments=lines,
    )
