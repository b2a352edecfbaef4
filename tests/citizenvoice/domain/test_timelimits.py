"""Time limits, overdue at any instant, and the timeliness rates of the dashboard."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.cases import CaseSnapshot, CaseStatus
from citizenvoice.domain.timelimits import (
    DEFAULT_SETTINGS,
    Clock,
    Rate,
    WorkflowSettings,
    due_at,
    extended_reply_due_at,
    follow_up_due_at,
    is_overdue,
    on_time_reply_rate,
    overdue_by,
    overdue_count,
    replied_on_time,
    reply_due_at,
    response_rate,
    sign_due_at,
    signed_on_time,
)
from citizenvoice.domain.workdays import SHANGHAI

S = CaseStatus


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def test_defaults_are_the_12345_limits():
    s = DEFAULT_SETTINGS
    assert (s.sign_working_days, s.urgent_sign_limit, s.urgent_clock) == (
        1,
        timedelta(hours=2),
        Clock.WORKING,
    )
    assert (s.reply_working_days, s.complex_reply_working_days) == (7, 15)
    assert (s.extension_working_days, s.max_extensions, s.follow_up_window) == (
        5,
        1,
        timedelta(days=7),
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"sign_working_days": 0},
        {"reply_working_days": 0},
        {"complex_reply_working_days": -1},
        {"extension_working_days": 0},
        {"max_extensions": -1},
        {"urgent_sign_limit": timedelta()},
        {"follow_up_window": timedelta(hours=-1)},
        {"urgent_clock": "sundial"},
    ],
)
def test_meaningless_settings_are_refused(changes):
    with pytest.raises(ValueError):
        WorkflowSettings(**changes)


def test_deadline_functions():
    assert sign_due_at(at(4, 3, 16), urgent=False) == at(4, 7, 17)
    assert sign_due_at(at(4, 3, 16), urgent=True) == at(4, 7, 10)
    assert sign_due_at(
        at(4, 3, 16), urgent=True, settings=WorkflowSettings(urgent_clock=Clock.CALENDAR)
    ) == at(4, 3, 18)
    assert reply_due_at(at(4, 7, 9), complex_case=False) == at(4, 16, 17)
    assert reply_due_at(at(4, 7, 9), complex_case=True) == at(4, 28, 17)
    assert extended_reply_due_at(at(4, 16, 17)) == at(4, 23, 17)
    assert reply_due_at(
        at(4, 7, 9), complex_case=False, settings=WorkflowSettings(reply_working_days=1)
    ) == at(4, 8, 17)


def test_the_running_deadline_depends_on_the_status():
    base = CaseSnapshot(department="d", sign_due_at=at(3, 10, 17), reply_due_at=at(3, 18, 17))
    assert due_at(base) == at(3, 10, 17)
    assert due_at(CaseSnapshot(sign_due_at=at(3, 10, 17))) is None  # not routed yet
    for status in (S.SIGNED, S.IN_PROGRESS):
        assert due_at(CaseSnapshot(status=status, reply_due_at=at(3, 18, 17))) == at(3, 18, 17)
    for status in (S.REPLIED, S.FOLLOWED_UP, S.CLOSED, S.RETURNED):
        case = CaseSnapshot(
            status=status, department="d", sign_due_at=at(3, 1), reply_due_at=at(3, 2)
        )
        assert due_at(case) is None and not is_overdue(case, at(12, 1))


def test_overdue_is_measured_in_working_time():
    case = CaseSnapshot(department="d", sign_due_at=at(3, 13, 17))  # Friday
    assert not is_overdue(case, at(3, 13, 17)) and overdue_by(case, at(3, 13, 17)) == timedelta()
    assert is_overdue(case, at(3, 14, 12))
    assert overdue_by(case, at(3, 14, 12)) == timedelta()  # Saturday: no working time lost yet
    assert overdue_by(case, at(3, 16, 11)) == timedelta(hours=2)
    with pytest.raises(ValueError, match="aware"):
        is_overdue(case, datetime(2026, 3, 16, 11))


def test_follow_up_window_runs_in_calendar_days_from_the_reply():
    replied = CaseSnapshot(status=S.REPLIED, replied_at=at(2, 13, 15))
    assert follow_up_due_at(replied) == at(2, 20, 15)  # through the Spring Festival
    assert follow_up_due_at(CaseSnapshot(status=S.CLOSED, replied_at=at(2, 13, 15))) is None


def make(status, *, sign_due=None, signed=None, reply_due=None, replied=None, department="d"):
    return CaseSnapshot(
        status=status,
        department=department,
        sign_due_at=sign_due,
        signed_at=signed,
        reply_due_at=reply_due,
        replied_at=replied,
    )


NOW = at(3, 20, 12)
D1, D2 = at(3, 10, 17), at(3, 19, 17)  # sign and reply deadlines, both past at NOW
CASES = [
    make(
        S.CLOSED, sign_due=D1, signed=at(3, 10, 9), reply_due=D2, replied=at(3, 18, 9)
    ),  # both in time
    make(
        S.REPLIED, sign_due=D1, signed=at(3, 11, 9), reply_due=D2, replied=at(3, 20, 9)
    ),  # both late
    make(
        S.IN_PROGRESS, sign_due=D1, signed=D1, reply_due=D2
    ),  # signed at the deadline; reply overdue
    make(S.SIGNED, sign_due=D1, signed=at(3, 9, 11), reply_due=at(3, 27, 17)),  # reply still open
    make(S.RECEIVED, sign_due=D1),  # never signed: late, overdue
    make(S.RECEIVED, sign_due=at(3, 23, 17)),  # sign still open
    make(S.RETURNED, sign_due=D1),  # returned unsigned: no verdict
    make(S.RECEIVED, department=None),  # not routed
]


def test_timeliness_verdicts_per_case():
    assert [signed_on_time(c, NOW) for c in CASES] == [
        True,
        False,
        True,
        True,
        False,
        None,
        None,
        None,
    ]
    assert [replied_on_time(c, NOW) for c in CASES] == [
        True,
        False,
        False,
        None,
        None,
        None,
        None,
        None,
    ]


def test_dashboard_rates_count_only_decided_cases():
    assert response_rate(CASES, NOW) == Rate(3, 5)
    assert on_time_reply_rate(CASES, NOW) == Rate(1, 3)
    assert overdue_count(CASES, NOW) == 2
    assert response_rate(CASES, NOW).value == pytest.approx(0.6)
    assert Rate(0, 0).value is None
    assert response_rate([], NOW) == Rate(0, 0) and overdue_count([], NOW) == 0


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(SHANGHAI)
)


@given(
    start=instants, urgent=st.booleans(), complex_case=st.booleans(), clock=st.sampled_from(Clock)
)
def test_deadlines_are_never_before_their_start(start, urgent, complex_case, clock):
    settings = WorkflowSettings(urgent_clock=clock)
    assert sign_due_at(start, urgent=urgent, settings=settings) > start
    due = reply_due_at(start, complex_case=complex_case, settings=settings)
    assert due > start
    assert extended_reply_due_at(due, settings) > due


@given(
    status=st.sampled_from(CaseStatus),
    due=instants,
    now=instants,
    later=st.timedeltas(min_value=timedelta(), max_value=timedelta(days=400)),
)
def test_overdue_is_monotone_in_now(status, due, now, later):
    case = CaseSnapshot(status=status, department="d", sign_due_at=due, reply_due_at=due)
    if is_overdue(case, now):
        assert is_overdue(case, now + later)
        assert overdue_by(case, now + later) >= overdue_by(case, now)
