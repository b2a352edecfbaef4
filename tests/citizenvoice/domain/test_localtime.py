"""Beijing time for people, whatever zone a moment carries or the server runs in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from citizenvoice.domain.cases import CaseSnapshot, CaseStatus
from citizenvoice.domain.localtime import iso_local, local_midnight, local_time
from citizenvoice.domain.workflow import Action, Actor, ActorRole, apply

EVENING_UTC = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # 02:00 on 5 March in Beijing


def test_local_time_shows_beijing_wall_time_from_any_zone():
    assert local_time(EVENING_UTC) == "2026-03-05 02:00"
    assert local_time(EVENING_UTC.astimezone(timezone(timedelta(hours=-5)))) == "2026-03-05 02:00"
    assert local_time("2026-03-04T18:00:00+00:00", "%m-%d %H:%M") == "03-05 02:00"


def test_naive_moments_are_refused_not_guessed():
    with pytest.raises(ValueError, match="naive"):
        local_time(datetime(2026, 3, 4, 18, 0))
    with pytest.raises(ValueError, match="naive"):
        iso_local(datetime(2026, 3, 4, 18, 0))


def test_the_api_format_is_iso_8601_with_the_beijing_offset():
    assert iso_local(EVENING_UTC.replace(microsecond=123456)) == "2026-03-05T02:00:00+08:00"


def test_a_beijing_day_starts_at_beijing_midnight():
    assert local_midnight(date(2026, 3, 5)) == datetime(2026, 3, 4, 16, 0, tzinfo=UTC)


def test_timeline_notes_give_a_deadline_read_back_in_utc_as_beijing_time():
    """A deadline read back from the database is UTC; its note must read like the case page."""
    due = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)  # 17:00 on 9 March in Beijing
    case = CaseSnapshot(
        status=CaseStatus.SIGNED, department="cgzf", signed_at=EVENING_UTC, reply_due_at=due
    )
    office = Actor(ActorRole.OFFICE, name="office1")
    note = apply(case, Action.MARK_COMPLEX, office, EVENING_UTC).events[0].note
    assert "答复时限：2026-03-09 17:00" in note, note
