"""Notification texts, SMS length, quiet hours with a fixed clock, and link tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from citizenvoice.domain.notifications import (
    SMS_MAX_CHARS,
    NotifyEvent,
    QuietHours,
    parse_quiet_hours,
    render_text,
    sign_token,
    sms_segments,
    verify_token,
)

LONG_DEPARTMENT = "某某市某某区城市管理和综合行政执法局市容环境卫生管理科第三执法中队"
URL = "https://12345.example.gov.cn/track/ABCD-EFGH-JKLM-NPQR-STUV-WXYZ"
SHORT = "https://12345.example.gov.cn/u/1z.0.AbCdEfGhIjKlMnOp"


@pytest.mark.parametrize("event", list(NotifyEvent))
@pytest.mark.parametrize("department", [None, "", "住建局", LONG_DEPARTMENT])
def test_every_text_fits_two_segments(event: NotifyEvent, department: str | None) -> None:
    text = render_text(
        event,
        url=URL,
        department=department,
        deadline=datetime(2026, 12, 31, 10, tzinfo=UTC),
        unsubscribe_url=SHORT,
    )
    assert len(text) <= SMS_MAX_CHARS
    assert sms_segments(text) <= 2
    assert URL in text
    assert text.startswith("【市民之声】")


def test_extended_names_the_new_deadline_in_beijing_time() -> None:
    text = render_text(
        NotifyEvent.EXTENDED, url=URL, deadline=datetime(2026, 12, 31, 17, tzinfo=UTC)
    )
    assert "01月01日" in text  # 17:00 UTC is the next day in Beijing


def test_segments() -> None:
    assert sms_segments("字" * 70) == 1
    assert sms_segments("字" * 71) == 2
    assert sms_segments("字" * 134) == 2
    assert sms_segments("字" * 135) == 3


def _shanghai(hour: int, minute: int = 0) -> datetime:
    # 2026-12-04 at ``hour`` Beijing time, as UTC.
    return datetime(2026, 12, 4, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_quiet_hours_with_a_fixed_clock() -> None:
    quiet = parse_quiet_hours("22-8")
    assert quiet.next_allowed(_shanghai(12)) == _shanghai(12)
    assert quiet.next_allowed(_shanghai(21, 59)) == _shanghai(21, 59)
    assert quiet.next_allowed(_shanghai(22, 30)) == _shanghai(8) + timedelta(days=1)
    assert quiet.next_allowed(_shanghai(3)) == _shanghai(8)
    assert quiet.next_allowed(_shanghai(8)) == _shanghai(8)


def test_quiet_hours_off_and_daytime_ranges() -> None:
    assert parse_quiet_hours("off").next_allowed(_shanghai(23)) == _shanghai(23)
    assert QuietHours(12, 14).next_allowed(_shanghai(13)) == _shanghai(14)


@pytest.mark.parametrize("raw", ["", "22", "a-b", "25-8", "22-8-1", "\x00"])
def test_bad_quiet_hours_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_quiet_hours(raw)


def test_tokens_verify_expire_and_resist_tampering() -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    token = sign_token("k", "follow-up", 4711, now + timedelta(days=3))
    assert verify_token("k", "follow-up", token, now) == 4711
    assert verify_token("k", "follow-up", token, now + timedelta(days=4)) is None
    assert verify_token("k", "unsubscribe", token, now) is None
    assert verify_token("other", "follow-up", token, now) is None
    forged = "1" + token[1:] if token[0] != "1" else "2" + token[1:]
    assert verify_token("k", "follow-up", forged, now) is None
    for junk in ["", "a.b", "a.b.c", "\x00" * 10, "x" * 1000, "a.b.é", "1.0.\ud800", "=SUM(1)"]:
        assert verify_token("k", "follow-up", junk, now) is None
    forever = sign_token("k", "unsubscribe", 5)
    assert verify_token("k", "unsubscribe", forever, now + timedelta(days=9999)) == 5
