"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry
from citizenvoice.models.base import utcnow

__all__ = ["GENESIS_HASH", "ChainBreak", "entry_hash", "record", "verify_chain"]

GENESIS_HASH = "0" * 64


def entry_hash(
    prev_hash: str,
    at_iso: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any],
) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(
        [prev_hash, at_iso, actor, action, subject_type, subject_id, details],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    actor: str,
    action: str,
    subject_type: str,
    subject_id: object,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the chain. Flushes.

    The last entry is read under a row lock (PostgreSQL) so two writers cannot fork the chain;
    the unique hash column catches what a lock cannot (SQLite).
    """
    last = db.session.scalar(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1).with_for_update()
    )
    prev = last.hash if last is not None else GENESIS_HASH
    at = utcnow().replace(microsecond=0)
    payload = dict(details or {})
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=payload,
        prev_hash=prev,
        hash=entry_hash(
            prev, at.isoformat(), actor, action, subject_type, str(subject_id), payload
        ),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain stops holding, and why."""

    entry_id: int
    reason: str


def verify_chain() -> tuple[int, list[ChainBreak]]:
    """Recompute every hash in order; return how many entries were checked and every break."""
    breaks: list[ChainBreak] = []
    prev = GENESIS_HASH
    checked = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        checked += 1
        at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=utcnow().tzinfo)
        expected = entry_hash(
            prev,
            at.isoformat(),
            entry.actor,
            entry.action,
            entry.subject_type,
            entry.subject_id,
            entry.details,
        )
        if entry.prev_hash != prev:
            breaks.append(ChainBreak(entry.id, "prev_hash does not match the previous entry"))
        if entry.hash != expected:
            breaks.append(ChainBreak(entry.id, "content does not match its hash"))
        prev = entry.hash
    return checked, breaks
