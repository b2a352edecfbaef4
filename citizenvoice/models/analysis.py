"""Text-mining results: one analysis row per submission, and the category-to-department routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["Analysis", "CategoryNode", "CategoryRoute", "DuplicateBand"]


class Analysis(Base):
    """What nlp/ found in one submission; upserted by submission id (jobs may run twice)."""

    __tablename__ = "analysis"
    __table_args__ = (
        # Inbox filters: each index also holds submission_id, so counting a filtered inbox
        # joins to submission without reading this wide table (index-only scans).
        Index("ix_analysis_category_submission", "category", "submission_id"),
        Index("ix_analysis_sentiment_submission", "sentiment_label", "submission_id"),
        Index("ix_analysis_urgent_submission", "urgent", "submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), unique=True
    )
    model_version: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(32))
    category_confidence: Mapped[float | None] = mapped_column(Float)
    category_top3: Mapped[list[Any]] = mapped_column(JSON, default=list)
    category_uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    sentiment: Mapped[float | None] = mapped_column(Float)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgency_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    redacted_text: Mapped[str] = mapped_column(Text, default="")
    duplicate_group: Mapped[str | None] = mapped_column(String(40), index=True)
    # MinHash signature (uint32 little-endian): groups can be recomputed without the text.
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Title and text segmented with the government dictionary, space-separated: the staff's
    # keyword search runs on it (PostgreSQL full text on a generated tsvector; LIKE on SQLite).
    # Label of the message's topic in the newest topic snapshot (nightly refresh).
    topic_label: Mapped[str | None] = mapped_column(String(100), index=True)
    search_tokens: Mapped[str] = mapped_column(Text, default="", server_default="")
    timings_ms: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DuplicateBand(Base):
    """One LSH band bucket of a submission's MinHash: shared buckets make duplicate candidates."""

    __tablename__ = "duplicate_band"
    __table_args__ = (Index("ix_duplicate_band_band_bucket", "band", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), index=True
    )
    band: Mapped[int] = mapped_column(SmallInteger)
    bucket: Mapped[int] = mapped_column(BigInteger)


class CategoryRoute(Base):
    """Which department handles a first-level category when the resident chose 不确定."""

    __tablename__ = "category_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))


class CategoryNode(Base):
    """One node of the centre's own category tree (``flask taxonomy import``).

    ``label`` is what the classifier learns and the analysis stores (the name, qualified by its
    parents where the name repeats); a node with a department is also a ``category_route``.
    """

    __tablename__ = "category_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(32), unique=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL")
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
