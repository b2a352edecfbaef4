"""Writing and verifying the keyed, anchored audit chain.

Three things make the chain hold (README, "Audit log", has the threat model):

* **Serialised appends.** ``record`` first takes the chain's lock for the rest of the
  transaction: ``pg_advisory_xact_lock`` on PostgreSQL, an immediate (write-locked) transaction
  on SQLite, where a plain ``SELECT`` takes no lock and pysqlite only opens the transaction at
  the first write. Only then does it read the head, so two writers can never both extend the
  same head (before, eight concurrent requests forked it or hit the unique hash). The lock is
  released by the commit or rollback. ``audit_entry.seq`` is unique as a last line of defence.
* **A key.** Each entry's ``hash`` is HMAC-SHA256 under ``CITIZENVOICE_AUDIT_KEY`` (never in
  the database), so whoever edits rows cannot recompute the hashes after them.
* **An anchor outside the database.** Every committed append adds the line ``<seq> <hash>`` to
  an append-only file (``CITIZENVOICE_AUDIT_ANCHOR``); a publication also freezes the head in
  ``period.audit_head``. Deleting the newest rows, or every row, leaves the anchor ahead of
  the database, and rewriting the chain with the key changes heads the anchor already holds.

Why the anchor line is written *after* commit (a session ``after_commit`` hook) and not inside
the transaction: an append whose transaction rolls back must leave no trace, or the next append
of the same position would contradict the anchor and ``verify`` would cry tamper when nobody
did. Writing after commit means the anchor only ever names committed entries. The price is a
window: a process that dies between its commit and its anchor write leaves its newest entries
unanchored; ``verify`` reports them as such (a warning, not a break) and they are anchored by
position from the next append on, because every later anchored head covers them through the
chain. Lines from concurrent processes can reach the file out of order, so ``verify`` reads
the anchor as a set of (position, head) pairs that the chain must reproduce, not a sequence.
Writers serialise on an exclusive ``flock`` of the file and fsync each append.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry, Period
from citizenvoice.models.base import utcnow

__all__ = [
    "GENESIS_HASH",
    "AuditSettings",
    "ChainBreak",
    "ChainReport",
    "chain_head",
    "entry_hash",
    "init_app",
    "read_anchor",
    "record",
    "verify_chain",
]

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# One fixed key for PostgreSQL's advisory lock: "CVAUDIT" in ASCII, unlikely to collide.
ADVISORY_LOCK_KEY = 0x43564155444954
_PENDING_ANCHOR = "citizenvoice.audit.pending_anchor"
_EXTENSION = "citizenvoice.audit"


@dataclass(frozen=True)
class AuditSettings:
    """The chain's key (bytes, from the environment) and its anchor file's path."""

    key: bytes = field(repr=False)
    anchor: Path


def init_app(app: Flask) -> None:
    """Attach the audit key and anchor path to the app; refuse to run without a key."""
    key = app.config.get("AUDIT_KEY")
    if not key:
        raise RuntimeError("CITIZENVOICE_AUDIT_KEY is not set")
    anchor = app.config.get("AUDIT_ANCHOR") or str(
        Path(app.instance_path) / "citizenvoice.audit-anchor"
    )
    app.extensions[_EXTENSION] = AuditSettings(key=str(key).encode("utf-8"), anchor=Path(anchor))


def _settings() -> AuditSettings:
    settings: AuditSettings = current_app.extensions[_EXTENSION]
    return settings


def entry_hash(
    key: bytes,
    prev_hash: str,
    at_iso: str,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any],
) -> str:
    """HMAC-SHA256 under ``key`` over the previous hash and the entry's canonical JSON."""
    canonical = json.dumps(
        [prev_hash, at_iso, actor, action, subject_type, subject_id, details],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _unkeyed_hash(fields: tuple[str, str, str, str, str, str, dict[str, Any]]) -> str:
    """The plain SHA-256 of entries written before the chain was keyed (to name them)."""
    canonical = json.dumps(list(fields), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    """Hold the chain's append lock until this transaction ends (see the module docstring)."""
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    elif dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        # pysqlite opens a transaction only before a write, so one already open holds the write
        # lock; otherwise take it now, waiting (busy timeout) for the writer before us.
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def record(
    actor: str,
    action: str,
    subject_type: str,
    subject_id: object,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the chain under the chain lock. Flushes.

    The anchor line for the entry is written when the transaction commits, and never if it
    rolls back.
    """
    settings = _settings()
    _lock_chain()
    last = db.session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    prev, seq = (last.hash, last.seq + 1) if last is not None else (GENESIS_HASH, 1)
    at = utcnow().replace(microsecond=0)
    payload = dict(details or {})
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=payload,
        prev_hash=prev,
        hash=entry_hash(
            settings.key,
            prev,
            at.isoformat(),
            actor,
            action,
            subject_type,
            str(subject_id),
            payload,
        ),
    )
    db.session.add(entry)
    db.session.flush()
    db.session.info.setdefault(_PENDING_ANCHOR, []).append((settings.anchor, seq, entry.hash))
    return entry


def chain_head(entry: AuditEntry) -> str:
    """The head after ``entry`` as stored with a publication: ``"<count>:<HMAC>"``."""
    return f"{entry.seq}:{entry.hash}"


def _append_anchor(path: Path, lines: Iterable[tuple[int, str]]) -> None:
    """Append ``<seq> <hash>`` lines to the anchor file: O_APPEND, exclusive flock, fsync."""
    data = "".join(f"{seq} {head}\n" for seq, head in lines).encode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)  # closing releases the flock


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    """Write the anchor lines of the appends this transaction committed."""
    pending: list[tuple[Path, int, str]] | None = session.info.pop(_PENDING_ANCHOR, None)
    if not pending:
        return
    by_file: dict[Path, list[tuple[int, str]]] = {}
    for path, seq, head in pending:
        by_file.setdefault(path, []).append((seq, head))
    for path, lines in by_file.items():
        try:
            _append_anchor(path, lines)
        except OSError as exc:
            # The entries are committed; failing the request now would not undo them. The
            # unanchored tail shows in `flask audit verify` until the next append covers it.
            log.error("audit anchor not written: file=%s error=%s", path, exc.strerror)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    """A rolled-back append never reaches the anchor."""
    session.info.pop(_PENDING_ANCHOR, None)


@dataclass(frozen=True)
class ChainBreak:
    """Where the chain stops holding, and why."""

    entry_id: int | None
    reason: str


@dataclass
class ChainReport:
    """What ``verify_chain`` found: entries checked, breaks, and the anchor's coverage."""

    checked: int = 0
    breaks: list[ChainBreak] = field(default_factory=list)
    anchored: int = 0  # the highest position the anchor file records
    anchor_lines: int = 0

    @property
    def unanchored(self) -> int:
        """Newest entries the anchor does not name yet (a crash between commit and anchor)."""
        return max(0, self.checked - self.anchored)


def read_anchor(path: Path) -> tuple[dict[int, set[str]], list[str]]:
    """The anchor as {position: heads} and the problems found reading it."""
    heads: dict[int, set[str]] = {}
    problems: list[str] = []
    with path.open("r", encoding="ascii", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
                problems.append(f"anchor line {number} is malformed")
                continue
            heads.setdefault(int(parts[0]), set()).add(parts[1])
    return heads, problems


def verify_chain() -> ChainReport:
    """Recompute every HMAC in order and hold the chain against its anchor and publications.

    Breaks: a position out of place (a row deleted or inserted), a link or HMAC that does not
    match, an anchored or published head that differs, an anchor that names more entries than
    the database holds, a missing or malformed anchor while entries exist.
    """
    settings = _settings()
    report = ChainReport()
    anchor: dict[int, set[str]] = {}
    anchor_present = settings.anchor.exists()
    if anchor_present:
        anchor, problems = read_anchor(settings.anchor)
        report.breaks.extend(ChainBreak(None, problem) for problem in problems)
        report.anchored = max(anchor, default=0)
        report.anchor_lines = sum(len(v) for v in anchor.values())
    published = _published_heads()

    prev = GENESIS_HASH
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq, AuditEntry.id)):
        report.checked += 1
        report.breaks.extend(
            _entry_breaks(entry, report.checked, prev, settings.key, anchor, published)
        )
        prev = entry.hash

    if report.anchored > report.checked:
        report.breaks.append(
            ChainBreak(
                None,
                f"the anchor file records {report.anchored} entries but the database holds "
                f"{report.checked}: entries were deleted",
            )
        )
    for position, heads in published.items():
        if position > report.checked:
            codes = ", ".join(code for code, _ in heads)
            report.breaks.append(
                ChainBreak(None, f"{codes} was published at entry {position}, past the chain's end")
            )
    if report.checked and not anchor_present:
        report.breaks.append(ChainBreak(None, f"the anchor file {settings.anchor} is missing"))
    return report


def _entry_breaks(
    entry: AuditEntry,
    position: int,
    prev: str,
    key: bytes,
    anchor: dict[int, set[str]],
    published: dict[int, list[tuple[str, str]]],
) -> list[ChainBreak]:
    """What is wrong with the entry at ``position`` whose predecessor's hash is ``prev``."""
    breaks: list[ChainBreak] = []
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=utcnow().tzinfo)
    expected_fields = (
        prev,
        at.isoformat(),
        entry.actor,
        entry.action,
        entry.subject_type,
        entry.subject_id,
        entry.details,
    )
    expected = entry_hash(key, *expected_fields)
    if entry.seq != position:
        breaks.append(ChainBreak(entry.id, f"position {entry.seq} found where {position} belongs"))
    if entry.prev_hash != prev:
        breaks.append(ChainBreak(entry.id, "prev_hash does not match the previous entry"))
    if not hmac.compare_digest(entry.hash, expected):
        legacy = entry.hash == _unkeyed_hash(expected_fields)
        breaks.append(
            ChainBreak(
                entry.id,
                "written before the chain was keyed (plain SHA-256, no HMAC)"
                if legacy
                else "content does not match its HMAC",
            )
        )
    if position in anchor and anchor[position] != {entry.hash}:
        breaks.append(ChainBreak(entry.id, "differs from the head in the anchor file"))
    for period_code, head in published.get(position, []):
        if head != entry.hash:
            breaks.append(
                ChainBreak(entry.id, f"differs from the head published with {period_code}")
            )
    return breaks


def _published_heads() -> dict[int, list[tuple[str, str]]]:
    """{position: [(period code, head)]} of every publication that froze a head."""
    heads: dict[int, list[tuple[str, str]]] = {}
    rows = db.session.execute(
        select(Period.code, Period.audit_head).where(Period.audit_head.is_not(None))
    )
    for code, value in rows:
        count, _, head = (value or "").partition(":")
        if count.isdigit():
            heads.setdefault(int(count), []).append((code, head))
    return heads
