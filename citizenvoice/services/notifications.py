"""Recording messages to residents when a case changes state, and the office's delivery figures.

Rows are written in the transaction of the step that causes them (the transactional outbox):
a message exists exactly when its step was stored. The sending lives in
citizenvoice.jobs.notifications; this module never decrypts a phone number or an address.

A case gets an ``sms`` row when it has a phone number and an ``email`` row when it has an
e-mail address and the app has a mail relay (``CITIZENVOICE_SMTP_URL``); each contact's keyed
fingerprint is checked against the 退订 table, which holds phone and address fingerprints
alike (an address contains ``@``, a number never does, so they cannot collide).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.feedback import Channel
from citizenvoice.domain.notifications import NotifyEvent
from citizenvoice.domain.workflow import Action, Transition
from citizenvoice.extensions import db
from citizenvoice.models import Notification, NotificationOptOut, NotificationStatus, Submission
from citizenvoice.models.base import utcnow

__all__ = [
    "EMAIL",
    "NEW_IDS_KEY",
    "SMS",
    "delivery_figures",
    "events_of",
    "is_opted_out",
    "opt_out",
    "recipient_hmac",
    "record_event",
    "record_transition",
]

SMS = "sms"
EMAIL = "email"
# Session.info key: ids of rows added in this transaction, sent on once it commits.
NEW_IDS_KEY = "citizenvoice.new_notifications"


def events_of(action: Action, transition: Transition) -> list[NotifyEvent]:
    """The resident-facing events of one workflow step (most steps have none)."""
    events = []
    if action is Action.RETURN:
        events.append(NotifyEvent.RETURNED)
    elif action is Action.APPROVE_EXTENSION:
        events.append(NotifyEvent.EXTENDED)
    elif action is Action.REPLY:
        events.append(NotifyEvent.REPLIED)
    if transition.after.status is CaseStatus.CLOSED and transition.before.status is not (
        CaseStatus.CLOSED
    ):
        events.append(NotifyEvent.CLOSED)
    return events


def is_opted_out(phone_hmac: str | None) -> bool:
    """Whether the number (or address) behind this fingerprint asked for no more messages."""
    if not phone_hmac:
        return False
    return db.session.get(NotificationOptOut, phone_hmac) is not None


def recipient_hmac(case: Submission, channel: str) -> str | None:
    """The fingerprint of the contact a channel sends to: the address for mail, else the phone."""
    return case.contact_email_hmac if channel == EMAIL else case.contact_phone_hmac


def _recipient_channels(case: Submission) -> list[str]:
    if case.anonymous or case.channel == Channel.SEED.value:
        return []  # anonymous means no contact; seeded demo history never sends
    channels = []
    if case.contact_phone_encrypted and not is_opted_out(case.contact_phone_hmac):
        channels.append(SMS)
    # Mail only with a relay: without one every row would just fail with "no channel".
    if (
        case.contact_email_encrypted
        and current_app.config.get("NOTIFY_SMTP_URL")
        and not is_opted_out(case.contact_email_hmac)
    ):
        channels.append(EMAIL)
    return channels


def record_event(case: Submission, event: NotifyEvent, at: datetime | None = None) -> int:
    """Queue the messages of one event of a stored case; returns how many rows were added.

    At most one per (case, event, channel): a second call is a no-op, enforced by the unique
    key. Flushes inside a savepoint, never commits.
    """
    added = 0
    for channel in _recipient_channels(case):
        exists = db.session.scalar(
            select(Notification.id).where(
                Notification.submission_id == case.id,
                Notification.event == event.value,
                Notification.channel == channel,
            )
        )
        if exists is not None:
            continue
        row = Notification(
            submission_id=case.id,
            event=event.value,
            channel=channel,
            status=NotificationStatus.QUEUED.value,
            attempts=0,
            url="",
            department=case.department.name if case.department else None,
            deadline=case.reply_due_at if event is NotifyEvent.EXTENDED else None,
            not_before=at or utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue  # a concurrent step recorded it first
        db.session.info.setdefault(NEW_IDS_KEY, []).append(row.id)
        added += 1
    return added


def record_transition(
    case: Submission, action: Action, transition: Transition, at: datetime
) -> int:
    """Queue the messages a stored workflow step causes (called by services.workflow.perform)."""
    return sum(record_event(case, event, at) for event in events_of(action, transition))


def opt_out(case: Submission) -> bool:
    """Stop every future message to this case's number and address (退订); drop queued ones.

    The 退订 link names the case, not a channel: the resident asked for no more messages, so
    both contacts are recorded, and the open messages of every case sharing either. Flushes.
    """
    fingerprints = [h for h in (case.contact_phone_hmac, case.contact_email_hmac) if h]
    if not fingerprints:
        return False
    for fingerprint in fingerprints:
        if not is_opted_out(fingerprint):
            db.session.add(NotificationOptOut(phone_hmac=fingerprint))
    same_contact = select(Submission.id).where(
        or_(
            Submission.contact_phone_hmac.in_(fingerprints),
            Submission.contact_email_hmac.in_(fingerprints),
        )
    )
    for row in db.session.scalars(
        select(Notification).where(
            Notification.submission_id.in_(same_contact),
            Notification.status.in_(_OPEN),
        )
    ):
        row.status = NotificationStatus.FAILED.value
        row.last_error = "unsubscribed"
    db.session.flush()
    return True


_OPEN: Iterable[str] = (NotificationStatus.QUEUED.value, NotificationStatus.RETRIED.value)


def delivery_figures() -> dict[str, dict[str, int]]:
    """Messages per channel and status, e.g. ``{"sms": {"sent": 3, "queued": 1}}``."""
    figures: dict[str, dict[str, int]] = {}
    for channel, status, count in db.session.execute(
        select(Notification.channel, Notification.status, func.count()).group_by(
            Notification.channel, Notification.status
        )
    ):
        figures.setdefault(str(channel), {})[str(status)] = int(count)
    return figures
