"""The labels store: every training label the product has, from any source (issue 22)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizenvoice.extensions import Base
from citizenvoice.models.base import UTCDateTime, utcnow

__all__ = ["TrainingLabel"]


class TrainingLabel(Base):
    """One label for one text, stored redacted.

    ``text`` is masked as for the public (services.redaction) first: a label store must not
    become a second copy of residents' phone and ID numbers.

    ``label`` is a category code for kind ``category``; for ``sentiment`` it is ``pos``,
    ``neg`` or ``neu`` (stars and judgements are mapped when captured, the raw value is kept in
    ``raw_value``). ``labelled_at`` is when the label was given (an imported row's own time),
    which orders training and evaluation slices; ``created_at`` is when it was stored.
    """

    __tablename__ = "training_label"
    __table_args__ = (Index("ix_training_label_kind_labelled_at", "kind", "labelled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(24))
    strength: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(64))
    raw_value: Mapped[str | None] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    labelled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A staff account's id as text, "import:<file name>", or None for a resident or rater.
    author: Mapped[str | None] = mapped_column(String(200))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id", ondelete="SET NULL"), index=True
    )
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
