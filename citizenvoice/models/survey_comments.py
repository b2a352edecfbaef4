"""What nlp made of a survey comment, and the 整改 tasks opened from groups of comments.

``survey_comment_analysis`` is keyed by the answer's id (one row per analysed comment, so the
analysis is idempotent: only answers without a row are analysed). It holds the redacted,
normalised text the pages show, never the stored comment again. ``survey_comment_task`` links a
comment group (campaign, department, category) to the one task opened from it; its unique
constraint is what makes a double click open exactly one task.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["SurveyCommentAnalysis", "SurveyCommentTask"]


class SurveyCommentAnalysis(Base):
    """nlp's reading of one answer's comment; ``category`` None when there was nothing to read."""

    __tablename__ = "survey_comment_analysis"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("survey_answer.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    sentiment: Mapped[float | None] = mapped_column(Float)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    model_version: Mapped[str] = mapped_column(String(200))
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveyCommentTask(Base):
    """The 整改 task opened from one comment group of a campaign (at most one per group)."""

    __tablename__ = "survey_comment_task"
    __table_args__ = (
        UniqueConstraint(
            "campaign_id", "department_id", "category", name="uq_survey_comment_task_group"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    category: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_task.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
