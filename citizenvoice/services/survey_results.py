"""What the office sees of a survey campaign: invitations per group and results per department.

Per department and group: n, score, 95% interval, satisfaction rate, 不了解 share; groups under
their minimum n are shown with the reason and left out of the department's weighted score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from citizenvoice.domain.survey import (
    DEFAULT_SCORES,
    CombinedScore,
    GroupScore,
    combine_groups,
    group_score,
)
from citizenvoice.domain.survey_checks import SurveyFlag, bursts, group_outliers
from citizenvoice.domain.survey_grades import grade_bands
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import (
    Department,
    Period,
    SurveyAnswer,
    SurveyCampaign,
    SurveyInvitation,
)
from citizenvoice.services.survey_counted import counted

__all__ = [
    "DepartmentSurvey",
    "campaign_flags",
    "campaign_results",
    "department_view",
    "invitation_counts",
    "result_bands",
    "survey_flags",
]


@dataclass(frozen=True)
class DepartmentSurvey:
    """One department's survey result: per group and combined."""

    code: str
    name: str
    groups: list[tuple[str, GroupScore, bool]]  # group code, result, counted (enough n)
    combined: CombinedScore


def invitation_counts(campaign: SurveyCampaign) -> dict[int, dict[str, int]]:
    """Group id -> {"issued", "used"}."""
    rows = db.session.execute(
        select(SurveyInvitation.group_id, SurveyInvitation.used, func.count())
        .where(SurveyInvitation.group_id.in_([g.id for g in campaign.groups]))
        .group_by(SurveyInvitation.group_id, SurveyInvitation.used)
    ).tuples()
    out: dict[int, dict[str, int]] = {g.id: {"issued": 0, "used": 0} for g in campaign.groups}
    for group_id, used, count in rows:
        out[group_id]["issued"] += int(count)
        if used:
            out[group_id]["used"] += int(count)
    return out


def campaign_results(campaign: SurveyCampaign) -> list[DepartmentSurvey]:
    """Every department in some group's scope, in department order."""
    values: dict[str, Any] = {**DEFAULT_SCORES, **(campaign.scores or {})}
    tally: dict[tuple[int, int], dict[str, int]] = {}
    for group_id, dept_id, rating, count in db.session.execute(
        select(SurveyAnswer.group_id, SurveyAnswer.department_id, SurveyAnswer.rating, func.count())
        .where(SurveyAnswer.campaign_id == campaign.id, counted())
        .group_by(SurveyAnswer.group_id, SurveyAnswer.department_id, SurveyAnswer.rating)
    ).tuples():
        tally.setdefault((group_id, dept_id), {})[rating] = int(count)
    departments = db.session.execute(
        select(Department.id, Department.code, Department.name)
        .where(Department.active.is_(True))
        .order_by(Department.group, Department.code)
    ).tuples()
    results = []
    for dept_id, code, name in departments:
        parts = []
        rows = []
        for group in campaign.groups:
            if group.departments is not None and code not in group.departments:
                continue
            result = group_score(tally.get((group.id, dept_id), {}), values)
            parts.append((group.code, group.weight, group.min_n, result))
            rows.append((group.code, result, result.n >= group.min_n))
        if parts:
            results.append(DepartmentSurvey(code, name, rows, combine_groups(parts)))
    return results


def result_bands(results: list[DepartmentSurvey]) -> dict[str, str | None]:
    """Department code -> grade band (``CITIZENVOICE_SURVEY_GRADE_BANDS``); None when short."""
    scores = {r.code: r.combined.score if r.combined.sufficient else None for r in results}
    return grade_bands(scores, current_app.config["SURVEY_GRADE_BANDS"])


def department_view(department_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """A department's own results and comments in the latest campaigns (never who answered)."""
    department = db.session.get(Department, department_id)
    if department is None:
        return []
    campaigns = db.session.scalars(
        select(SurveyCampaign).order_by(SurveyCampaign.id.desc()).limit(limit)
    ).all()
    out = []
    for campaign in campaigns:
        results = campaign_results(campaign)
        mine = next((r for r in results if r.code == department.code), None)
        if mine is None:
            continue
        names = {g.id: g.name for g in campaign.groups}
        comments = db.session.execute(
            select(SurveyAnswer.group_id, SurveyAnswer.rating, SurveyAnswer.comment)
            .where(
                SurveyAnswer.campaign_id == campaign.id,
                SurveyAnswer.department_id == department_id,
                SurveyAnswer.comment.is_not(None),
                counted(),
            )
            .order_by(SurveyAnswer.rating, SurveyAnswer.id)
            .limit(200)
        ).tuples()
        out.append(
            {
                "campaign": campaign,
                "result": mine,
                "band": result_bands(results).get(mine.code),
                "comments": [(names.get(g, ""), r, c) for g, r, c in comments],
            }
        )
    return out


def survey_flags(period: Period) -> list[SurveyFlag]:
    """The anomaly checks over every campaign of ``period`` (see domain.survey_checks)."""
    flags: list[SurveyFlag] = []
    for campaign in db.session.scalars(
        select(SurveyCampaign).where(SurveyCampaign.period_id == period.id)
    ):
        flags += campaign_flags(campaign)
    return flags


def campaign_flags(campaign: SurveyCampaign) -> list[SurveyFlag]:
    """The anomaly checks over one campaign's counted answers (held batches left out)."""
    flags: list[SurveyFlag] = []
    min_n = {g.code: g.min_n for g in campaign.groups}
    for result in campaign_results(campaign):
        scores = {code: (r.score, r.n, min_n[code]) for code, r, _ in result.groups}
        flags += group_outliers(result.code, scores)
    names = {g.id: g.code for g in campaign.groups}
    # One rater's answers share one time: distinct times per hour count raters.
    hours: dict[int, dict[str, int]] = {}
    for group_id, moment in db.session.execute(
        select(SurveyAnswer.group_id, SurveyAnswer.created_at)
        .where(SurveyAnswer.campaign_id == campaign.id, counted())
        .distinct()
    ).tuples():
        label = moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:00")
        bucket = hours.setdefault(group_id, {})
        bucket[label] = bucket.get(label, 0) + 1
    for group_id, per_hour in hours.items():
        flags += bursts(names[group_id], per_hour)
    return flags
