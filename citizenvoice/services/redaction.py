"""Personal data in the free texts people read: masked at display time, by one function.

Residents type phone and ID numbers wherever there is a box: the title, the location, the
follow-up comment; staff sometimes copy them into notes and reasons. Every view, export and
API answer that shows such a text passes it through :func:`redact_free_text` with its
audience; nothing renders a stored free text directly.

Why at display time and not as stored redacted copies: the main text is stored as typed (the
analysis, search and re-analysis need it) and only its display is masked (the analysis keeps
``redacted_text``); title and location sit in the same row, so encrypting them alone would not
change what a database reader sees, while masking at display time covers old rows without a
migration and keeps one rule for every text. The rule itself is nlp's (``nlp.redact``), so the
kinds it recognises (mobile and landline numbers, ID and bank card numbers, e-mail, plates,
house numbers) are found the same way as in the main text.

What each audience keeps of a piece of personal data (length and separators are kept, so the
reader still sees that a number was there):

- ``Audience.STAFF``: a phone number's last four digits (enough to match a caller), nothing
  else: ``*******5678``, ``****-****5678``; ID numbers ``******************``.
- ``Audience.PUBLIC``: no digit or letter of any of them.

Besides what nlp recognises, any run of eleven or more digits (an ID number with a wrong check
digit, a phone number typed with a digit too many) is masked whole for both audiences: phones
and IDs have at least eleven digits, dates and amounts rarely do, and masking too much is the
safe side.
"""

from __future__ import annotations

import re
from enum import StrEnum

import nlp

__all__ = ["Audience", "redact_for_public", "redact_for_staff", "redact_free_text"]

# Kinds of nlp.redact whose last four digits staff may keep (to tell a caller's number).
_PHONE_KINDS = frozenset({"mobile", "landline"})
# How many trailing digits of a phone number staff may read.
STAFF_PHONE_DIGITS_KEPT = 4
# Unrecognised long digit runs (see the module docstring), optionally ending in an ID's X.
_LONG_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{11,}[Xx]?(?![0-9A-Za-z])")
_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")


class Audience(StrEnum):
    """Who reads the text: signed-in staff, or anyone (tracking page, public API)."""

    STAFF = "staff"
    PUBLIC = "public"


def _mask_span(piece: str, keep_last_digits: int) -> str:
    """Replace every ASCII digit and letter of ``piece`` by the mask, but the last digits kept."""
    digits_seen = 0
    total_digits = sum(ch.isascii() and ch.isdigit() for ch in piece)
    out = []
    for ch in piece:
        if ch.isascii() and ch.isdigit():
            digits_seen += 1
            out.append(ch if digits_seen > total_digits - keep_last_digits else nlp.MASK)
        elif _ASCII_ALNUM.fullmatch(ch):
            out.append(nlp.MASK)
        else:
            out.append(ch)
    return "".join(out)


def redact_free_text(text: str | None, audience: Audience) -> str:
    """Return ``text`` with every piece of personal data masked for ``audience``.

    Length is preserved. ``None`` (a column never filled) reads as an empty string.
    """
    if not text:
        return ""
    chars = list(text)
    for span in nlp.redact(text).spans:
        keep = (
            STAFF_PHONE_DIGITS_KEPT
            if (audience is Audience.STAFF and span.kind in _PHONE_KINDS)
            else 0
        )
        chars[span.start : span.end] = _mask_span(text[span.start : span.end], keep)
    masked = "".join(chars)
    return _LONG_DIGIT_RUN.sub(lambda m: nlp.MASK * len(m.group()), masked)


def redact_for_staff(text: str | None) -> str:
    """The text as staff may read it (workspace pages, exports): see :class:`Audience`."""
    return redact_free_text(text, Audience.STAFF)


def redact_for_public(text: str | None) -> str:
    """The text as anyone with a tracking code may read it: no digit of personal data."""
    return redact_free_text(text, Audience.PUBLIC)
