"""How the product shows a moment: always Asia/Shanghai, whatever the server's own zone.

Moments are stored and passed around as aware UTC (citizenvoice.models.base.UTCDateTime); every
place a person reads one (pages, the timeline's notes, exports, the API) goes through here so
that a case never shows one deadline in UTC and another in Beijing time. The machine's local
zone (``datetime.astimezone()`` without an argument) is never used: servers often run in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time

from citizenvoice.domain.workdays import SHANGHAI

__all__ = [
    "DISPLAY_FORMAT",
    "EXPORT_ZONE_LABEL",
    "LOCAL_ZONE",
    "iso_local",
    "local_midnight",
    "local_time",
]

LOCAL_ZONE = SHANGHAI
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"
# Said once in every export's time column header, so a spreadsheet is never ambiguous.
EXPORT_ZONE_LABEL = "北京时间 UTC+8"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: its zone is unknown, make it aware first")
    return moment


def local_time(moment: datetime | str, fmt: str = DISPLAY_FORMAT) -> str:
    """``moment`` (aware, or an ISO 8601 string with offset) as Beijing wall time."""
    if isinstance(moment, str):  # JSON-stored times (rectification progress, pending requests)
        moment = datetime.fromisoformat(moment)
    return _aware(moment).astimezone(LOCAL_ZONE).strftime(fmt)


def iso_local(moment: datetime) -> str:
    """ISO 8601 with the +08:00 offset, to the second: the API's one datetime format."""
    return _aware(moment).astimezone(LOCAL_ZONE).isoformat(timespec="seconds")


def local_midnight(day: date) -> datetime:
    """00:00 of ``day`` in Beijing, aware: where a date filter's day starts."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)
