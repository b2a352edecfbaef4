"""Photos residents attach to a complaint or suggestion (issue 23).

A row is made when an upload has been decoded, re-encoded and stored; it is attached to a case
once (``submission_id`` set by a single conditional UPDATE, see services.media). Stored names
are random and never derived from anything a client sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["Media"]


class Media(Base):
    """One photo: its public id (a bearer secret until attached), stored files and case."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_unattached_created", "submission_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the API answers as media_id and what photo addresses carry: 128 random bits.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    stored_name: Mapped[str] = mapped_column(String(80))
    thumb_name: Mapped[str] = mapped_column(String(80))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
