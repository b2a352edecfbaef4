"""Open311 API keys and the per-year counter behind public case numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["Open311ApiKey", "PublicNumberCounter"]


class Open311ApiKey(Base):
    """A key an Open311 client sends as ``api_key`` to post requests; only its hash is stored."""

    __tablename__ = "open311_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 of the key (services.open311.keys): a leaked table yields no usable key.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's first characters, so an operator can tell keys apart in ``keys list``.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PublicNumberCounter(Base):
    """The last public case number handed out in a year (Beijing calendar year)."""

    __tablename__ = "public_number_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer)
