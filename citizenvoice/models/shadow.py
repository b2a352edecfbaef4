"""Shadow mode: a challenger model scoring new messages beside the champion (issue 22)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["ModelShadow", "ShadowPrediction"]


class ModelShadow(Base):
    """The shadow of one kind: ``version`` scores new messages until ``until``.

    The kind is the primary key, so there is at most one shadow per kind even when two office
    staff start one at the same moment (the second start replaces the first, or conflicts).
    """

    __tablename__ = "model_shadow"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))


class ShadowPrediction(Base):
    """The challenger's label and confidence for one new analysis, beside the champion's.

    Never read by routing: the analysis row stays the champion's.
    """

    __tablename__ = "shadow_prediction"
    __table_args__ = (
        UniqueConstraint("submission_id", "version"),
        Index("ix_shadow_prediction_version", "version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    champion_label: Mapped[str | None] = mapped_column(String(64))
    champion_confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
