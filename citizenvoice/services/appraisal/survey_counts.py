"""The survey answers a period's result depends on (the 社会评价问卷 indicator).

Per department and rater group, by SQL GROUP BY over the answers of the period's campaigns.
"""

from __future__ import annotations

from sqlalchemy import func, select

from citizenvoice.domain.scoring import SurveyGroupCounts
from citizenvoice.domain.survey import DEFAULT_SCORES, Rating
from citizenvoice.extensions import db
from citizenvoice.models import Department, Period, SurveyAnswer, SurveyCampaign, SurveyGroup
from citizenvoice.services.survey_counted import counted

__all__ = ["survey_counts"]

_JUDGEMENTS = ("satisfied", "fairly", "basic", "dissatisfied")


def _scores(campaign: SurveyCampaign) -> tuple[float, float, float, float]:
    values = {**DEFAULT_SCORES, **(campaign.scores or {})}
    first, second, third, fourth = (float(values[r]) for r in _JUDGEMENTS)
    return first, second, third, fourth


def survey_counts(period: Period) -> dict[str, tuple[SurveyGroupCounts, ...]]:
    """Department code -> one entry per rater group that rates it; empty without answers.

    Once a period has any survey answer, every department in a group's scope gets that group
    (with zero counts where nobody rated it), so the indicator is always in the scores.
    Groups are keyed ``<campaign id>:<group code>`` when a period has several campaigns.
    """
    campaigns = list(
        db.session.scalars(
            select(SurveyCampaign)
            .where(SurveyCampaign.period_id == period.id)
            .order_by(SurveyCampaign.id)
        )
    )
    if not campaigns:
        return {}
    rows = db.session.execute(
        select(
            SurveyAnswer.group_id,
            SurveyAnswer.department_id,
            SurveyAnswer.rating,
            func.count(),
        )
        .where(SurveyAnswer.campaign_id.in_([c.id for c in campaigns]), counted())
        .group_by(SurveyAnswer.group_id, SurveyAnswer.department_id, SurveyAnswer.rating)
    ).tuples()
    tally: dict[tuple[int, int], dict[str, int]] = {}
    for group_id, department_id, rating, count in rows:
        tally.setdefault((group_id, department_id), {})[rating] = int(count)
    if not tally:
        return {}
    departments = list(
        db.session.execute(
            select(Department.id, Department.code).where(Department.active.is_(True))
        ).tuples()
    )
    out: dict[str, list[SurveyGroupCounts]] = {}
    several = len(campaigns) > 1
    for campaign in campaigns:
        scores = _scores(campaign)
        for group in db.session.scalars(
            select(SurveyGroup)
            .where(SurveyGroup.campaign_id == campaign.id)
            .order_by(SurveyGroup.id)
        ):
            scope = None if group.departments is None else set(group.departments)
            for dept_id, code in departments:
                if scope is not None and code not in scope:
                    continue
                counts = tally.get((group.id, dept_id), {})
                out.setdefault(code, []).append(
                    SurveyGroupCounts(
                        group=f"{campaign.id}:{group.code}" if several else group.code,
                        weight=float(group.weight),
                        min_n=int(group.min_n),
                        scores=scores,
                        **{r.value: counts.get(r.value, 0) for r in Rating},
                    )
                )
    return {code: tuple(groups) for code, groups in out.items()}
