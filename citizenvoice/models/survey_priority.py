"""The survey's priority question: candidate issues of a campaign and raters' picks.

A pick row carries campaign, group, candidate and time, never the invitation, its code or the
client address: picks are as unlinkable as the answers. A candidate may be turned into one
整改 task (``task_id``, unique), never more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["SurveyPriority", "SurveyPriorityPick"]


class SurveyPriority(Base):
    """A candidate issue for the next period, proposed by the office (title + one line).

    ``source_kind`` / ``source_value`` record where it came from (a hot topic's keyword or a
    duplicate group), to prefill the 整改 task's source; None for a hand-written candidate.
    """

    __tablename__ = "survey_priority"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(200), default="")
    source_kind: Mapped[str | None] = mapped_column(String(16))
    source_value: Mapped[str | None] = mapped_column(String(100))
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_task.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveyPriorityPick(Base):
    """One rater's pick of one candidate (no link to the invitation, by design)."""

    __tablename__ = "survey_priority_pick"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("survey_group.id", ondelete="CASCADE"))
    priority_id: Mapped[int] = mapped_column(
        ForeignKey("survey_priority.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
