"""Time limits of the case workflow, overdue, and the timeliness rates of the dashboard.

Defaults follow Beijing 12345 practice (接诉即办) and are configurable through
:class:`WorkflowSettings`:

* 签收 within 1 working day of the case reaching the department; 2 working hours for an urgent
  case.
* 答复 within 7 working days of 签收 (15 for a case the office marks complex); 重办 starts a new
  reply round with the same limit counted from the reopening.
* 延期: the office may extend the reply deadline once, by 5 working days counted from the
  current deadline (not from the approval, so a slow approval neither costs nor gains time).
* 回访: a replied case with no follow-up for 7 calendar days closes as "no response".

Whole-working-day limits end at the close of business of the last day, and the start day does
not count (see :mod:`citizenvoice.domain.workdays`). A case is overdue from the instant after
its running deadline; the deadline instant itself is still in time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from citizenvoice.domain.cases import CaseSnapshot, CaseStatus
from citizenvoice.domain.workdays import WorkCalendar, china_calendar

__all__ = [
    "DEFAULT_COMPLEX_REPLY_WORKING_DAYS",
    "DEFAULT_EXTENSION_WORKING_DAYS",
    "DEFAULT_FOLLOW_UP_WINDOW",
    "DEFAULT_MAX_EXTENSIONS",
    "DEFAULT_REPLY_WORKING_DAYS",
    "DEFAULT_SETTINGS",
    "DEFAULT_SIGN_WORKING_DAYS",
    "DEFAULT_URGENT_SIGN_LIMIT",
    "Clock",
    "Rate",
    "WorkflowSettings",
    "due_at",
    "extended_reply_due_at",
    "follow_up_due_at",
    "is_overdue",
    "on_time_reply_rate",
    "overdue_by",
    "overdue_count",
    "replied_on_time",
    "reply_due_at",
    "response_rate",
    "sign_due_at",
    "signed_on_time",
]

# 12345 practice: a dispatched case is signed for (签收) within one working day.
DEFAULT_SIGN_WORKING_DAYS = 1
# Urgent cases (nlp urgency detector or the office) must be signed within 2 hours.
DEFAULT_URGENT_SIGN_LIMIT = timedelta(hours=2)
# Beijing 12345: an answer within 7 days of signing, 15 for complex cases.
DEFAULT_REPLY_WORKING_DAYS = 7
DEFAULT_COMPLEX_REPLY_WORKING_DAYS = 15
# One extension of a working week: enough for a site visit or another office's input. A case
# that needs more is complex, and the office should mark it so (15 days) instead.
DEFAULT_EXTENSION_WORKING_DAYS = 5
DEFAULT_MAX_EXTENSIONS = 1
# Residents answer on their own time, so the follow-up window is in calendar days; a week
# always includes a weekend.
DEFAULT_FOLLOW_UP_WINDOW = timedelta(days=7)


class Clock(StrEnum):
    """How an hour-based limit is counted."""

    WORKING = "working"
    CALENDAR = "calendar"


@dataclass(frozen=True)
class WorkflowSettings:
    """Configurable time limits; the defaults are the module's named constants.

    ``urgent_clock`` decides how the 2-hour urgent sign limit runs. WORKING (default) counts
    working hours only, so an urgent case received Friday 16:30 is due Monday 10:30: the
    departments sign in the workspace in office hours, and a night-time limit would mark them
    overdue for hours nobody is on duty. A deployment whose departments keep a 24-hour duty
    desk (值班) sets CALENDAR: 2 clock hours, nights and holidays included.
    """

    sign_working_days: int = DEFAULT_SIGN_WORKING_DAYS
    urgent_sign_limit: timedelta = DEFAULT_URGENT_SIGN_LIMIT
    urgent_clock: Clock = Clock.WORKING
    reply_working_days: int = DEFAULT_REPLY_WORKING_DAYS
    complex_reply_working_days: int = DEFAULT_COMPLEX_REPLY_WORKING_DAYS
    extension_working_days: int = DEFAULT_EXTENSION_WORKING_DAYS
    max_extensions: int = DEFAULT_MAX_EXTENSIONS
    follow_up_window: timedelta = DEFAULT_FOLLOW_UP_WINDOW
    calendar: WorkCalendar = field(default_factory=china_calendar)

    def __post_init__(self) -> None:
        """Refuse limits that would make deadlines meaningless; accept the clock by name."""
        object.__setattr__(self, "urgent_clock", Clock(self.urgent_clock))
        for name in (
            "sign_working_days",
            "reply_working_days",
            "complex_reply_working_days",
            "extension_working_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_extensions < 0:
            raise ValueError("max_extensions must not be negative")
        if self.urgent_sign_limit <= timedelta() or self.follow_up_window <= timedelta():
            raise ValueError("urgent_sign_limit and follow_up_window must be positive")


DEFAULT_SETTINGS = WorkflowSettings()


def sign_due_at(
    assigned_at: datetime, *, urgent: bool, settings: WorkflowSettings = DEFAULT_SETTINGS
) -> datetime:
    """When the department must have signed for a case it received at ``assigned_at``."""
    calendar = settings.calendar
    if not urgent:
        return calendar.add_working_days(assigned_at, settings.sign_working_days)
    if settings.urgent_clock is Clock.CALENDAR:
        return calendar.local(assigned_at) + settings.urgent_sign_limit
    return calendar.add_working_time(assigned_at, settings.urgent_sign_limit)


def reply_due_at(
    started_at: datetime, *, complex_case: bool, settings: WorkflowSettings = DEFAULT_SETTINGS
) -> datetime:
    """When the reply is due for a reply round that started (签收 or 重办) at ``started_at``."""
    days = settings.complex_reply_working_days if complex_case else settings.reply_working_days
    return settings.calendar.add_working_days(started_at, days)


def extended_reply_due_at(
    current_due: datetime, settings: WorkflowSettings = DEFAULT_SETTINGS, days: int | None = None
) -> datetime:
    """The reply deadline after an approved extension, counted from the current deadline.

    ``days`` working days (default: the configured extension, which is also the maximum).
    """
    return settings.calendar.add_working_days(
        current_due, settings.extension_working_days if days is None else days
    )


def follow_up_due_at(
    case: CaseSnapshot, settings: WorkflowSettings = DEFAULT_SETTINGS
) -> datetime | None:
    """When a replied case without follow-up may close as "no response" (None if not replied)."""
    if case.status is not CaseStatus.REPLIED or case.replied_at is None:
        return None
    return settings.calendar.local(case.replied_at) + settings.follow_up_window


def due_at(case: CaseSnapshot) -> datetime | None:
    """The department deadline running now: sign while received, reply while being worked.

    None when no department clock runs: not yet routed, returned to the office, replied or
    closed.
    """
    if case.status is CaseStatus.RECEIVED and case.department is not None:
        return case.sign_due_at
    if case.status in (CaseStatus.SIGNED, CaseStatus.IN_PROGRESS):
        return case.reply_due_at
    return None


def is_overdue(case: CaseSnapshot, now: datetime) -> bool:
    """Whether the running deadline has passed at ``now`` (aware datetime)."""
    if now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    due = due_at(case)
    return due is not None and now > due


def overdue_by(
    case: CaseSnapshot, now: datetime, settings: WorkflowSettings = DEFAULT_SETTINGS
) -> timedelta:
    """Working time elapsed since the running deadline (zero when not overdue)."""
    due = due_at(case)
    if due is None or not is_overdue(case, now):
        return timedelta()
    return settings.calendar.working_time_between(due, now)


def signed_on_time(case: CaseSnapshot, now: datetime) -> bool | None:
    """True/False once timeliness of 签收 is decided at ``now``; None while it is still open.

    Decided means signed, or still unsigned after the deadline (late whatever happens next).
    Cases never routed, or returned to the office without signing, have no verdict.
    """
    if case.sign_due_at is None:
        return None
    if case.signed_at is not None:
        return case.signed_at <= case.sign_due_at
    if case.status is CaseStatus.RECEIVED and now > case.sign_due_at:
        return False
    return None


def replied_on_time(case: CaseSnapshot, now: datetime) -> bool | None:
    """Like :func:`signed_on_time` for the reply of the current round (after 重办: the new one)."""
    if case.reply_due_at is None:
        return None
    if case.replied_at is not None:
        return case.replied_at <= case.reply_due_at
    if case.status in (CaseStatus.SIGNED, CaseStatus.IN_PROGRESS) and now > case.reply_due_at:
        return False
    return None


@dataclass(frozen=True)
class Rate:
    """A proportion with its counts; ``value`` is None when nothing was decided yet."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """Numerator / denominator, or None for an empty denominator."""
        return self.numerator / self.denominator if self.denominator else None


def _rate(verdicts: Iterable[bool | None]) -> Rate:
    decided = [v for v in verdicts if v is not None]
    return Rate(numerator=sum(decided), denominator=len(decided))


def response_rate(cases: Iterable[CaseSnapshot], now: datetime) -> Rate:
    """响应率 in the timeliness sense: the share of decided cases signed for in time."""
    return _rate(signed_on_time(case, now) for case in cases)


def on_time_reply_rate(cases: Iterable[CaseSnapshot], now: datetime) -> Rate:
    """按时答复率: the share of decided cases whose (current-round) reply came in time."""
    return _rate(replied_on_time(case, now) for case in cases)


def overdue_count(cases: Iterable[CaseSnapshot], now: datetime) -> int:
    """How many cases are overdue at ``now``."""
    return sum(is_overdue(case, now) for case in cases)
