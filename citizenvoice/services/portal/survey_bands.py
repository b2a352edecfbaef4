"""Grade bands of the 社会评价问卷, as Hangzhou publishes them: per department rate, score, n, band.

Bands are derived at read time from the published (stored) ``survey`` indicator scores, never
written into the stored result, so ``appraisal verify`` is untouched and a change of
``CITIZENVOICE_SURVEY_GRADE_BANDS`` relabels without recomputing. They are shown only once
every survey campaign of the period is closed (by the office or past its dates): a period
published while its campaign is open has scores, but no bands yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from citizenvoice.domain.scoring.settings import Indicator
from citizenvoice.domain.survey import Rating
from citizenvoice.domain.survey_grades import grade_bands, weighted_rate
from citizenvoice.extensions import db
from citizenvoice.models import Period, SurveyCampaign
from citizenvoice.services.appraisal import result_rows
from citizenvoice.services.appraisal.survey_counts import survey_counts
from citizenvoice.services.portal.cache import cached
from citizenvoice.services.portal.overview import PublicPeriod
from citizenvoice.services.survey_priority import campaign_closed

__all__ = ["SurveyBand", "add_survey_grades", "campaigns_closed", "public_survey_bands"]

SURVEY = Indicator.SURVEY.value


@dataclass(frozen=True)
class SurveyBand:
    """One department's published survey result (plain data, cacheable)."""

    code: str
    name: str
    score: float | None  # None: 样本不足
    n: int
    rate: float | None  # satisfaction rate 0..1, group-weighted like the score
    grade: str | None


def campaigns_closed(period: Period) -> bool:
    """True when the period has survey campaigns and every one of them is closed."""
    campaigns = db.session.scalars(
        select(SurveyCampaign).where(SurveyCampaign.period_id == period.id)
    ).all()
    return bool(campaigns) and all(campaign_closed(c) for c in campaigns)


def _survey_entry(row: dict[str, Any]) -> dict[str, Any] | None:
    return next((i for i in row["citizen"]["indicators"] if i["indicator"] == SURVEY), None)


def _grades(rows: list[dict[str, Any]]) -> dict[str, str | None]:
    """Department -> band over every department's sufficient stored survey score."""
    scores: dict[str, float | None] = {}
    for row in rows:
        entry = _survey_entry(row)
        if entry is not None:
            usable = entry["sufficient"] and entry["score"] is not None
            scores[row["department"]] = float(entry["score"]) if usable else None
    return grade_bands(scores, current_app.config["SURVEY_GRADE_BANDS"])


def add_survey_grades(period: Period, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (of ``result_rows``) with ``grade`` on each ``survey`` indicator entry.

    The grade is None without a sufficient score or while a campaign of the period is open.
    """
    grades = _grades(rows) if campaigns_closed(period) else {}
    for row in rows:
        entry = _survey_entry(row)
        if entry is not None:
            entry["grade"] = grades.get(row["department"])
    return rows


def _rates(period: Period) -> dict[str, float | None]:
    """Department -> group-weighted satisfaction rate over the counted answers."""
    return {
        code: weighted_rate(
            (g.weight, g.min_n, {r.value: getattr(g, r.value) for r in Rating}) for g in groups
        )
        for code, groups in survey_counts(period).items()
    }


def public_survey_bands(period: PublicPeriod) -> list[SurveyBand]:
    """The period's survey results per department, best band first; [] unless all closed."""

    def compute() -> list[SurveyBand]:
        row = db.session.scalar(select(Period).where(Period.code == period.code))
        if row is None or not campaigns_closed(row):
            return []
        rows = result_rows(row)
        grades, rates = _grades(rows), _rates(row)
        bands = []
        for result in rows:
            entry = _survey_entry(result)
            if entry is None:
                continue
            usable = entry["sufficient"] and entry["score"] is not None
            bands.append(
                SurveyBand(
                    result["department"],
                    result["department_name"],
                    float(entry["score"]) if usable else None,
                    int(entry["n"]),
                    rates.get(result["department"]),
                    grades.get(result["department"]),
                )
            )
        bands.sort(key=lambda b: (b.score is None, -(b.score or 0.0), b.code))
        return bands

    return cached(f"survey-bands:{period.code}", compute)
