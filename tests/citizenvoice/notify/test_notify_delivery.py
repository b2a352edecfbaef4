"""Messages to residents end to end: recorded with the step, sent once, links that work."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from factories import csrf_token
from flask import Flask
from sqlalchemy import select

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.localtime import LOCAL_ZONE
from citizenvoice.domain.notifications import QuietHours, sign_token
from citizenvoice.domain.workflow import Action, Actor
from citizenvoice.extensions import db
from citizenvoice.jobs.notifications import FOLLOW_UP_PURPOSE, send_due
from citizenvoice.models import Notification, Submission
from citizenvoice.services.notifications import delivery_figures
from citizenvoice.services.workflow import perform

from .conftest import PHONE, file_complaint, sms_lines

NEVER_QUIET = QuietHours(None, None)
STAFF = Actor.staff(Role.DEPARTMENT_STAFF, "cgzf", "cgzf_staff")


def _rows(app: Flask) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def _send(app: Flask, now: datetime | None = None, quiet: QuietHours = NEVER_QUIET) -> dict:
    with app.app_context():
        return send_due(now, quiet)


def _reply(app: Flask, case_id: int) -> None:
    with app.app_context():
        case = db.session.get(Submission, case_id)
        assert case is not None
        perform(case, Action.SIGN, STAFF)
        perform(case, Action.REPLY, STAFF, reply_body="您好，已安排现场处理，问题已解决。")
        db.session.commit()


@pytest.mark.slow
def test_accepted_message_reaches_the_file_once(notify_app: Flask) -> None:
    case_id = file_complaint(notify_app)
    (row,) = _rows(notify_app)
    assert (row.event, row.channel, row.status) == ("accepted", "sms", "queued")
    assert _send(notify_app) == {"sent": 1}
    (line,) = sms_lines(notify_app)
    assert line["to"] == PHONE and line["event"] == "accepted" and line["case"] == case_id
    assert line["url"].startswith("/track/") and line["url"] in line["text"]
    assert "退订" in line["text"] and len(line["text"]) <= 134
    (row,) = _rows(notify_app)
    assert row.status == "sent" and row.provider_message_id and row.attempts == 1
    assert _send(notify_app) == {}  # nothing twice
    assert len(sms_lines(notify_app)) == 1
    with notify_app.app_context():
        assert delivery_figures() == {"sms": {"sent": 1}}


def test_no_message_without_phone_or_when_anonymous(notify_app: Flask) -> None:
    file_complaint(notify_app, contact_phone=None)
    file_complaint(notify_app, anonymous=True)
    assert _rows(notify_app) == []


def test_reply_sends_a_follow_up_link_that_opens_the_form(notify_app: Flask) -> None:
    case_id = file_complaint(notify_app)
    _reply(notify_app, case_id)
    assert _send(notify_app) == {"sent": 2}
    replied = [line for line in sms_lines(notify_app) if line["event"] == "replied"]
    (line,) = replied
    assert line["url"].startswith("/f/") and line["url"] in line["text"]
    with notify_app.app_context():
        code = db.session.get(Submission, case_id).tracking_code  # type: ignore[union-attr]
    assert code not in line["url"]
    page = notify_app.test_client().get(line["url"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="satisfaction"' in html and page.headers["Cache-Control"].startswith("no-store")
    assert notify_app.test_client().get(line["url"] + "x").status_code == 404


def test_follow_up_link_expires_with_the_window(notify_app: Flask) -> None:
    case_id = file_complaint(notify_app)
    past = datetime.now(UTC) - timedelta(seconds=1)
    token = sign_token(notify_app.config["SECRET_KEY"], FOLLOW_UP_PURPOSE, case_id, past)
    assert notify_app.test_client().get(f"/f/{token}").status_code == 404


def test_quiet_hours_queue_until_morning_with_a_fixed_clock(notify_app: Flask) -> None:
    file_complaint(notify_app)
    # A fixed clock after the row was stored: the next 23:00 in Beijing, and 08:00 after it.
    today = datetime.now(UTC).astimezone(LOCAL_ZONE).date() + timedelta(days=1)
    night = datetime.combine(today, time(23), tzinfo=LOCAL_ZONE).astimezone(UTC)
    morning = night + timedelta(hours=9)
    assert _send(notify_app, night, QuietHours(22, 8)) == {"deferred": 1}
    (row,) = _rows(notify_app)
    assert row.status == "queued" and row.not_before == morning
    assert _send(notify_app, morning - timedelta(minutes=1), QuietHours(22, 8)) == {}
    assert sms_lines(notify_app) == []
    assert _send(notify_app, morning, QuietHours(22, 8)) == {"sent": 1}
    assert len(sms_lines(notify_app)) == 1


def test_unsubscribe_stops_every_message_to_the_number(notify_app: Flask) -> None:
    case_id = file_complaint(notify_app)
    _send(notify_app)
    link = sms_lines(notify_app)[0]["text"].split("退订：")[1].strip()
    client = notify_app.test_client()
    page = client.get(link)
    assert page.status_code == 200 and "确认退订" in page.get_data(as_text=True)
    done = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 200 and "已退订" in done.get_data(as_text=True)
    _reply(notify_app, case_id)
    file_complaint(notify_app)  # the same number on a new case
    assert _send(notify_app) == {}
    assert len(sms_lines(notify_app)) == 1
    assert client.post(link, data={}).status_code == 400  # no CSRF token


def test_each_event_at_most_once(notify_app: Flask) -> None:
    from citizenvoice.domain.notifications import NotifyEvent
    from citizenvoice.services.notifications import record_event

    case_id = file_complaint(notify_app)
    with notify_app.app_context():
        case = db.session.get(Submission, case_id)
        assert case is not None
        assert record_event(case, NotifyEvent.ACCEPTED) == 0
        db.session.commit()
    assert len(_rows(notify_app)) == 1


def test_seeded_demo_history_sends_nothing(notify_app: Flask) -> None:
    from citizenvoice.domain.feedback import Channel
    from citizenvoice.services.demo_history import build_demo_casework
    from citizenvoice.services.feedback import file_feedback

    with notify_app.app_context():
        for number in range(5):
            file_feedback(
                {
                    "kind": "complaint",
                    "department": "cgzf",
                    "text": f"小区门口路灯坏了{number + 2}个月，晚上很黑。",
                    "contact_phone": PHONE,
                },
                channel=Channel.SEED,
                pii=notify_app.extensions["citizenvoice.pii"],
            )
        db.session.commit()
        summary = build_demo_casework()
        db.session.commit()
    assert summary  # the history did act on the seeded cases
    assert _rows(notify_app) == []


def test_cli_shows_delivery_figures_per_channel(notify_app: Flask) -> None:
    runner = notify_app.test_cli_runner()
    assert "no messages yet" in runner.invoke(args=["notifications", "stats"]).output
    file_complaint(notify_app)
    file_complaint(notify_app)
    with notify_app.app_context():
        sent = send_due(None, NEVER_QUIET)
    assert sent == {"sent": 2}
    file_complaint(notify_app)
    output = runner.invoke(args=["notifications", "stats"]).output
    assert "sms" in output and "2" in output and "1" in output
    lines = output.splitlines()
    assert lines[0].split() == ["channel", "sent", "queued", "retried", "failed"]
    assert lines[1].split() == ["sms", "2", "1", "0", "0"]


def test_hostile_link_tokens_never_give_a_500(notify_app: Flask) -> None:
    client = notify_app.test_client()
    for token in ["é", "a.b.é", "1.0.%00", "x" * 5000, "=cmd|'/c calc'!A1", "1.0.a%0d%0ab"]:
        for path in (f"/f/{token}", f"/u/{token}"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/u/{token}", data={}).status_code in (400, 404)
