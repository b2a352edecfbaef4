"""The working-day calendar: the shipped State Council schedules, extension files, counting."""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.workdays import (
    SHANGHAI,
    WorkCalendar,
    WorkingHours,
    china_calendar,
    load_calendar,
)

CAL = china_calendar()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# The notices as published: (first, last) of each holiday and the make-up working days.
HOLIDAYS_2025 = [
    (date(2025, 1, 1), date(2025, 1, 1)),
    (date(2025, 1, 28), date(2025, 2, 4)),
    (date(2025, 4, 4), date(2025, 4, 6)),
    (date(2025, 5, 1), date(2025, 5, 5)),
    (date(2025, 5, 31), date(2025, 6, 2)),
    (date(2025, 10, 1), date(2025, 10, 8)),
]
WORKDAYS_2025 = [
    date(2025, 1, 26),
    date(2025, 2, 8),
    date(2025, 4, 27),
    date(2025, 9, 28),
    date(2025, 10, 11),
]
HOLIDAYS_2026 = [
    (date(2026, 1, 1), date(2026, 1, 3)),
    (date(2026, 2, 15), date(2026, 2, 23)),
    (date(2026, 4, 4), date(2026, 4, 6)),
    (date(2026, 5, 1), date(2026, 5, 5)),
    (date(2026, 6, 19), date(2026, 6, 21)),
    (date(2026, 9, 25), date(2026, 9, 27)),
    (date(2026, 10, 1), date(2026, 10, 7)),
]
WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def test_shipped_schedule_is_exactly_the_notices_of_2025_and_2026():
    expected_holidays = set().union(*(days(a, b) for a, b in HOLIDAYS_2025 + HOLIDAYS_2026))
    assert CAL.holidays == expected_holidays
    assert CAL.makeup_workdays == set(WORKDAYS_2025 + WORKDAYS_2026)
    assert CAL.covered_years == {2025, 2026}
    # 2025: 1 + 8 + 3 + 5 + 3 + 8 days off; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7.
    assert sum(d.year == 2025 for d in CAL.holidays) == 28
    assert sum(d.year == 2026 for d in CAL.holidays) == 33


def test_make_up_working_days_fall_on_weekends_and_work():
    for day in WORKDAYS_2025 + WORKDAYS_2026:
        assert day.weekday() >= 5, day
        assert CAL.is_working_day(day)


def test_every_holiday_is_a_day_off_with_its_name():
    for day in CAL.holidays:
        assert not CAL.is_working_day(day)
    assert CAL.day_name(date(2026, 2, 17)) == "春节"
    assert CAL.day_name(date(2026, 2, 14)) == "春节调休"
    assert CAL.day_name(date(2025, 10, 6)) == "国庆节、中秋节"
    assert CAL.day_name(date(2026, 3, 10)) is None


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 2), False),  # Friday in the New Year holiday
        (date(2026, 1, 4), True),  # Sunday, 调休
        (date(2026, 2, 13), True),  # ordinary Friday
        (date(2026, 2, 14), True),  # Saturday, 调休 before the Spring Festival
        (date(2026, 2, 16), False),  # Monday, 除夕
        (date(2026, 2, 23), False),  # Monday, last day of the Spring Festival
        (date(2026, 2, 24), True),
        (date(2026, 3, 7), False),  # ordinary Saturday
        (date(2026, 10, 8), True),  # 2026's National Day ends on the 7th
        (date(2025, 10, 8), False),  # 2025's joint National Day / Mid-Autumn ran to the 8th
        (date(2025, 1, 26), True),  # Sunday, 调休
    ],
)
def test_working_days_are_weekdays_minus_holidays_plus_make_up_days(day, working):
    assert CAL.is_working_day(day) is working


def test_years_without_a_schedule_fall_back_to_monday_to_friday_and_say_so():
    assert CAL.covers(date(2026, 12, 31))
    assert not CAL.covers(date(2027, 1, 1))
    assert not CAL.is_working_day(date(2027, 1, 2))  # Saturday
    assert CAL.is_working_day(date(2027, 1, 1))  # Friday: no data, so a working day


