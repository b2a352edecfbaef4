"""Tracking codes residents use to follow a case: unguessable, URL-safe, fixed length."""

from __future__ import annotations

import re
import secrets

__all__ = ["TRACKING_CODE_BYTES", "TRACKING_CODE_PATTERN", "new_tracking_code"]

# 18 random bytes = 144 bits (the brief asks for at least 128) -> 24 URL-safe characters.
TRACKING_CODE_BYTES = 18
TRACKING_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{24}$")


def new_tracking_code() -> str:
    """Return a fresh random tracking code from the operating system's CSPRNG."""
    return secrets.token_urlsafe(TRACKING_CODE_BYTES)
