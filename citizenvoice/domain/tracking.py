"""Tracking codes residents use to follow a case: unguessable, URL-safe, fixed length."""

from __future__ import annotations

import re
import secrets

__all__ = [
    "TRACKING_CODE_BYTES",
    "TRACKING_CODE_IN_TEXT",
    "TRACKING_CODE_PATTERN",
    "new_tracking_code",
]

# 18 random bytes = 144 bits (the brief asks for at least 128) -> 24 URL-safe characters.
TRACKING_CODE_BYTES = 18
_CODE = r"[A-Za-z0-9_-]{24}"
_CODE_CHAR = r"[A-Za-z0-9_-]"
TRACKING_CODE_PATTERN = re.compile(rf"^{_CODE}$")
# A code inside other text (a log line, a URL), for redaction and for the tests' log scan; it
# follows the code's format from here, so change both together. A random 24-character code
# lacks a lower- or an upper-case letter with probability ~1e-5, so requiring both keeps
# ordinary identifiers (analyse-submission-12345, hex digests) from being taken for codes.
TRACKING_CODE_IN_TEXT = re.compile(
    rf"(?<!{_CODE_CHAR})(?={_CODE_CHAR}*[a-z])(?={_CODE_CHAR}*[A-Z]){_CODE}(?!{_CODE_CHAR})"
)


def new_tracking_code() -> str:
    """Return a fresh random tracking code from the operating system's CSPRNG."""
    return secrets.token_urlsafe(TRACKING_CODE_BYTES)
