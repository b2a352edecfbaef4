"""The append-only, HMAC-chained audit log: who did what to which record, and when.

Each entry's ``hash`` is an HMAC (key ``CITIZENVOICE_AUDIT_KEY``, never in the database) over
its own canonical content and the previous entry's hash, so editing, inserting or deleting a
past entry breaks every later link, and nobody without the key can recompute them. ``seq`` is
the entry's position in the chain (1, 2, 3 ...): unique, so two writers can never both append
entry N, and the anchor file outside the database records (seq, hash) of every append
(services/audit.py; ``flask audit verify`` checks both).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import utcnow

__all__ = ["AuditEntry"]


class AuditEntry(Base):
    """One audited action. Never updated or deleted."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
