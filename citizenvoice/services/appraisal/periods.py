"""Appraisal periods and their index settings.

Presets, edits (versioned and audited), the monthly periods that open by themselves, and
lookups by code.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring import (
    BEIJING_12345_PERIOD,
    HANGZHOU_PERIOD,
    Dimension,
    IndexSystem,
    PeriodSettings,
    ScoringSettings,
)
from citizenvoice.domain.scoring.settings import CitizenWeights, Indicator
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import Period
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "AppraisalError",
    "beijing_today",
    "current_month_code",
    "ensure_periods",
    "period_by_code",
    "period_settings",
    "settings_json",
    "update_settings",
]


PRESETS: dict[str, tuple[str, PeriodSettings]] = {
    "hangzhou": (
        "杭州综合考评式（社会评价 50 / 目标考核 45 / 领导考评 5 + 创新创优）",
        HANGZHOU_PERIOD,
    ),
    "beijing12345": ("北京12345接诉即办式（响应 10% / 解决 50% / 满意 40%）", BEIJING_12345_PERIOD),
}
DEFAULT_PRESET = "hangzhou"


class AppraisalError(ValueError):
    """An appraisal action that cannot be done (message in Chinese)."""


# --------------------------------------------------------------------------- settings


def settings_json(settings: PeriodSettings, preset: str) -> dict[str, Any]:
    """The JSON form of a period's settings (what is stored, edited and audited)."""
    return {
        "preset": preset,
        "citizen_weights": {
            indicator.value: weight for indicator, weight in settings.scoring.weights.weights
        },
        "basic_satisfied_credit": settings.scoring.basic_satisfied_credit,
        "min_n": settings.scoring.min_n,
        "rating_prior_weight": settings.scoring.rating_prior_weight,
        "dimensions": [[d.code, d.name, d.weight] for d in settings.index.dimensions],
        "bonus_name": settings.index.bonus_name,
        "bonus_cap": settings.index.bonus_cap,
    }


def period_settings(period: Period) -> PeriodSettings:
    """Rebuild the domain settings from the stored JSON (raises AppraisalError if invalid)."""
    raw = period.settings or settings_json(PRESETS[DEFAULT_PRESET][1], DEFAULT_PRESET)
    try:
        weights = CitizenWeights.of(
            {Indicator(k): float(v) for k, v in raw["citizen_weights"].items()}
        )
        scoring = ScoringSettings(
            weights=weights,
            basic_satisfied_credit=float(raw["basic_satisfied_credit"]),
            min_n=int(raw["min_n"]),
            rating_prior_weight=float(raw["rating_prior_weight"]),
        )
        index = IndexSystem(
            dimensions=tuple(Dimension(str(c), str(n), float(w)) for c, n, w in raw["dimensions"]),
            bonus_name=str(raw["bonus_name"]),
            bonus_cap=float(raw["bonus_cap"]),
        )
    except (KeyError, TypeError) as exc:
        raise AppraisalError(f"考核设置不完整：{exc}") from exc
    except ValueError as exc:
        raise AppraisalError(str(exc)) from exc
    return PeriodSettings(scoring, index)


def update_settings(period: Period, new: dict[str, Any], actor: str) -> None:
    """Replace a period's settings after validating them; refused once published. Audited."""
    if period.status == PeriodStatus.PUBLISHED:
        raise AppraisalError("该周期已发布，考核设置已冻结")
    before = period.settings
    period.settings = new
    period_settings(period)  # validates; raises AppraisalError
    period.settings_version = (period.settings_version or 0) + 1
    if period.status == PeriodStatus.COMPUTED:
        # New inputs make the draft result stale: back to open, to be computed again.
        period.status = PeriodStatus.OPEN.value
        period.result_json, period.result_sha256 = None, None
    record(
        actor,
        "period_settings",
        "period",
        period.code,
        {"before": before, "after": new, "version": period.settings_version},
    )
    db.session.flush()


# --------------------------------------------------------------------------- periods


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def ensure_periods(today: date | None = None) -> list[Period]:
    """Create the current month, quarter and year (with the default preset) if missing."""
    today = today or utcnow().astimezone(SHANGHAI).date()
    quarter = (today.month - 1) // 3 + 1
    q_start = date(today.year, 3 * (quarter - 1) + 1, 1)
    q_end = _month_bounds(today.year, 3 * quarter)[1]
    wanted = [
        (
            f"{today.year}-{today.month:02d}",
            f"{today.year}年{today.month}月",
            "month",
            *_month_bounds(today.year, today.month),
        ),
        (f"{today.year}-Q{quarter}", f"{today.year}年第{quarter}季度", "quarter", q_start, q_end),
        (
            f"{today.year}",
            f"{today.year}年度",
            "year",
            date(today.year, 1, 1),
            date(today.year + 1, 1, 1),
        ),
    ]
    out = []
    for code, name, kind, start, end in wanted:
        period = db.session.scalar(select(Period).where(Period.code == code))
        if period is None:
            period = Period(
                code=code,
                name=name,
                kind=kind,
                starts_on=start,
                ends_on=end,
                status=PeriodStatus.OPEN.value,
                settings=settings_json(PRESETS[DEFAULT_PRESET][1], DEFAULT_PRESET),
                settings_version=1,
            )
            db.session.add(period)
        out.append(period)
    db.session.flush()
    return out


def beijing_today() -> date:
    """Today in Beijing (periods are local calendar months)."""
    return utcnow().astimezone(SHANGHAI).date()


def current_month_code(today: date | None = None) -> str | None:
    """The code of the month period that contains today (Asia/Shanghai), if it exists."""
    today = today or beijing_today()
    return db.session.scalar(
        select(Period.code).where(
            Period.kind == "month", Period.starts_on <= today, Period.ends_on > today
        )
    )


def period_by_code(code: str) -> Period:
    """The period with this code, or AppraisalError."""
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        raise AppraisalError(f"考核周期不存在：{code}")
    return period
