"""The labels store: recording training labels from any source and reading them for training.

Every source goes through ``record_labels``, so the rules hold once: texts are redacted before
they are stored, each label gets its strength from its source (citizenvoice.domain.labels), and
recording the same label again (a re-import, a repeated capture) changes the stored row instead
of adding a second one. The write is one INSERT ... ON CONFLICT per batch, so two imports of one
file running at once end with one row per label on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from citizenvoice.domain.inputs import clean_text
from citizenvoice.domain.labels import LabelKind, LabelSource, label_key, strength_of
from citizenvoice.extensions import db
from citizenvoice.models import TrainingLabel
from citizenvoice.models.base import utcnow
from citizenvoice.services.bulk import upsert_rows
from citizenvoice.services.redaction import redact_for_public

__all__ = ["LabelInput", "count_labels", "labels_for_training", "record_labels"]

# Rows per INSERT: far below SQLite's 32,766 bound parameters at 11 columns a row.
_BATCH = 500


@dataclass(frozen=True)
class LabelInput:
    """One label as a source hands it over; ``reference`` identifies the labelled thing.

    ``reference`` is e.g. ``"submission:42"`` for a case or the imported row's own id; leave it
    empty when only the text identifies what was labelled.
    """

    kind: LabelKind
    source: LabelSource
    text: str
    label: str
    labelled_at: datetime
    title: str = ""
    raw_value: str | None = None
    weight: float = 1.0
    author: str | None = None
    submission_id: int | None = None
    reference: str = ""


def _row(item: LabelInput, now: datetime) -> dict[str, Any]:
    # Control characters go (PostgreSQL refuses NUL in text); line breaks and the rest stay.
    text = redact_for_public(clean_text(item.text))
    title = redact_for_public(clean_text(item.title)) if item.title else ""
    return {
        "kind": item.kind.value,
        "source": item.source.value,
        "strength": strength_of(item.source).value,
        "title": title,
        "text": text,
        "label": clean_text(item.label),
        "raw_value": item.raw_value,
        "weight": item.weight,
        "labelled_at": item.labelled_at,
        "author": item.author,
        "submission_id": item.submission_id,
        "key": label_key(item.kind.value, item.source.value, item.reference, text),
        "created_at": now,
    }


def record_labels(items: Sequence[LabelInput]) -> int:
    """Store ``items`` in the caller's transaction; returns how many rows were written.

    A label whose key is already stored replaces that row's label, weight, time and author
    (the later decision wins); the caller commits.
    """
    if not items:
        return 0
    now = utcnow()
    rows = [_row(item, now) for item in items]
    # One batch must not name a key twice (ON CONFLICT cannot touch a row twice): last one wins.
    unique = list({row["key"]: row for row in rows}.values())
    upsert_rows(
        TrainingLabel.__table__,
        unique,
        "key",
        ("label", "raw_value", "weight", "labelled_at", "author", "title"),
        batch=_BATCH,
    )
    return len(unique)


def labels_for_training(
    kind: LabelKind, until: datetime | None = None, strength: str | None = None
) -> list[TrainingLabel]:
    """Labels of ``kind`` in the order they were given (oldest first), up to ``until``.

    Time order is what lets training hold out the newest labels as an evaluation slice.
    """
    query = select(TrainingLabel).where(TrainingLabel.kind == kind.value)
    if until is not None:
        query = query.where(TrainingLabel.labelled_at < until)
    if strength is not None:
        query = query.where(TrainingLabel.strength == strength)
    query = query.order_by(TrainingLabel.labelled_at, TrainingLabel.id)
    return list(db.session.scalars(query))


def count_labels() -> dict[tuple[str, str, str], int]:
    """Stored labels by (kind, source, strength), for the office and ``labels`` CLI summaries."""
    query = select(
        TrainingLabel.kind, TrainingLabel.source, TrainingLabel.strength, func.count()
    ).group_by(TrainingLabel.kind, TrainingLabel.source, TrainingLabel.strength)
    return {(kind, source, strength): n for kind, source, strength, n in db.session.execute(query)}