def test_a_deployment_file_adds_a_year_and_replaces_a_shipped_year(tmp_path: Path):
    extra = tmp_path / "local.toml"
    extra.write_text(
        """
[[2027.holiday]]
name = "元旦"
first = 2027-01-01
last = 2027-01-01

[[2026.holiday]]
name = "本地节日"
first = 2026-03-10
last = 2026-03-10
""",
        encoding="utf-8",
    )
    calendar = load_calendar([extra])
    assert calendar.covers(date(2027, 6, 1))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2026, 3, 10))
    # The 2026 table was replaced as a whole: the Spring Festival is no longer in it.
    assert calendar.is_working_day(date(2026, 2, 16))
    assert not calendar.is_working_day(date(2026, 2, 14))
    assert not calendar.is_working_day(date(2025, 1, 28))  # 2025 untouched


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[2026.workday]]\nname = "x"\ndate = 2026-03-10\n', "weekend"),
        ('[[2026.holiday]]\nname = "x"\nfirst = 2026-03-10\nlast = 2026-03-09\n', "in order"),
        ('[[2026.holiday]]\nname = "x"\nfirst = 2026-03-10T09:00:00\nlast = 2026-03-10\n', "dates"),
        ('[[2026.vacation]]\nname = "x"\n', "unknown keys"),
        ('[[spring.holiday]]\nname = "x"\n', "years"),
        ("not = [valid", "TOML"),
    ],
)
def test_malformed_calendar_files_are_refused_with_the_reason(tmp_path: Path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_calendar([path], include_shipped=False)


def test_a_day_cannot_be_both_holiday_and_working_day():
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(
            holidays=frozenset({date(2026, 3, 7)}), makeup_workdays=frozenset({date(2026, 3, 7)})
        )


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(17), time(9)),),
        ((time(9), time(12)), (time(11), time(17))),
        ((time(9, tzinfo=UTC), time(17)),),
    ],
)
def test_working_hours_must_be_ordered_non_overlapping_local_periods(periods):
    with pytest.raises(ValueError):
        WorkingHours(periods)


def test_working_hours_know_their_opening_closing_and_length():
    hours = WorkingHours(((time(9), time(12)), (time(13, 30), time(17, 30))))
    assert (hours.opening, hours.closing, hours.length) == (
        time(9),
        time(17, 30),
        timedelta(hours=7),
    )


# -- whole working days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Friday 16:00 before 清明 (Sat 4 - Mon 6 April): the next working day is Tuesday.
        (at(2026, 4, 3, 16), 1, at(2026, 4, 7, 17)),
        # The start day never counts, even at 08:00 before opening.
        (at(2026, 4, 3, 8), 1, at(2026, 4, 7, 17)),
        # Friday before the 调休 Saturday of the Spring Festival: due that Saturday.
        (at(2026, 2, 13, 10), 1, at(2026, 2, 14, 17)),
        # Received on the 调休 Saturday: the next working day is after the nine-day holiday.
        (at(2026, 2, 14, 10), 1, at(2026, 2, 24, 17)),
        # Received on a holiday: the first working day after it.
        (at(2026, 10, 3, 12), 1, at(2026, 10, 8, 17)),
        # Seven working days across 国庆, counting the 调休 Saturday 10 October.
        (at(2026, 9, 24, 16), 7, at(2026, 10, 12, 17)),
        # A plain week: Monday + 5 working days is next Monday.
        (at(2026, 3, 9, 10), 5, at(2026, 3, 16, 17)),
    ],
)
def test_working_days_end_at_close_of_business_of_the_last_day(start, n, due):
    assert CAL.add_working_days(start, n) == due


def test_aware_datetimes_in_other_zones_are_read_in_shanghai_time():
    # 08:00 UTC is 16:00 in Shanghai on Friday 3 April 2026.
    assert CAL.add_working_days(datetime(2026, 4, 3, 8, tzinfo=UTC), 1) == at(2026, 4, 7, 17)
    # 20:00 UTC on Friday is already Saturday 04:00 in Shanghai.
    assert CAL.add_working_days(datetime(2026, 3, 13, 20, tzinfo=UTC), 1) == at(2026, 3, 16, 17)


def test_naive_datetimes_and_zero_days_are_refused():
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_days(datetime(2026, 4, 3, 16), 1)
    with pytest.raises(ValueError):
        CAL.add_working_days(at(2026, 4, 3, 16), 0)


def test_counting_working_days_in_a_range():
    assert CAL.working_days_between(date(2026, 2, 9), date(2026, 3, 1)) == 5 + 1 + 4 + 1
    assert CAL.working_days_between(date(2026, 3, 2), date(2026, 3, 1)) == 0
    assert CAL.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)


