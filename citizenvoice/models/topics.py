"""Topic snapshots: the nightly topic model over recent messages and the hot-issue index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["TopicSnapshot"]


class TopicSnapshot(Base):
    """One fit of the topic model over a window of messages, with hot topics and hot groups.

    ``topics``: [{id, label, words, count}]; ``hot_topics`` / ``hot_groups``: the hot-issue
    index (volume, growth, likes, time span) per topic label and per duplicate group, hottest
    first. The newest snapshot is the current one.
    """

    __tablename__ = "topic_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    documents: Mapped[int] = mapped_column(Integer)
    n_topics: Mapped[int] = mapped_column(Integer)
    model: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # K choice, coherence
    topics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hot_topics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hot_groups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="done")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    hot_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
