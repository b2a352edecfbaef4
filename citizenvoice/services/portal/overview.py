"""The portal's overview: the figures of a published period and the 12-month trend.

Only published periods are offered (a draft result is never public); the intake figures of a
period come from the raw rows of its dates, the appraisal result from its frozen JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.extensions import db
from citizenvoice.models import Period
from citizenvoice.models.base import utcnow
from citizenvoice.services.portal.cache import cached
from citizenvoice.services.portal.figures import WindowFigures, window_figures

__all__ = [
    "TREND_MONTHS",
    "Overview",
    "PublicPeriod",
    "TrendPoint",
    "overview",
    "public_period",
    "published_periods",
    "trend",
]

TREND_MONTHS = 12


@dataclass(frozen=True)
class PublicPeriod:
    """A published period as the portal names it (plain data, cacheable)."""

    code: str
    name: str
    kind: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend: intake and the three public rates in per cent."""

    month: str
    total: int | str
    on_time: float | None
    resolution: float | None
    satisfaction: float | None


@dataclass(frozen=True)
class Overview:
    """The overview page's data."""

    period: PublicPeriod | None
    periods: list[PublicPeriod]
    figures: WindowFigures | None
    trend: list[TrendPoint]


def _public(period: Period) -> PublicPeriod:
    return PublicPeriod(period.code, period.name, period.kind, period.starts_on, period.ends_on)


def published_periods() -> list[PublicPeriod]:
    """Published periods, newest first (months before quarters before years on a tie)."""
    rows = db.session.scalars(
        select(Period)
        .where(Period.status == PeriodStatus.PUBLISHED.value)
        .order_by(Period.ends_on.desc(), Period.starts_on.desc())
    )
    return [_public(p) for p in rows]


def public_period(code: str | None) -> PublicPeriod | None:
    """The published period with this code, or the newest published one; None if none is."""
    periods = published_periods()
    if code:
        return next((p for p in periods if p.code == code), None)
    return periods[0] if periods else None


def _month_start(year: int, month: int) -> date:
    while month <= 0:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def trend(months: int = TREND_MONTHS, today: date | None = None) -> list[TrendPoint]:
    """The last ``months`` calendar months (Beijing), the current one included, oldest first."""
    from citizenvoice.domain.workdays import SHANGHAI

    today = today or utcnow().astimezone(SHANGHAI).date()
    points = []
    for back in range(months - 1, -1, -1):
        start = _month_start(today.year, today.month - back)
        end = (
            _month_start(start.year, start.month + 1)
            if start.month < 12
            else date(start.year + 1, 1, 1)
        )
        figures = window_figures(local_midnight(start), local_midnight(end), detail=False)
        points.append(
            TrendPoint(
                f"{start.year}-{start.month:02d}",
                figures.total,
                figures.on_time.percent,
                figures.resolution.percent,
                figures.satisfaction.percent,
            )
        )
    return points


def overview(code: str | None = None) -> Overview:
    """The overview of a published period (default: the newest) with the 12-month trend."""

    def compute() -> Overview:
        period = public_period(code)
        figures = (
            window_figures(local_midnight(period.starts_on), local_midnight(period.ends_on))
            if period is not None
            else None
        )
        return Overview(period, published_periods(), figures, trend())

    return cached(f"overview:{code or ''}", compute)
