"""The weekly drift report: a week's analyses against the models' reference distributions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["DriftReport"]


class DriftReport(Base):
    """One report per Beijing week (Monday) and kind; a rerun replaces the figures in place.

    The unique constraint on (week_start, kind) is what keeps concurrent runs to one row.
    """

    __tablename__ = "drift_report"
    __table_args__ = (UniqueConstraint("week_start", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(24), default="weekly")
    model_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
