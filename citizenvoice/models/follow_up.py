"""Department replies and residents' follow-ups (回访): the raw material of the citizen score."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["CaseReply", "FollowUp"]


class CaseReply(Base):
    """A department's answer to a case, shown to the resident (again after a 重办)."""

    __tablename__ = "case_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # nlp reply-quality check at sending time: score in [0, 1] and its parts and reasons.
    quality_score: Mapped[float | None] = mapped_column(Float)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUp(Base):
    """The resident's one scored judgement of a case, through its tracking code."""

    __tablename__ = "follow_up"
    __table_args__ = (
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction IN ('satisfied', 'basic', 'dissatisfied')",
            name="satisfaction_valid",
        ),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: one follow-up per case, enforced by the database as well as the service.
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # None for a case closed without an answer ("no response"), which counts separately.
    contacted: Mapped[bool | None] = mapped_column(Boolean)
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    # The one scored 1-5 service rating of a case (服务评分), given with the follow-up through the
    # tracking code; open 评价 submissions are shown to departments but never scored.
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    wants_redo: Mapped[bool] = mapped_column(Boolean, default=False)
    no_response: Mapped[bool] = mapped_column(Boolean, default=False)
    # Keyed hash of the client address, for burst detection; never the address itself.
    client_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
