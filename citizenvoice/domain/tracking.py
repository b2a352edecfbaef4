"""Tracking codes residents use to follow a case: unguessable, and easy to read out and type.

A code is 24 characters of Crockford base32 (digits and upper-case letters without I, L, O
and U, so nothing looks like anything else), 5 bits each: 120 random bits from the operating
system's CSPRNG. It is stored and shown in groups of four, ``K7Q2-9XMD-4HRT-0VNE-WC3B-8FJY``,
29 characters (the column holds 32).

Residents copy codes by hand, read them over the phone and type them on phones that start
sentences with a capital letter, so a lookup forgives case, dashes, spaces, full-width
characters from a Chinese input method, and the look-alikes Crockford defines (I and L are 1,
O is 0). Codes issued before this format (24 URL-safe base64 characters, case-sensitive) are
still found exactly as they were stored.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

__all__ = [
    "LEGACY_TRACKING_CODE_PATTERN",
    "TRACKING_CODE_ALPHABET",
    "TRACKING_CODE_BITS",
    "TRACKING_CODE_CHARS",
    "TRACKING_CODE_GROUP",
    "TRACKING_CODE_IN_TEXT",
    "TRACKING_CODE_PATTERN",
    "format_tracking_code",
    "lookup_candidates",
    "new_tracking_code",
]

TRACKING_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
TRACKING_CODE_CHARS = 24
TRACKING_CODE_BITS = TRACKING_CODE_CHARS * 5  # 120: the floor
TRACKING_CODE_GROUP = 4
#: The stored (and displayed) form of a new code.
TRACKING_CODE_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){5}$")
#: Codes issued before the readable format: secrets.token_urlsafe(18), matched exactly.
LEGACY_TRACKING_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{24}$")

_C = "[0-9A-HJKMNP-TV-Z]"  # one Crockford character, as stored
_LEGACY = "[A-Za-z0-9_-]"
#: A code, of either format, inside other text (a log line, a URL): for log redaction and the
#: test suite's log scan, so it must follow the formats above. Grouped or compact (as typed),
#: and legacy codes; a random legacy code lacks a lower- or an upper-case letter with
#: probability ~1e-5, so requiring both keeps identifiers such as analyse-submission-12345 or
#: hex digests from being taken for codes.
TRACKING_CODE_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-z_-])(?:{_C}{{4}}(?:-{_C}{{4}}){{5}}|{_C}{{24}})(?![0-9A-Za-z_-])"
    rf"|(?<!{_LEGACY})(?={_LEGACY}*[a-z])(?={_LEGACY}*[A-Z]){_LEGACY}{{24}}(?!{_LEGACY})"
)

# What a resident may type between or around the characters: spaces of every kind (the
# ideographic space of a Chinese keyboard too) and dashes of every kind.
_SEPARATORS = re.compile(r"[\s\u2010-\u2015\u2212\uff0d_-]+")
# Crockford's decoding of look-alikes, applied after upper-casing.
_LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
_ALPHABET_SET = frozenset(TRACKING_CODE_ALPHABET)
# Longer input cannot be a code; checking first keeps normalisation cheap on junk.
_MAX_INPUT = 80


def new_tracking_code() -> str:
    """Return a fresh random tracking code in its stored, grouped form."""
    raw = "".join(secrets.choice(TRACKING_CODE_ALPHABET) for _ in range(TRACKING_CODE_CHARS))
    return format_tracking_code(raw)


def format_tracking_code(compact: str) -> str:
    """Group 24 code characters in fours with dashes (the stored and displayed form)."""
    return "-".join(
        compact[i : i + TRACKING_CODE_GROUP] for i in range(0, len(compact), TRACKING_CODE_GROUP)
    )


def lookup_candidates(typed: str) -> tuple[str, ...]:
    """The stored codes ``typed`` can mean: a new code normalised, and/or a legacy code as is.

    Returns an empty tuple when the input cannot be any code (nothing to look up).
    """
    if not isinstance(typed, str) or len(typed) > _MAX_INPUT:
        return ()
    # NFKC turns full-width letters, digits and dashes of a Chinese input method into ASCII.
    text = unicodedata.normalize("NFKC", typed)
    candidates: list[str] = []
    legacy = re.sub(r"\s+", "", text)
    if LEGACY_TRACKING_CODE_PATTERN.fullmatch(legacy):
        candidates.append(legacy)
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    if len(compact) == TRACKING_CODE_CHARS and set(compact) <= _ALPHABET_SET:
        grouped = format_tracking_code(compact)
        if grouped not in candidates:
            candidates.append(grouped)
    return tuple(candidates)
