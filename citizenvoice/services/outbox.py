"""The transactional outbox: rows written with their cause, claimed by the relay for the queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from citizenvoice.extensions import db
from citizenvoice.models import OutboxMessage, OutboxStatus
from citizenvoice.models.base import utcnow

__all__ = [
    "ANALYSE_TOPIC",
    "STALE_AFTER",
    "claim_relayable",
    "mark_enqueued",
    "mark_pending_enqueued",
    "outbox_backlog",
]

# Outbox topic consumed by the analysis pipeline.
ANALYSE_TOPIC = "analyse_submission"
# An enqueued row is re-checked after this long: its job may have been lost with Redis or a
# worker. Longer than a queue wait under normal load, far shorter than a resident's patience.
STALE_AFTER = timedelta(minutes=2)


def claim_relayable(
    limit: int = 500,
    stale_after: timedelta = STALE_AFTER,
    enqueued_before: datetime | None = None,
) -> list[OutboxMessage]:
    """Lock and return rows to relay: pending ones, and enqueued ones not seen done for a while.

    ``enqueued_before`` replaces the ``stale_after`` rule with a fixed time (the relay uses the
    start of its sweep when Redis has lost its data: every row queued before it).

    On PostgreSQL the rows stay locked (FOR UPDATE SKIP LOCKED) until the caller's transaction
    ends, so two relays never handle the same row; SQLite has one writer at a time anyway.
    """
    cutoff = enqueued_before or utcnow() - stale_after
    query = (
        select(OutboxMessage)
        .where(
            or_(
                OutboxMessage.status == OutboxStatus.PENDING.value,
                and_(
                    OutboxMessage.status == OutboxStatus.ENQUEUED.value,
                    OutboxMessage.enqueued_at < cutoff,
                ),
            )
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(query))


def mark_enqueued(row: OutboxMessage) -> None:
    """Record that the row's job is in the queue now."""
    row.status = OutboxStatus.ENQUEUED.value
    row.enqueued_at = utcnow()
    row.attempts = (row.attempts or 0) + 1


def mark_pending_enqueued(topic: str, aggregate_id: int) -> None:
    """Mark the still pending row of ``topic`` for ``aggregate_id`` enqueued: one UPDATE, no load.

    The same change as :func:`mark_enqueued`, for the submit path, which has no row loaded.
    """
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.topic == topic,
            OutboxMessage.aggregate_id == aggregate_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(
            status=OutboxStatus.ENQUEUED.value,
            enqueued_at=utcnow(),
            attempts=func.coalesce(OutboxMessage.attempts, 0) + 1,
        )
        .execution_options(synchronize_session=False)
    )


def outbox_backlog() -> dict[str, int]:
    """Rows per outbox status (for the queue page)."""
    counts = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    return {str(status): int(count) for status, count in counts}
