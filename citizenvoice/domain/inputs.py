"""Rules for untrusted text arriving in requests: control characters, redirect targets, dates.

Pure functions (no Flask): the web layer applies them once, centrally, to every query
parameter, form field, JSON string and path part (see ``citizenvoice.blueprints.inputs``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "EARLIEST_FILTER_DATE",
    "LATEST_FILTER_DATE",
    "MAX_REDIRECT_LENGTH",
    "DateOutOfRange",
    "clean_text",
    "clean_value",
    "contains_surrogate",
    "has_control_characters",
    "parse_filter_date",
    "safe_redirect_path",
]

# C0 controls except tab, line feed and carriage return (multi-line text keeps its lines; a
# textarea submits CRLF per the HTML spec), DEL, C1 controls, and UTF-16 surrogates: a lone
# surrogate (JSON "\ud800") cannot be encoded as UTF-8, and PostgreSQL refuses NUL in text.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Any control character at all: path parts and redirect targets never need one.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Browsers remove these anywhere in a URL before parsing it (WHATWG URL standard), so
# "/\t/evil.example" is "//evil.example" to them: strip them before judging a target.
_URL_WHITESPACE = re.compile("[\t\n\r]")
MAX_REDIRECT_LENGTH = 2048

# Filter dates outside this range mean nothing for this service and overflow date arithmetic
# (9999-12-31 + 1 day) or time-zone conversion (0001-01-01 minus eight hours).
EARLIEST_FILTER_DATE = date(1970, 1, 1)
LATEST_FILTER_DATE = date(2999, 12, 31)


class DateOutOfRange(ValueError):
    """A well-formed date outside EARLIEST_FILTER_DATE .. LATEST_FILTER_DATE."""


def clean_text(value: str) -> str:
    """``value`` without NUL, other C0/C1 controls (tab and line breaks kept) or surrogates."""
    return _UNWANTED.sub("", value) if _UNWANTED.search(value) else value


def clean_value(value: Any) -> Any:
    """Apply ``clean_text`` to every string inside decoded JSON (keys included)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {clean_value(key): clean_value(item) for key, item in value.items()}
    return value


def contains_surrogate(value: Any) -> bool:
    """True when any string inside decoded JSON (keys included) holds a UTF-16 surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(contains_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(contains_surrogate(k) or contains_surrogate(v) for k, v in value.items())
    return False


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds any control character or surrogate (tab and newline too)."""
    return _ANY_CONTROL.search(value) is not None


def safe_redirect_path(target: str | None) -> str | None:
    """A local path to redirect to after sign-in, or None when ``target`` could leave the site.

    The target is judged as a browser will read it: tabs and line breaks removed, then
    ``urlsplit`` must find neither a scheme nor a host, the path must start with exactly one
    slash, and backslashes (which browsers treat as slashes) or other controls are refused.
    """
    if not target or len(target) > MAX_REDIRECT_LENGTH:
        return None
    normalised = _URL_WHITESPACE.sub("", target).strip(" ")
    if "\\" in normalised or has_control_characters(normalised):
        return None
    parts = urlsplit(normalised)
    if parts.scheme or parts.netloc:
        return None
    if not normalised.startswith("/") or normalised.startswith("//"):
        return None
    return normalised


def parse_filter_date(raw: str | None) -> date | None:
    """A ``YYYY-MM-DD`` filter date; None when empty or malformed (the filter is ignored).

    Raises DateOutOfRange for a real date this service cannot mean (answer 400).
    """
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    if not EARLIEST_FILTER_DATE <= value <= LATEST_FILTER_DATE:
        raise DateOutOfRange(
            f"日期须在 {EARLIEST_FILTER_DATE.isoformat()} 到 {LATEST_FILTER_DATE.isoformat()} 之间"
        )
    return value
