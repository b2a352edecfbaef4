"""社会评价 survey records: campaigns, rater groups, invitations and answers.

An invitation stores only the keyed hash of its code and whether it was used; an answer row
carries campaign, group, department, rating, comment and time, and nothing that joins it to an
invitation (no code, no invitation id, no client address).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["SurveyAnswer", "SurveyCampaign", "SurveyGroup", "SurveyHold", "SurveyInvitation"]


class SurveyCampaign(Base):
    """A survey of an appraisal period; draft, open (frozen) or closed.

    ``starts_on`` and ``ends_on`` (exclusive) are Beijing dates; ``scores`` maps the four
    judgements to their score values.
    """

    __tablename__ = "survey_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    preset: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    groups: Mapped[list[SurveyGroup]] = relationship(
        back_populates="campaign", order_by="SurveyGroup.id"
    )


class SurveyGroup(Base):
    """A rater group of a campaign; ``departments`` None means every active department."""

    __tablename__ = "survey_group"
    __table_args__ = (UniqueConstraint("campaign_id", "code", name="uq_survey_group_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float)
    min_n: Mapped[int] = mapped_column(Integer, default=30)
    departments: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    campaign: Mapped[SurveyCampaign] = relationship(back_populates="groups")


class SurveyInvitation(Base):
    """A single-use code, kept only as its keyed hash (HMAC-SHA256), and whether it was used.

    No use time: with the answers' times it would join an invitation to its answers.
    """

    __tablename__ = "survey_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("survey_group.id", ondelete="CASCADE"), index=True
    )
    code_hmac: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyAnswer(Base):
    """One rater's judgement of one department (no link to the invitation, by design)."""

    __tablename__ = "survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("survey_group.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    rating: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveyHold(Base):
    """A batch of a group's answers under the office's review.

    For one department, or one hour window (``starts_at`` to ``ends_at``, UTC), or both.

    ``held`` and ``excluded`` answers are left out of every survey figure; ``released`` ones
    count again. Excluding needs a reason. Matched by scope, never by rater (there is no link).
    """

    __tablename__ = "survey_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("survey_campaign.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("survey_group.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="held")
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
