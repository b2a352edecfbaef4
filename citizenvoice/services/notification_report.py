"""The office's view of messages to residents: delivery per channel and event, and queue time.

Queue time is measured from the moment a message was allowed to leave (its step was stored, or
the quiet hours ended) to the moment the provider accepted it: the night-time hold is a rule,
not a delay, so it is left out. Computed over the sent messages of a recent window, which keeps
the query bounded however long the product has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from citizenvoice.extensions import db
from citizenvoice.models import Notification, NotificationOptOut, NotificationStatus
from citizenvoice.models.base import utcnow

__all__ = ["DeliveryReport", "QueueTime", "delivery_report"]

STATUSES = ("sent", "queued", "retried", "failed")


@dataclass(frozen=True)
class QueueTime:
    """Seconds from "may leave" to "sent" for one channel: median, 95th percentile, count."""

    channel: str
    n: int
    p50_seconds: float
    p95_seconds: float


@dataclass(frozen=True)
class DeliveryReport:
    """Counts by channel and by event (status -> n), opt-outs, and queue times per channel."""

    by_channel: dict[str, dict[str, int]]
    by_event: dict[str, dict[str, int]]
    opt_outs: int
    queue_times: list[QueueTime]
    window_days: int


def _counts(column: InstrumentedAttribute[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    query = select(column, Notification.status, func.count()).group_by(column, Notification.status)
    for key, status, n in db.session.execute(query):
        counts.setdefault(str(key), {})[str(status)] = int(n)
    return counts


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list (no interpolation: an observed value)."""
    rank = max(1, -(-len(ordered) * share // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def _queue_times(since: datetime) -> list[QueueTime]:
    waits: dict[str, list[float]] = {}
    query = select(
        Notification.channel, Notification.created_at, Notification.not_before, Notification.sent_at
    ).where(Notification.status == NotificationStatus.SENT.value, Notification.sent_at >= since)
    for channel, created_at, not_before, sent_at in db.session.execute(query):
        allowed = max(created_at, not_before)
        waits.setdefault(str(channel), []).append(max(0.0, (sent_at - allowed).total_seconds()))
    return [
        QueueTime(channel, len(values), _percentile(values, 0.5), _percentile(values, 0.95))
        for channel, values in sorted((c, sorted(v)) for c, v in waits.items())
    ]


def delivery_report(window_days: int = 30) -> DeliveryReport:
    """Delivery figures for the office page; queue times over the last ``window_days``."""
    return DeliveryReport(
        by_channel=_counts(Notification.channel),
        by_event=_counts(Notification.event),
        opt_outs=int(db.session.scalar(select(func.count()).select_from(NotificationOptOut)) or 0),
        queue_times=_queue_times(utcnow() - timedelta(days=window_days)),
        window_days=window_days,
    )
