"""The performance office's records.

Periods with their index settings and frozen results, imported dimension scores, rating
reviews (integrity), and rectification tasks (整改).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow
from citizenvoice.models.department import Department

__all__ = ["DimensionScore", "Period", "RatingReview", "RectificationTask"]


class Period(Base):
    """An appraisal period (month, quarter, year): its index settings and, once computed, results.

    ``settings`` holds the index system and citizen-dimension weights (JSON, see
    services.appraisal); every change bumps ``settings_version`` and is audited. Publication
    freezes the canonical result JSON, its SHA-256, the algorithm version and the audit head.
    """

    __tablename__ = "period"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # exclusive
    status: Mapped[str] = mapped_column(String(16), default=PeriodStatus.OPEN.value)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    settings_version: Mapped[int] = mapped_column(Integer, default=1)
    result_json: Mapped[str | None] = mapped_column(Text)
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    algorithm_version: Mapped[str | None] = mapped_column(String(32))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The audit chain's head at publication, "<count>:<head HMAC>": one more copy of the head
    # outside the anchor file, frozen with the result (``flask audit verify`` checks it).
    audit_head: Mapped[str | None] = mapped_column(String(80))

    @property
    def status_enum(self) -> PeriodStatus:
        """The status as an enum (label, frozen or not) for services and templates."""
        return PeriodStatus(self.status)


class DimensionScore(Base):
    """A score of another dimension (目标考核, 领导考评, bonus ...) imported for a department."""

    __tablename__ = "dimension_score"
    __table_args__ = (
        UniqueConstraint("period_id", "department_id", "dimension", name="uq_dimension_score_row"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    dimension: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RatingReview(Base):
    """A rating held for review by an anomaly flag; excluded only with a recorded reason."""

    __tablename__ = "rating_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="held")  # held / excluded / released
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RectificationTask(Base):
    """整改: a task the office opens for a department from a topic or duplicate group."""

    __tablename__ = "rectification_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(Text)
    # What the task is about: a duplicate group id or a keyword (topic label) to match cases.
    source_kind: Mapped[str] = mapped_column(String(16))  # duplicate_group / keyword
    source_value: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / reported / closed
    progress: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department: Mapped[Department] = relationship()
