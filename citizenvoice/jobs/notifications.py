"""Sending residents' messages: one job per message, a sweep for due ones, in-process fallback.

The job claims its outbox row (citizenvoice.models.Notification) under a row lock, decrypts
the recipient (the phone for ``sms``, the e-mail address for ``email``) only here, renders the
text with its links, and records the outcome: sent with the provider's id, retried later with
back-off, or failed for good. The row's attempt is committed before the provider is called, so
a crash mid-send is never silently repeated many times, and a sent row is never sent again. No
log line carries the phone, the address, the text or a tracking code.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from citizenvoice.domain.notifications import (
    SMS_MAX_CHARS,
    NotifyEvent,
    QuietHours,
    parse_quiet_hours,
    render_text,
    sign_token,
)
from citizenvoice.domain.timelimits import follow_up_due_at
from citizenvoice.extensions import db
from citizenvoice.jobs.base import app_context, log_job
from citizenvoice.models import Notification, NotificationStatus, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.notifications import EMAIL, SMS, is_opted_out, recipient_hmac
from citizenvoice.services.notify_channels import ChannelError, OutgoingMessage, Sender
from citizenvoice.services.notify_channels import channel_from_url as _channel_from_url
from citizenvoice.services.workflow import snapshot_of

__all__ = [
    "FOLLOW_UP_PURPOSE",
    "MAX_ATTEMPTS",
    "UNSUBSCRIBE_PURPOSE",
    "channels_for",
    "send_due",
    "send_due_job",
    "send_notification",
    "send_notification_job",
]

log = logging.getLogger("citizenvoice.jobs")

FOLLOW_UP_PURPOSE = "follow-up"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
# Five attempts over about 15 minutes ride out a provider's short outage; then it is failed.
MAX_ATTEMPTS = 5
_BACKOFF = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=4))
_OPEN = (NotificationStatus.QUEUED.value, NotificationStatus.RETRIED.value)
# Longer than any provider call (10 s timeout): a process that died mid-send is retried after.
_SENDING_LEASE = timedelta(minutes=2)
# An e-mail's text bound: generous (no SMS segments), still finite.
MAIL_MAX_CHARS = 2000


def channels_for(app: Flask) -> dict[str, Sender]:
    """The configured channels by name (``sms``; e-mail when a relay is set)."""
    cached: dict[str, Sender] | None = app.extensions.get("citizenvoice.notify_channels")
    if cached is not None:
        return cached
    channels: dict[str, Sender] = {}
    if app.config.get("NOTIFY_SMS_URL"):
        channels[SMS] = _channel_from_url(app.config["NOTIFY_SMS_URL"])
    if app.config.get("NOTIFY_SMTP_URL"):
        channels[EMAIL] = _channel_from_url(
            app.config["NOTIFY_SMTP_URL"], app.config.get("NOTIFY_MAIL_FROM", "noreply@localhost")
        )
    app.extensions["citizenvoice.notify_channels"] = channels
    return channels


def _link(app: Flask, path: str) -> str:
    return (app.config.get("PUBLIC_BASE_URL") or "") + path


def _compose(app: Flask, row: Notification, case: Submission, now: datetime) -> tuple[str, str]:
    """The message text and its link; the follow-up link expires with the follow-up window."""
    secret = app.config["SECRET_KEY"]
    event = NotifyEvent(row.event)
    url = _link(app, f"/track/{case.tracking_code}")
    if event is NotifyEvent.REPLIED:
        expires = follow_up_due_at(snapshot_of(case)) or now + timedelta(days=7)
        url = _link(app, "/f/" + sign_token(secret, FOLLOW_UP_PURPOSE, case.id, expires))
    unsubscribe = _link(app, "/u/" + sign_token(secret, UNSUBSCRIBE_PURPOSE, case.id))
    text = render_text(
        event,
        url=url,
        department=row.department,
        deadline=row.deadline,
        unsubscribe_url=unsubscribe,
        # Mail has no segments: the full department name and both links, always.
        max_chars=MAIL_MAX_CHARS if row.channel == EMAIL else SMS_MAX_CHARS,
    )
    return text, url


def _claim(notification_id: int, now: datetime) -> Notification | None:
    row = db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .with_for_update(skip_locked=True)
    )
    if row is None or row.status not in _OPEN or row.not_before > now:
        return None
    return row


def send_notification(
    notification_id: int, now: datetime | None = None, quiet: QuietHours | None = None
) -> str:
    """Try to send one message; returns its status afterwards (or ``skipped``/``deferred``)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    moment = now or utcnow()
    quiet = quiet or parse_quiet_hours(app.config.get("NOTIFY_QUIET_HOURS", "22-8"))
    row = _claim(notification_id, moment)
    if row is None:
        db.session.rollback()
        return "skipped"
    allowed = quiet.next_allowed(moment)
    if allowed > moment:
        row.not_before = allowed  # quiet hours: the morning sweep sends it
        db.session.commit()
        return "deferred"
    case = db.session.get(Submission, row.submission_id)
    channel = channels_for(app).get(row.channel)
    if case is None or channel is None or is_opted_out(recipient_hmac(case, row.channel)):
        row.status = NotificationStatus.FAILED.value
        row.last_error = "no channel" if channel is None else "no recipient"
        db.session.commit()
        return row.status
    text, url = _compose(app, row, case, moment)
    row.attempts = (row.attempts or 0) + 1
    row.url = url
    # A lease: the row lock ends with this commit, so a racing job or sweep would claim the
    # still-open row and send it again; the outcome below replaces this moment.
    row.not_before = moment + _SENDING_LEASE
    db.session.commit()  # the attempt is on record before the provider hears of it
    return _deliver(app, row, case, channel, text, moment)


