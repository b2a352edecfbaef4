"""The working-day calendar that every time limit is counted on.

China's working days are Monday to Friday, minus the public holidays, plus the weekend days
that the State Council turns into working days to join holidays together (调休). The schedule
is published a year at a time, so it ships as data (``data/holidays_cn.toml``, 2025 and 2026)
that a deployment extends with its own file; a year without data falls back to Monday-Friday
and :meth:`WorkCalendar.covers` reports it, so the gap can be warned about instead of silently
miscounting.

Two ways of counting, both in Asia/Shanghai time (all datetimes must be timezone-aware):

* :meth:`WorkCalendar.add_working_days` counts whole working days the way Chinese law counts
  periods: the day the period starts is not counted (民法典 第二百零一条), and the period ends at
  the close of business of its last day (第二百零三条: 有业务时间的，停止业务活动的时间为截止
  时间). "Within 1 working day" of Friday 16:00 before a holiday is the close of the next
  working day, never Saturday.
* :meth:`WorkCalendar.add_working_time` counts working hours inside the working periods of
  working days; used only for limits given in hours (the 2-hour urgent sign limit). Time
  outside the periods (nights, weekends, holidays, a lunch break if one is configured) does
  not count.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_WORKING_HOURS",
    "SHANGHAI",
    "WorkCalendar",
    "WorkingHours",
    "china_calendar",
    "load_calendar",
]

# Every deadline is a local time in China; the whole country is on one zone with no DST.
SHANGHAI = ZoneInfo("Asia/Shanghai")

# A day shift without a separate lunch break: department inboxes are watched through lunch in
# turns, and one period keeps deadlines easy to explain to residents ("17:00 前"). A deployment
# that closes for lunch configures two periods, e.g. 9:00-12:00 and 13:30-17:30.
DEFAULT_WORKING_PERIODS: tuple[tuple[time, time], ...] = ((time(9, 0), time(17, 0)),)

# No real schedule has more than a few weeks without a working day; a longer run means the
# calendar data is wrong (e.g. a whole year marked as holidays), so stop instead of looping.
_MAX_DAYS_WITHOUT_WORK = 366

_SHIPPED_DATA = "holidays_cn.toml"
# date.weekday(): Monday is 0, so Monday-Friday are 0..4.
_FRIDAY = 4


@dataclass(frozen=True)
class WorkingHours:
    """The working periods of a working day, in local time, ordered and non-overlapping."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_WORKING_PERIODS

    def __post_init__(self) -> None:
        """Refuse empty, reversed, overlapping or timezone-carrying periods."""
        if not self.periods:
            raise ValueError("working hours need at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("working periods are local times without tzinfo")
            if not start < end:
                raise ValueError(f"working period {start}-{end} must end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("working periods must be ordered and must not overlap")
            previous_end = end

    @property
    def opening(self) -> time:
        """When the working day starts."""
        return self.periods[0][0]

    @property
    def closing(self) -> time:
        """When the working day ends: the deadline time of a whole-working-day limit."""
        return self.periods[-1][1]

    @property
    def length(self) -> timedelta:
        """Working time in one working day."""
        return sum(
            (_on(date.min, end) - _on(date.min, start) for start, end in self.periods),
            timedelta(),
        )


DEFAULT_WORKING_HOURS = WorkingHours()


@dataclass(frozen=True)
class WorkCalendar:
    """Working days (weekdays - holidays + make-up days) and working hours in one timezone."""

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    covered_years: frozenset[int] = frozenset()
    hours: WorkingHours = DEFAULT_WORKING_HOURS
    tz: ZoneInfo = SHANGHAI
    names: Mapping[date, str] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False
    )

    def __post_init__(self) -> None:
        """A day cannot be both a holiday and a make-up working day."""
        clash = self.holidays & self.makeup_workdays
        if clash:
            days = ", ".join(d.isoformat() for d in sorted(clash))
            raise ValueError(f"days both holiday and working day: {days}")

    # -- days -------------------------------------------------------------------------------

    def covers(self, day: date) -> bool:
        """Whether the official schedule of ``day``'s year is known (else Monday-Friday)."""
        return day.year in self.covered_years

    def is_working_day(self, day: date) -> bool:
        """A make-up day works, a holiday does not, otherwise Monday to Friday work."""
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() <= _FRIDAY

    def day_name(self, day: date) -> str | None:
        """The Chinese name of a holiday or make-up day (e.g. 春节, 春节调休), else None."""
        return self.names.get(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_DAYS_WITHOUT_WORK + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within a year after {day}: check the calendar data")

    def working_days_between(self, first: date, last: date) -> int:
        """How many working days lie in ``first`` .. ``last``, both included (0 if reversed)."""
        count = 0
        day = first
        while day <= last:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    # -- instants ---------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the calendar's timezone; naive datetimes are refused."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("datetimes must be timezone-aware")
        return moment.astimezone(self.tz)

    def closing_time(self, day: date) -> datetime:
        """Close of business on ``day`` (whether or not it is a working day)."""
        return _on(day, self.hours.closing, self.tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of business on the ``days``-th working day after ``start``'s local date.

        The start day itself never counts, whatever the time of day (民法典 第二百零一条), so
        the result is always on a later date than ``start``.
        """
        if days < 1:
            raise ValueError("count at least one working day")
        day = self.local(start).date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self.closing_time(day)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of working time has passed since ``start``.

        Starting outside working time, the clock starts at the next opening. A duration that
        ends exactly at a period's end gives that end (17:00), not the next opening.
        """
        if duration < timedelta():
            raise ValueError("duration must not be negative")
        cursor = self.local(start)
        if not duration:
            return cursor
        remaining = duration
        day = cursor.date()
        for _ in range(_MAX_DAYS_WITHOUT_WORK + 1):
            if self.is_working_day(day):
                for period_start, period_end in self._periods(day):
                    if cursor >= period_end:
                        continue
                    begin = max(cursor, period_start)
                    available = period_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no working time within a year after {start}: check the calendar")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside ``start`` .. ``end`` (zero when ``end`` is not after ``start``)."""
        first, last = self.local(start), self.local(end)
        total = timedelta()
        day = first.date()
        while day <= last.date():
            if self.is_working_day(day):
                for period_start, period_end in self._periods(day):
                    overlap = min(last, period_end) - max(first, period_start)
                    if overlap > timedelta():
                        total += overlap
            day += timedelta(days=1)
        return total

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(_on(day, s, self.tz), _on(day, e, self.tz)) for s, e in self.hours.periods]


def _on(day: date, at: time, tz: ZoneInfo | None = None) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def _read_schedule(text: str, source: str) -> dict[int, dict[str, Any]]:
    """Parse one schedule file into {year: {"holidays": {date: name}, "workdays": {...}}}."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML ({exc})") from exc
    years: dict[int, dict[str, Any]] = {}
    for key, table in raw.items():
        if not key.isdigit() or not isinstance(table, dict):
            raise ValueError(f"{source}: top-level keys must be years, got {key!r}")
        year = int(key)
        holidays: dict[date, str] = {}
        workdays: dict[date, str] = {}
        for entry in table.get("holiday", []):
            first, last, name = entry["first"], entry["last"], str(entry["name"])
            if type(first) is not date or type(last) is not date or last < first:
                raise ValueError(f"{source}: {year} {name}: first/last must be dates in order")
            day = first
            while day <= last:
                holidays[day] = name
                day += timedelta(days=1)
        for entry in table.get("workday", []):
            day, name = entry["date"], str(entry["name"])
            if type(day) is not date or day.weekday() <= _FRIDAY:
                raise ValueError(f"{source}: {year} {name}: a make-up day is a weekend date")
            workdays[day] = name
        unknown = set(table) - {"holiday", "workday"}
        if unknown:
            raise ValueError(f"{source}: {year}: unknown keys {sorted(unknown)}")
        years[year] = {"holidays": holidays, "workdays": workdays}
    return years


def load_calendar(
    extra: Iterable[Path] = (),
    *,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
    include_shipped: bool = True,
) -> WorkCalendar:
    """Build a calendar from the shipped schedule and a deployment's own files.

    Files are read in order; a year present in a later file replaces that year entirely, so a
    deployment can add next year's schedule or a local holiday without editing shipped data.
    """
    years: dict[int, dict[str, Any]] = {}
    if include_shipped:
        shipped = resources.files("citizenvoice.domain").joinpath("data", _SHIPPED_DATA)
        years.update(_read_schedule(shipped.read_text(encoding="utf-8"), _SHIPPED_DATA))
    for path in extra:
        years.update(_read_schedule(Path(path).read_text(encoding="utf-8"), str(path)))
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for schedule in years.values():
        holidays.update(schedule["holidays"])
        workdays.update(schedule["workdays"])
    return WorkCalendar(
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(workdays),
        covered_years=frozenset(years),
        hours=hours,
        names=MappingProxyType({**holidays, **workdays}),
    )


@cache
def china_calendar() -> WorkCalendar:
    """The shipped mainland China calendar with default working hours (read once)."""
    return load_calendar()
