"""Messages to residents (SMS, e-mail): one outbox row per case, event and channel."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["Notification", "NotificationOptOut", "NotificationStatus"]


class NotificationStatus(StrEnum):
    """queued -> sent; a failed attempt that will be tried again is retried; failed is final."""

    QUEUED = "queued"
    RETRIED = "retried"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """One message to a resident. The unique key makes "at most one per event" a fact.

    The recipient is not copied here: the sending job decrypts the case's stored phone
    (services.pii) at the moment of sending, so plaintext never rests in this table.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("submission_id", "event", "channel", name="uq_notification_event"),
        Index("ix_notification_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default=NotificationStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The step's link and facts (url, department, deadline): the text is rendered when sent.
    url: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(200))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationOptOut(Base):
    """A phone number (by its keyed fingerprint) that asked for no more messages (退订)."""

    __tablename__ = "notification_opt_out"

    phone_hmac: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
