"""Open311 GeoReport v2 rules that need no database: statuses, ids, filters and their errors.

The HTTP layer hands in the query string as a plain mapping and gets back a
:class:`RequestFilters` or an :class:`Open311Error` with the spec's code and an English or
Chinese description; the services run the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.localtime import LOCAL_ZONE

__all__ = [
    "DEFAULT_DAYS",
    "MAX_IDS",
    "MAX_PAGE_SIZE",
    "OPEN311_STATUSES",
    "PUBLIC_NUMBER_PATTERN",
    "Open311Error",
    "RequestFilters",
    "open311_status",
    "parse_filters",
    "parse_ids",
]

#: Listings without dates cover the last 90 days (the spec's default).
DEFAULT_DAYS = 90
#: At most this many requests in one answer (the spec's limit), also the default page size.
MAX_PAGE_SIZE = 1000
#: At most this many ids in one ``service_request_id`` list.
MAX_IDS = 100
OPEN311_STATUSES = ("open", "closed")
#: A public case number, the Open311 service_request_id: ``2026-000123``.
PUBLIC_NUMBER_PATTERN = re.compile(r"[0-9]{4}-[0-9]{6}")
_MAX_PARAM_LENGTH = 4000
_SPACE_OFFSET = re.compile(r"T[0-9:.]+ [0-9]{2}:[0-9]{2}$")
_SERVICE_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,32}")


class Open311Error(ValueError):
    """A request the spec answers with an error: ``code`` is the HTTP status too."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def open311_status(status: str) -> str:
    """受理 .. 答复 (and a returned or followed-up case) are ``open``; 办结 is ``closed``."""
    return "closed" if status == CaseStatus.CLOSED.value else "open"


@dataclass(frozen=True)
class RequestFilters:
    """A validated ``GET requests`` query: the window, codes and statuses, and the page."""

    start: datetime
    end: datetime
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def parse_ids(raw: str) -> list[str]:
    """The well-formed public numbers in a comma list, in order, without repeats.

    Malformed entries are dropped: they match no case, like an unknown number.
    """
    if len(raw) > _MAX_PARAM_LENGTH:
        raise Open311Error(400, "service_request_id: too many ids")
    ids: list[str] = []
    for part in raw.split(","):
        value = part.strip()
        if PUBLIC_NUMBER_PATTERN.fullmatch(value) and value not in ids:
            ids.append(value)
    if len(ids) > MAX_IDS:
        raise Open311Error(400, f"service_request_id: at most {MAX_IDS} ids")
    return ids


def _parse_moment(name: str, raw: str) -> datetime:
    """A W3C / ISO 8601 datetime; one without an offset is Beijing time; a bare date is 00:00."""
    value = raw.strip()
    # An unencoded "+08:00" in a query string arrives as " 08:00": read it as the client meant.
    if _SPACE_OFFSET.search(raw):
        value = raw[:-6] + "+" + raw[-5:]
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        if len(value) > 40:
            raise ValueError
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Open311Error(
            400, f"{name}: not an ISO 8601 datetime (e.g. 2026-01-01T00:00:00+08:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return moment


def _parse_positive(name: str, raw: str | None, default: int, maximum: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise Open311Error(400, f"{name}: a positive integer is required")
    return min(int(value), maximum)


def _comma_list(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    if len(raw) > _MAX_PARAM_LENGTH:
        raise Open311Error(400, "parameter too long")
    return tuple(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))


def parse_filters(args: Mapping[str, str], now: datetime) -> RequestFilters:
    """Read start_date, end_date, service_code, status, page and page_size (all optional).

    Without dates the window is the last 90 days; with one date it is the 90 days after the
    start or before the end. Raises Open311Error (400) on a malformed value.
    """
    start_raw, end_raw = args.get("start_date"), args.get("end_date")
    end = _parse_moment("end_date", end_raw) if end_raw else None
    start = _parse_moment("start_date", start_raw) if start_raw else None
    if start is None and end is None:
        end, start = now, now - timedelta(days=DEFAULT_DAYS)
    elif start is None:
        assert end is not None
        start = end - timedelta(days=DEFAULT_DAYS)
    elif end is None:
        end = start + timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    codes = _comma_list(args.get("service_code"))
    if any(not _SERVICE_CODE.fullmatch(code) for code in codes):
        raise Open311Error(400, "service_code: unknown service code")
    statuses = _comma_list(args.get("status"))
    if any(status not in OPEN311_STATUSES for status in statuses):
        raise Open311Error(400, "status: use open, closed or both (comma separated)")
    return RequestFilters(
        start=start,
        end=end,
        service_codes=codes,
        statuses=statuses,
        page=_parse_positive("page", args.get("page"), 1, 10**6),
        page_size=_parse_positive("page_size", args.get("page_size"), MAX_PAGE_SIZE, MAX_PAGE_SIZE),
    )
