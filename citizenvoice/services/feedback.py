"""Submitting and looking up resident feedback, and what its tracking code shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.contact_email import email_key, mask_email
from citizenvoice.domain.feedback import (
    UNKNOWN_DEPARTMENT_MESSAGE,
    Channel,
    FeedbackInput,
    FeedbackValidationError,
    mask_phone,
    validate_feedback,
)
from citizenvoice.domain.notifications import NotifyEvent
from citizenvoice.domain.tracking import lookup_candidates, new_tracking_code
from citizenvoice.domain.workflow import is_public_action
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, OutboxMessage, StatusEvent, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.departments import department_by_code
from citizenvoice.services.label_capture import capture_rating
from citizenvoice.services.notifications import record_event
from citizenvoice.services.outbox import ANALYSE_TOPIC
from citizenvoice.services.pii import PiiProtector
from citizenvoice.services.public_numbers import next_public_number
from citizenvoice.services.redaction import redact_for_public
from citizenvoice.services.workflow import start_case

__all__ = [
    "ANALYSE_TOPIC",
    "PublicEvent",
    "file_feedback",
    "public_timeline",
    "submission_by_tracking_code",
    "submit_feedback",
]

# A clash of 120-bit random codes is practically impossible; retry a few times all the same.
_TRACKING_CODE_ATTEMPTS = 3


def file_feedback(data: Mapping[str, Any], *, channel: Channel, pii: PiiProtector) -> Submission:
    """File raw feedback fields from a form or the API: validate, then store; flush only.

    The one entry point of both channels, so a rule added to either reaches the other. Raises
    FeedbackValidationError with every problem (field -> message) before anything is stored,
    or for an unknown department after the checks of shape.
    """
    return submit_feedback(validate_feedback(dict(data)), channel=channel, pii=pii)


def _contact_columns(feedback: FeedbackInput, pii: PiiProtector) -> dict[str, str | None]:
    """The stored contact: ciphertext, keyed fingerprint and masked form of phone and address."""
    phone, email = feedback.contact_phone, feedback.contact_email
    return {
        "contact_phone_encrypted": pii.encrypt(phone) if phone else None,
        "contact_phone_hmac": pii.fingerprint(phone) if phone else None,
        "contact_phone_masked": mask_phone(phone) if phone else None,
        "contact_email_encrypted": pii.encrypt(email) if email else None,
        "contact_email_hmac": pii.fingerprint(email_key(email)) if email else None,
        "contact_email_masked": mask_email(email) if email else None,
    }


def submit_feedback(feedback: FeedbackInput, *, channel: Channel, pii: PiiProtector) -> Submission:
    """Store a submission, its first timeline event and its outbox row; flush, do not commit.

    Raises FeedbackValidationError when the department code is unknown or inactive.
    """
    department = None
    if feedback.department_code is not None:
        department = department_by_code(feedback.department_code)
        if department is None:
            raise FeedbackValidationError({"department": UNKNOWN_DEPARTMENT_MESSAGE})

    # Taken before the savepoint so a tracking-code retry keeps it (see services.public_numbers).
    now = utcnow()
    public_number = next_public_number(now)
    for attempt in range(_TRACKING_CODE_ATTEMPTS):
        submission = Submission(
            tracking_code=new_tracking_code(),
            kind=feedback.kind.value,
            department=department,
            title=feedback.title,
            text=feedback.text,
            rating=feedback.rating,
            rating_efficiency=feedback.sub_ratings.get("rating_efficiency"),
            rating_attitude=feedback.sub_ratings.get("rating_attitude"),
            rating_result=feedback.sub_ratings.get("rating_result"),
            location=feedback.location,
            latitude=feedback.latitude,
            longitude=feedback.longitude,
            public_consent=feedback.public_consent,
            public_number=public_number,
            created_at=now,
            **_contact_columns(feedback, pii),
            anonymous=feedback.anonymous,
            status=CaseStatus.RECEIVED.value,
            channel=channel.value,
        )
        submission.events.append(StatusEvent(status=CaseStatus.RECEIVED.value, note="诉求已受理"))
        try:
            with db.session.begin_nested():
                db.session.add(submission)
                db.session.flush()
        except IntegrityError:
            if attempt + 1 == _TRACKING_CODE_ATTEMPTS:
                raise
            continue
        _after_store(submission)
        return submission
    raise AssertionError("unreachable")  # pragma: no cover


def _after_store(submission: Submission) -> None:
    """What every new submission gets in its transaction, in this order.

    Its clock, its analysis request, its label (an open 评价's stars label its text, weakly)
    and its 受理 message.
    """
    start_case(submission, submission.created_at)
    db.session.add(
        OutboxMessage(
            topic=ANALYSE_TOPIC,
            aggregate_id=submission.id,
            payload={"submission_id": submission.id},
        )
    )
    db.session.flush()
    capture_rating(submission)
    record_event(submission, NotifyEvent.ACCEPTED, submission.created_at)


def submission_by_tracking_code(code: str) -> Submission | None:
    """Return the submission with this tracking code (events loaded), or None.

    ``code`` is what the resident typed: case, spaces and dashes do not matter for current
    codes (see citizenvoice.domain.tracking); codes of the old format match exactly.
    """
    candidates = lookup_candidates(code)
    if not candidates:
        return None
    return db.session.scalar(
        select(Submission)
        .where(Submission.tracking_code.in_(candidates))
        # Both pages show the department and the category: joined to the one row, so a
        # lookup is two statements (the case, its events) rather than four.
        .options(
            selectinload(Submission.events),
            joinedload(Submission.department),
            joinedload(Submission.analysis).load_only(Analysis.category),
        )
        .limit(1)
    )


@dataclass(frozen=True)
class PublicEvent:
    """One step of a case's timeline as anyone holding the tracking code may read it."""

    status: str
    status_label: str
    note: str
    created_at: datetime


def public_timeline(submission: Submission) -> list[PublicEvent]:
    """The timeline the tracking page and the public API show: one rule for both.

    Internal coordination (notes, 退单 / 转办 / 延期 requests and reasons, 督办 ...) is left
    out by :func:`citizenvoice.domain.workflow.is_public_action`, checked again here on read
    so that a row stored before a rule change cannot leak; notes are masked for the public
    (a resident's follow-up comment may hold a phone or ID number).
    """
    return [
        PublicEvent(
            status=event.status,
            status_label=event.status_label,
            note=redact_for_public(event.note),
            created_at=event.created_at,
        )
        for event in submission.events
        if event.public and is_public_action(event.action)
    ]
