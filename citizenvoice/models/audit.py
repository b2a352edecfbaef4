"""The append-only, hash-chained audit log: who did what to which record, and when.

Each entry's hash covers its own canonical content and the previous entry's hash, so editing
or deleting any past entry breaks every later link (``flask audit verify`` checks the chain).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["AuditEntry"]


class AuditEntry(Base):
    """One audited action. Never updated or deleted."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