def test_a_calendar_without_working_days_stops_instead_of_looping():
    everything_off = WorkCalendar(holidays=frozenset(days(date(2030, 1, 1), date(2031, 12, 31))))
    with pytest.raises(ValueError, match="calendar"):
        everything_off.add_working_days(at(2030, 1, 1), 1)
    with pytest.raises(ValueError, match="calendar"):
        everything_off.add_working_time(at(2030, 1, 1), timedelta(hours=1))


# -- working hours --------------------------------------------------------------------------

LUNCH = WorkCalendar(
    holidays=CAL.holidays,
    makeup_workdays=CAL.makeup_workdays,
    hours=WorkingHours(((time(9), time(12)), (time(13, 30), time(17, 30)))),
)


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "end"),
    [
        # Default 9:00-17:00: overnight from Friday 16:00 to Monday 10:00.
        (CAL, at(2026, 3, 13, 16), timedelta(hours=2), at(2026, 3, 16, 10)),
        # Received at night: the clock starts at the next opening.
        (CAL, at(2026, 3, 17, 23), timedelta(hours=2), at(2026, 3, 18, 11)),
        # Lunch counts by default (one continuous period).
        (CAL, at(2026, 3, 17, 11, 30), timedelta(hours=2), at(2026, 3, 17, 13, 30)),
        # With a lunch break configured, 12:00-13:30 does not count.
        (LUNCH, at(2026, 3, 17, 11, 30), timedelta(hours=2), at(2026, 3, 17, 15)),
        (LUNCH, at(2026, 3, 17, 12, 15), timedelta(hours=2), at(2026, 3, 17, 15, 30)),
        # Ending exactly at closing time gives 17:00, not the next morning.
        (CAL, at(2026, 3, 17, 15), timedelta(hours=2), at(2026, 3, 17, 17)),
        # Before the 劳动节 holiday (1-5 May): continues on Wednesday 6 May.
        (CAL, at(2026, 4, 30, 16, 30), timedelta(hours=2), at(2026, 5, 6, 10, 30)),
        # On the 调休 Saturday the clock runs.
        (CAL, at(2026, 2, 14, 16), timedelta(hours=2), at(2026, 2, 24, 10)),
        (CAL, at(2026, 2, 13, 18), timedelta(hours=2), at(2026, 2, 14, 11)),
        (CAL, at(2026, 3, 17, 23), timedelta(), at(2026, 3, 17, 23)),
    ],
)
def test_working_time_runs_only_inside_working_periods(calendar, start, duration, end):
    assert calendar.add_working_time(start, duration) == end
    if duration:
        assert calendar.working_time_between(start, end) == duration


def test_working_time_between_ignores_nights_weekends_and_holidays():
    assert CAL.working_time_between(at(2026, 3, 13, 16), at(2026, 3, 16, 10)) == timedelta(hours=2)
    assert CAL.working_time_between(at(2026, 4, 30, 17), at(2026, 5, 6, 9)) == timedelta()
    assert CAL.working_time_between(at(2026, 3, 16, 10), at(2026, 3, 13, 16)) == timedelta()
    with pytest.raises(ValueError):
        CAL.add_working_time(at(2026, 3, 13, 16), timedelta(hours=-1))


# -- properties -----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2024, 12, 1), max_value=datetime(2027, 2, 1), timezones=st.just(SHANGHAI)
)
durations = st.timedeltas(min_value=timedelta(), max_value=timedelta(hours=60))


@given(start=instants, n=st.integers(1, 30))
def test_a_working_day_deadline_is_never_before_its_start_and_ends_a_working_day(start, n):
    due = CAL.add_working_days(start, n)
    assert due > start
    assert due.date() > start.date()
    assert CAL.is_working_day(due.date())
    assert due.timetz() == time(17, tzinfo=SHANGHAI)
    assert CAL.working_days_between(start.date() + timedelta(1), due.date()) == n


@given(start=instants, later=durations, n=st.integers(1, 20), more=st.integers(0, 10))
def test_adding_working_days_is_monotone_in_start_and_count(start, later, n, more):
    assert CAL.add_working_days(start, n) <= CAL.add_working_days(start + later, n)
    assert CAL.add_working_days(start, n) <= CAL.add_working_days(start, n + more)


@given(start=instants, duration=durations, extra=durations, later=durations)
def test_adding_working_time_is_monotone_and_inverse_to_measuring_it(start, duration, extra, later):
    end = CAL.add_working_time(start, duration)
    assert end >= start
    assert CAL.add_working_time(start, duration + extra) >= end
    assert CAL.add_working_time(start + later, duration) >= end
    assert CAL.working_time_between(start, end) == duration
