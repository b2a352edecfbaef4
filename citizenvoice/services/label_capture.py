"""Labels the product gives as it is used, captured in the same transaction as the act.

- A staff category correction: a strong category label of the case's text.
- An open 评价 submission with its 1-5 stars: a weak sentiment label of its text
  (1-2 neg, 3 neu, 4-5 pos; domain.label_rows).
- A follow-up judgement with a comment: a weak sentiment label of the comment, from the
  judgement (满意 pos, 基本满意 neu, 不满意 neg); the 1-5 rating is kept beside it.
- A survey answer with a comment (weak, from its rating): only through the backfill
  :func:`collect_existing`, since answers are stored in bulk, anonymously, without ids at hand.

Each captured label is identified by its case (``submission:<id>``) and source, so a later
correction or the judgement of a redone case replaces the earlier label, and capturing again
(:func:`collect_existing`, the backfill) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from citizenvoice.domain.cases import Satisfaction
from citizenvoice.domain.label_rows import sentiment_from_stars
from citizenvoice.domain.labels import LabelKind, LabelSource
from citizenvoice.extensions import db
from citizenvoice.models import CategoryCorrection, FollowUp, Submission, SurveyAnswer
from citizenvoice.models.base import utcnow
from citizenvoice.services.labels import LabelInput, record_labels

__all__ = [
    "SENTIMENT_OF_JUDGEMENT",
    "capture_correction",
    "capture_follow_up",
    "capture_rating",
    "collect_existing",
    "correction_label",
    "follow_up_label",
    "rating_label",
    "survey_label",
]

SENTIMENT_OF_JUDGEMENT = {
    Satisfaction.SATISFIED.value: "pos",
    Satisfaction.BASIC.value: "neu",
    Satisfaction.DISSATISFIED.value: "neg",
}
# A survey answer's rating (比较满意 is still satisfied); 不了解 gives no label.
SENTIMENT_OF_SURVEY_RATING = {
    "satisfied": "pos",
    "fairly": "pos",
    "basic": "neu",
    "dissatisfied": "neg",
}
_BATCH = 500


def _reference(case_id: int) -> str:
    return f"submission:{case_id}"


def correction_label(case: Submission, category: str, user_id: int, at: datetime) -> LabelInput:
    """The strong category label a staff correction gives."""
    return LabelInput(
        kind=LabelKind.CATEGORY,
        source=LabelSource.STAFF_CORRECTION,
        title=case.title or "",
        text=case.text or case.title or "",
        label=category,
        labelled_at=at,
        author=str(user_id),
        submission_id=case.id,
        reference=_reference(case.id),
    )


def rating_label(case: Submission) -> LabelInput | None:
    """The weak sentiment label of an open 评价 with stars and text, else None."""
    if case.kind != "rating" or case.rating is None or not (case.text or "").strip():
        return None
    return LabelInput(
        kind=LabelKind.SENTIMENT,
        source=LabelSource.RATING,
        title=case.title or "",
        text=case.text,
        label=sentiment_from_stars(case.rating),
        raw_value=str(case.rating),
        labelled_at=case.created_at or utcnow(),
        submission_id=case.id,
        reference=_reference(case.id),
    )


def follow_up_label(
    case_id: int, satisfaction: str | None, rating: int | None, comment: str, at: datetime
) -> LabelInput | None:
    """The weak sentiment label of a follow-up's comment, else None (no comment, no judgement)."""
    label = SENTIMENT_OF_JUDGEMENT.get(satisfaction or "")
    if label is None or not (comment or "").strip():
        return None
    return LabelInput(
        kind=LabelKind.SENTIMENT,
        source=LabelSource.FOLLOW_UP,
        text=comment,
        label=label,
        raw_value=f"{satisfaction}/{rating}" if rating is not None else satisfaction,
        labelled_at=at,
        submission_id=case_id,
        reference=_reference(case_id),
    )


def survey_label(answer: SurveyAnswer) -> LabelInput | None:
    """The weak sentiment label of a survey answer's comment, else None.

    Identified by the answer's own id only: survey answers are anonymous by design, and the
    label keeps no link to an invitation or a rater.
    """
    label = SENTIMENT_OF_SURVEY_RATING.get(answer.rating)
    if label is None or not (answer.comment or "").strip():
        return None
    return LabelInput(
        kind=LabelKind.SENTIMENT,
        source=LabelSource.SURVEY,
        text=answer.comment or "",
        label=label,
        raw_value=answer.rating,
        labelled_at=answer.created_at,
        reference=f"survey_answer:{answer.id}",
    )


def capture_correction(case: Submission, correction: CategoryCorrection) -> None:
    """Record a staff correction's label in the caller's transaction."""
    at = correction.created_at or utcnow()
    record_labels([correction_label(case, correction.corrected, correction.user_id, at)])


def capture_rating(case: Submission) -> None:
    """Record an open 评价's stars as a label of its text (nothing for other submissions)."""
    label = rating_label(case)
    if label is not None:
        record_labels([label])


def capture_follow_up(
    case_id: int, satisfaction: str | None, rating: int | None, comment: str, at: datetime
) -> None:
    """Record a follow-up judgement as a label of its comment (nothing without a comment)."""
    label = follow_up_label(case_id, satisfaction, rating, comment, at)
    if label is not None:
        record_labels([label])


def _existing_labels() -> Iterator[LabelInput]:
    """Every label the stored rows give, oldest act first (a later one replaces an earlier)."""
    corrections = select(CategoryCorrection, Submission).join(
        Submission, Submission.id == CategoryCorrection.submission_id
    )
    for correction, case in db.session.execute(corrections.order_by(CategoryCorrection.id)).all():
        yield correction_label(
            case, correction.corrected, correction.user_id, correction.created_at
        )
    ratings = select(Submission).where(Submission.kind == "rating").order_by(Submission.id)
    for case in db.session.scalars(ratings).all():
        label = rating_label(case)
        if label is not None:
            yield label
    for row in db.session.scalars(select(FollowUp).order_by(FollowUp.id)).all():
        found = follow_up_label(
            row.submission_id, row.satisfaction, row.rating, row.comment, row.created_at
        )
        if found is not None:
            yield found
    for answer in db.session.scalars(select(SurveyAnswer).order_by(SurveyAnswer.id)).all():
        from_survey = survey_label(answer)
        if from_survey is not None:
            yield from_survey


def collect_existing() -> int:
    """Capture the labels of every stored correction, 评价 and follow-up; idempotent. Flushes."""
    batch: list[LabelInput] = []
    total = 0
    for label in _existing_labels():
        batch.append(label)
        if len(batch) >= _BATCH:
            total += record_labels(batch)
            batch = []
    total += record_labels(batch)
    db.session.flush()
    return total
