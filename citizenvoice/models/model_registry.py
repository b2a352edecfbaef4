"""The model registry: every trained version of the category and sentiment models (issue 22)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["ModelVersion"]


class ModelVersion(Base):
    """One trained model version and its files under the instance folder.

    ``status`` is ``champion`` (the one the analysis uses; at most one per kind, enforced by a
    partial unique index so two promotions at once cannot both win), ``challenger`` (trained,
    not promoted) or ``retired``. No champion row for a kind means the shipped model is the
    champion. ``dir`` is the absolute directory of the files; ``checksums`` their SHA-256 by
    file name, checked before a promotion. ``metrics`` hold the gold dev split and newest-slice
    figures of the version and of the champion it was trained against. ``rolled_back_at`` marks
    a version a rollback took out, so a later rollback does not return to it.
    """

    __tablename__ = "model_version"
    __table_args__ = (
        Index(
            "uq_model_version_one_champion",
            "kind",
            unique=True,
            postgresql_where=text("status = 'champion'"),
            sqlite_where=text("status = 'champion'"),
        ),
        Index("ix_model_version_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="challenger")
    dir: Mapped[str] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checksums: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
