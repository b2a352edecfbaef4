"""Follow-ups whose judgement and comment disagree, kept for the office's integrity review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["JudgementFlag"]


class JudgementFlag(Base):
    """One judgement (满意 / 不满意) whose comment the sentiment model reads as the opposite.

    Both figures are kept as they were when flagged: the judgement (and 1-5 rating, if any)
    and the comment's sentiment score with the model version that gave it. The follow-up
    itself is untouched: a flag is a question for a person, never a rescoring.
    """

    __tablename__ = "judgement_flag"
    __table_args__ = (UniqueConstraint("source", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(24))  # follow_up (survey answers later)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    judgement: Mapped[str] = mapped_column(String(24))
    rating: Mapped[int | None] = mapped_column(Integer)
    sentiment_score: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str | None] = mapped_column(String(200))
    judged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