def _deliver(
    app: Flask, row: Notification, case: Submission, channel: Sender, text: str, now: datetime
) -> str:
    pii = app.extensions["citizenvoice.pii"]
    try:
        # The one place the recipient exists in clear, for the length of this call.
        encrypted = case.contact_email_encrypted if row.channel == EMAIL else None
        recipient = pii.decrypt(encrypted or case.contact_phone_encrypted or "")
        provider_id = channel.send(
            OutgoingMessage(to=recipient, text=text, event=row.event, case=case.id, url=row.url)
        )
    except ChannelError as exc:
        final = not exc.retryable or row.attempts >= MAX_ATTEMPTS
        row.status = (NotificationStatus.FAILED if final else NotificationStatus.RETRIED).value
        row.last_error = exc.reason[:200]
        delay = _BACKOFF[min(row.attempts - 1, len(_BACKOFF) - 1)]
        row.not_before = now + delay
        db.session.commit()
        log.warning("notification %s %s: %s", row.id, row.status, exc.reason)
        return row.status
    row.status = NotificationStatus.SENT.value
    row.provider_message_id = provider_id[:100]
    row.sent_at = utcnow()
    row.last_error = None
    db.session.commit()
    return row.status


def due_ids(now: datetime, limit: int = 200) -> list[int]:
    """Ids of open messages whose time has come, oldest first."""
    return list(
        db.session.scalars(
            select(Notification.id)
            .where(Notification.status.in_(_OPEN), Notification.not_before <= now)
            .order_by(Notification.not_before, Notification.id)
            .limit(limit)
        )
    )


def send_due(now: datetime | None = None, quiet: QuietHours | None = None) -> dict[str, int]:
    """Send every due message here, one by one; counts per outcome."""
    moment = now or utcnow()
    counts: dict[str, int] = {}
    ids = due_ids(moment)
    db.session.rollback()
    for notification_id in ids:
        status = send_notification(notification_id, moment, quiet)
        counts[status] = counts.get(status, 0) + 1
    return counts


def send_notification_job(notification_id: int) -> str:
    """RQ job: send one message (queued by the web after commit, or by the sweep)."""
    started = time.perf_counter()
    with app_context():
        status = send_notification(notification_id)
        db.session.remove()
    log_job("send_notification", started, notification=notification_id, status=status)
    return status


def send_due_job() -> dict[str, Any]:
    """Periodic sweep: due messages (after quiet hours, after a back-off, after an outage)."""
    started = time.perf_counter()
    with app_context():
        counts = send_due()
        db.session.remove()
    log_job("send_due_notifications", started, **counts)
    return counts
