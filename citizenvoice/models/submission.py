"""Submissions (complaints, ratings, suggestions) and their timeline of status events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizenvoice.domain.analysis import AnalysisStatus, Routing
from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.feedback import Channel, FeedbackKind
from citizenvoice.extensions import Base
from citizenvoice.models.analysis import Analysis
from citizenvoice.models.base import UTCDateTime, utcnow
from citizenvoice.models.department import Department

__all__ = ["StatusEvent", "Submission"]


class Submission(Base):
    """One piece of resident feedback and the case it becomes."""

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint("kind IN ('complaint', 'rating', 'suggestion')", name="kind_valid"),
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        CheckConstraint("kind <> 'rating' OR rating IS NOT NULL", name="rating_required"),
        # The department inbox: its newest page is a plain backward scan (id breaks ties in
        # the ORDER BY), and counts join to analysis from this index alone (index-only scan).
        Index("ix_submission_department_created_id", "department_id", "created_at", "id"),
        # Overdue cases: a case in progress whose reply deadline has passed (see
        # services.cases.overdue_condition); the reply_due_at index alone serves date ranges.
        Index("ix_submission_status_reply_due", "status", "reply_due_at"),
        # Public listings (Open311 requests, the portal): consented cases only, newest first.
        Index(
            "ix_submission_public_created_id",
            "created_at",
            "id",
            postgresql_where=text("public_consent"),
            sqlite_where=text("public_consent = 1"),
        ),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="long_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_efficiency: Mapped[int | None] = mapped_column(Integer)
    rating_attitude: Mapped[int | None] = mapped_column(Integer)
    rating_result: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(200), default="")
    # Contact phone: Fernet ciphertext, a keyed HMAC for de-duplication, and the masked form.
    contact_phone_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_phone_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_phone_masked: Mapped[str | None] = mapped_column(String(16))
    # Contact e-mail (migration 0025), kept the same way: ciphertext, keyed HMAC of the
    # lower-cased address (the 退订 key), and the masked form staff see (z***@example.com).
    contact_email_encrypted: Mapped[str | None] = mapped_column(Text)
    contact_email_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_email_masked: Mapped[str | None] = mapped_column(String(260))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24), default=CaseStatus.RECEIVED.value, index=True)
    channel: Mapped[str] = mapped_column(String(16), default=Channel.WEB.value)
    # The resident's choice to let the case be shown publicly (同意公开), redacted; off by default.
    public_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Where it happened, from the browser's geolocation or an Open311 client (WGS-84 degrees).
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # The public case number (2026-000123): printable anywhere, unlike the secret tracking code,
    # and the Open311 service_request_id. Assigned at intake (services.public_numbers).
    public_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    # Text mining: pending -> done, or failed after its retries (visible to staff, retryable).
    analysis_status: Mapped[str] = mapped_column(
        String(16),
        default=AnalysisStatus.PENDING.value,
        server_default=AnalysisStatus.PENDING.value,
        index=True,
    )
    # How the department was chosen: by the resident, by the classifier, or left to the office.
    routing: Mapped[str] = mapped_column(
        String(16), default=Routing.RESIDENT.value, server_default=Routing.RESIDENT.value
    )

    # Workflow state (a stored citizenvoice.domain.cases.CaseSnapshot; see services.workflow).
    # Deadlines are stored, not recomputed: an approved extension moves them, and the inbox
    # sorts and filters on them.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    is_complex: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sign_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closure: Mapped[str | None] = mapped_column(String(16))
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    extensions_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    supervise_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    redo_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    department: Mapped[Department | None] = relationship()
    analysis: Mapped[Analysis | None] = relationship(uselist=False, viewonly=True)
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="submission", order_by="StatusEvent.id", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        """Chinese name of the kind."""
        return FeedbackKind(self.kind).label

    @property
    def status_label(self) -> str:
        """Chinese name of the status."""
        return CaseStatus(self.status).label


class StatusEvent(Base):
    """One step on a case's timeline (受理, 签收, 答复 ...), shown to the resident."""

    __tablename__ = "status_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(24))
    # The workflow action that made this event (citizenvoice.domain.workflow.Action), if any.
    action: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    # Shown on the resident's tracking page; internal coordination (notes, requests) is not.
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    actor: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="events")

    @property
    def status_label(self) -> str:
        """Chinese name of the status."""
        return CaseStatus(self.status).label
