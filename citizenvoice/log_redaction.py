"""Keep personal data and tracking codes out of every log line the product writes.

A tracking code is a bearer secret (whoever has it reads the case and can answer its
follow-up), and phone numbers, e-mail addresses and ID numbers are personal data: none may
appear in a log, an access log included. Request paths carry codes (``/track/<code>``,
``/api/v1/feedback/<code>``), and an error's message or traceback can carry what a resident
typed. So every log record is redacted where it is made: :func:`install_log_redaction` wraps
the process's log-record factory, which covers every logger (the app's, werkzeug's request
log, gunicorn's error and access logs, RQ's worker) whatever its handlers, and also puts
:class:`RedactingFilter` on those named loggers in case another library replaces the factory
later. The patterns live here (phone, e-mail address and ID number) and in
:mod:`citizenvoice.domain.tracking` (the code's format); the test suite's log scan uses the
same ones.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from citizenvoice.domain.tracking import TRACKING_CODE_IN_TEXT

__all__ = [
    "EMAIL_IN_TEXT",
    "ID_NUMBER_IN_TEXT",
    "PHONE_IN_TEXT",
    "REDACTED_LOGGERS",
    "SENSITIVE_PATTERNS",
    "TRACKING_CODE_IN_TEXT",
    "RedactingFilter",
    "install_log_redaction",
    "redact_log_text",
    "redact_record",
]

# A mainland mobile number, optionally with +86 and spaces or dashes in the usual places.
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
# A resident ID number: 17 digits and a digit or X (no checksum test: redact the look-alikes too).
ID_NUMBER_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# An e-mail address: a local part, "@", and a domain ending in a letters-only top-level domain
# (so "postgres@127.0.0.1" in a database address is not taken for one).
EMAIL_IN_TEXT = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])"
)
# Routes whose path segment is a tracking or survey invitation code, and the lookup form's
# query parameter: redacted whatever the code looks like, so an old or mistyped code is not
# logged either.
_CODE_IN_PATH = re.compile(r"(/(?:track|submitted|feedback|survey|surveys)/)[^/\s?#\"'<>]+")
_CODE_IN_QUERY = re.compile(r"([?&](?:code|tracking_code)=)[^&\s#\"'<>]+")

# What the suite's log scan looks for, one home for the names and patterns.
SENSITIVE_PATTERNS: dict[str, re.Pattern[str]] = {
    "phone number": PHONE_IN_TEXT,
    "e-mail address": EMAIL_IN_TEXT,
    "ID number": ID_NUMBER_IN_TEXT,
    "tracking code": TRACKING_CODE_IN_TEXT,
}

# Loggers that also get the filter itself (the record factory already covers them).
REDACTED_LOGGERS = (
    "",
    "citizenvoice",
    "citizenvoice.access",
    "citizenvoice.jobs",
    "citizenvoice.worker",
    "werkzeug",
    "gunicorn.error",
    "gunicorn.access",
    "rq",
    "rq.worker",
    "rq.scheduler",
    "sqlalchemy.engine",
)

_CODE_PLACEHOLDER = "[code]"


def redact_log_text(text: str) -> str:
    """The text with tracking codes, ID numbers, e-mail addresses and phone numbers replaced."""
    if not text:
        return text
    text = _CODE_IN_PATH.sub(rf"\g<1>{_CODE_PLACEHOLDER}", text)
    text = _CODE_IN_QUERY.sub(rf"\g<1>{_CODE_PLACEHOLDER}", text)
    text = TRACKING_CODE_IN_TEXT.sub(_CODE_PLACEHOLDER, text)
    text = ID_NUMBER_IN_TEXT.sub("[id-number]", text)
    text = EMAIL_IN_TEXT.sub("[email]", text)
    return PHONE_IN_TEXT.sub("[phone]", text)


def redact_record(record: logging.LogRecord) -> None:
    """Redact a record in place: its message (arguments merged in), traceback and stack."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error reporting
        return
    clean = redact_log_text(message)
    if clean != message or record.args:
        record.msg, record.args = clean, ()
    if record.exc_info and not record.exc_text:
        # Formatted now, so the traceback's text (exception messages, SQL) is redacted too;
        # formatters reuse exc_text instead of formatting the exception again.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact_log_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_log_text(record.stack_info)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record in place and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record``; always keep it."""
        redact_record(record)
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Redact every log record of this process from now on; calling it again changes nothing."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "citizenvoice_redacting", False):

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = factory(*args, **kwargs)
            redact_record(record)
            return record

        redacting_factory.citizenvoice_redacting = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
