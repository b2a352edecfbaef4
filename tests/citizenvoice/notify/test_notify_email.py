"""Residents who give an e-mail address hear back by mail: a real SMTP server (aiosmtpd).

On PostgreSQL and on SQLite: the address is stored encrypted with a keyed fingerprint and a
mask, the accepted and replied mails reach the server once each with their links, 退订 stops
mail to the address (on every case that has it), hostile addresses are refused with the
field's Chinese message and never reach a header, concurrent submissions each get exactly one
accepted mail, and no log line carries an address.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from factories import csrf_token, login, make_user
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.contact_email import EMAIL_FORMAT_MESSAGE, EMAIL_TOO_LONG_MESSAGE
from citizenvoice.domain.notifications import QuietHours
from citizenvoice.domain.workflow import Action, Actor
from citizenvoice.extensions import db
from citizenvoice.jobs.notifications import send_due, send_notification
from citizenvoice.log_redaction import EMAIL_IN_TEXT
from citizenvoice.models import Notification, NotificationOptOut, Submission
from citizenvoice.services.notifications import delivery_figures
from citizenvoice.services.notify_channels import MAIL_SUBJECT
from citizenvoice.services.workflow import perform

from .conftest import _notify_app, file_complaint, sms_lines

ADDRESS = "zhang.san@example.com"
NEVER_QUIET = QuietHours(None, None)
STAFF = Actor.staff(Role.DEPARTMENT_STAFF, "cgzf", "cgzf_staff")
TEXT = "夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息。"
HOSTILE = [
    "a@b.com\r\nBcc: x@y.com",
    "a@b.com\nBcc: x@y.com",
    "a b@example.com",
    "a@b@example.com",
    "no-at-sign.example.com",
    "a@localhost",
    "a@example.",
    "a@.example.com",
    "=1+1@example.com",
    '=HYPERLINK("http://x")',
    "a@exa_mple.com",
    "a..b@example.com",
    "a\u202e@example.com",
    "x" * 250 + "@example.com",
    "a@" + "b" * 100_000 + ".com",
]
# The web layer drops NUL and the other C0/C1 controls (not CR/LF) from every input before
# any rule sees it (citizenvoice.blueprints.inputs): these are filed with the cleaned address.
CLEANED = ["a\x00@b.com", "a@b\x00.com", "\x07a@b.com\x9f"]
WRONG_TYPES: list[Any] = [1, 1.5, True, ["a@b.com"], {"to": "a@b.com"}]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"

    def mails(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        """Each mail's envelope recipients and its parsed message."""
        with self.lock:
            envelopes = list(self.messages)
        return [
            (list(e.rcpt_tos), email.message_from_bytes(e.content, policy=email.policy.default))
            for e in envelopes
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[_Inbox, int]]:
    """A real SMTP server on a free local port, and what it received."""
    handler = _Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(params=["postgresql", "sqlite"])
def mail_app(
    request: pytest.FixtureRequest, tmp_path: Path, inbox: tuple[_Inbox, int]
) -> Iterator[Flask]:
    """The app with the file SMS channel and the local SMTP server as its mail relay."""
    app = _notify_app(
        request,
        tmp_path,
        request.param,
        CITIZENVOICE_SMTP_URL=f"smtp://127.0.0.1:{inbox[1]}",
        CITIZENVOICE_MAIL_FROM="noreply@example.gov.cn",
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _send(app: Flask) -> dict[str, int]:
    with app.app_context():
        return send_due(None, NEVER_QUIET)


def _case(app: Flask, case_id: int) -> Submission:
    with app.app_context():
        case = db.session.get(Submission, case_id)
        assert case is not None
        db.session.expunge(case)
        return case


def _reply(app: Flask, case_id: int) -> None:
    with app.app_context():
        case = db.session.get(Submission, case_id)
        assert case is not None
        perform(case, Action.SIGN, STAFF)
        perform(case, Action.REPLY, STAFF, reply_body="您好，已安排现场处理，问题已解决。")
        db.session.commit()


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return len(list(db.session.scalars(select(model))))


def test_accepted_and_replied_mails_reach_a_real_smtp_server(
    mail_app: Flask, inbox: tuple[_Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    server = inbox[0]
    caplog.set_level(logging.DEBUG)
    case_id = file_complaint(mail_app, contact_email=ADDRESS)
    assert _send(mail_app) == {"sent": 2}  # the SMS and the mail
    ((to, mail),) = server.mails()
    assert to == [ADDRESS] and mail["To"] == ADDRESS
    assert mail["Subject"] == MAIL_SUBJECT and mail["From"] == "noreply@example.gov.cn"
    body = mail.get_content()
    assert body.startswith("【市民之声】") and "/track/" in body and "退订：" in body
    assert len(sms_lines(mail_app)) == 1  # the SMS went its own way, to the phone
    _reply(mail_app, case_id)
    assert _send(mail_app) == {"sent": 2}
    (_, first), (to, second) = server.mails()
    assert to == [ADDRESS] and "/f/" in second.get_content()
    assert second["Message-ID"] != first["Message-ID"]
    assert _send(mail_app) == {}  # nothing twice
    assert len(server.mails()) == 2
    with mail_app.app_context():
        assert delivery_figures()["email"] == {"sent": 2}
    # The follow-up link in the mail opens the form on the resident's phone.
    link = next(word for word in second.get_content().split() if "/f/" in word)
    page = mail_app.test_client().get(link[link.index("/f/") :])
    assert page.status_code == 200
    leaks = [r.getMessage() for r in caplog.records if EMAIL_IN_TEXT.search(r.getMessage())]
    assert leaks == []


@pytest.mark.slow
def test_the_address_is_stored_encrypted_masked_and_shown_masked_to_staff(
    mail_app: Flask,
) -> None:
    case_id = file_complaint(mail_app, contact_email="  Zhang.San@EXAMPLE.com ")
    case = _case(mail_app, case_id)
    assert case.contact_email_encrypted and ADDRESS not in case.contact_email_encrypted
    assert case.contact_email_hmac and len(case.contact_email_hmac) == 64
    assert case.contact_email_masked == "Z***@example.com"
    with mail_app.app_context():
        stored = mail_app.extensions["citizenvoice.pii"].decrypt(case.contact_email_encrypted)
    assert stored == "Zhang.San@example.com"  # domain in lower case, spaces trimmed
    staff = login(mail_app, make_user(mail_app, "department_staff", "cgzf"))
    page = staff.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert "Z***@example.com" in page and "Zhang.San@" not in page
    public = mail_app.test_client().get(f"/track/{case.tracking_code}").get_data(as_text=True)
    assert "example.com" not in public


def test_no_mail_when_anonymous(mail_app: Flask, inbox: tuple[_Inbox, int]) -> None:
    case_id = file_complaint(mail_app, contact_phone=None, contact_email=ADDRESS, anonymous=True)
    case = _case(mail_app, case_id)
    assert case.contact_email_encrypted is None and case.contact_email_hmac is None
    assert case.contact_email_masked is None
    assert _count(mail_app, Notification) == 0
    assert _send(mail_app) == {} and inbox[0].mails() == []


def test_no_mail_row_without_a_relay(notify_app: Flask) -> None:
    # Without CITIZENVOICE_SMTP_URL the address is kept but no mail row is queued.
    case_id = file_complaint(notify_app, contact_phone=None, contact_email=ADDRESS)
    assert _case(notify_app, case_id).contact_email_masked == "z***@example.com"
    assert _count(notify_app, Notification) == 0


def test_unsubscribe_stops_mail_to_the_address(mail_app: Flask, inbox: tuple[_Inbox, int]) -> None:
    server = inbox[0]
    case_id = file_complaint(mail_app, contact_phone=None, contact_email=ADDRESS)
    other_id = file_complaint(mail_app, contact_phone=None, contact_email=ADDRESS)
    with mail_app.app_context():
        # Only the first case's mail leaves: the other's is still queued at the 退订.
        first = db.session.scalar(
            select(Notification.id).where(Notification.submission_id == case_id)
        )
        assert first is not None
        assert send_notification(first, None, NEVER_QUIET) == "sent"
    ((_, mail),) = server.mails()
    link = mail.get_content().split("退订：")[1].split()[0]
    link = link[link.index("/u/") :]
    client = mail_app.test_client()
    page = client.get(link)
    assert page.status_code == 200
    done = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 200 and "已退订" in done.get_data(as_text=True)
    case = _case(mail_app, case_id)
    with mail_app.app_context():
        assert db.session.get(NotificationOptOut, case.contact_email_hmac) is not None
        queued = db.session.scalar(
            select(Notification).where(Notification.submission_id == other_id)
        )
        assert queued is not None and queued.status == "failed"
    _reply(mail_app, case_id)
    file_complaint(mail_app, contact_phone=None, contact_email="ZHANG.SAN@example.com")
    assert _send(mail_app) == {}
    assert len(server.mails()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_addresses_are_refused_on_the_api(mail_app: Flask, value: str) -> None:
    body = {"kind": "complaint", "department": "cgzf", "text": TEXT, "contact_email": value}
    answer = mail_app.test_client().post("/api/v1/feedback", json=body)
    if answer.status_code == 413:  # the 100,000-character domain exceeds the body limit
        assert len(value) > 60_000
    else:
        assert answer.status_code == 400, answer.get_data(as_text=True)
        message = answer.get_json()["error"]["fields"]["contact_email"]
        assert message in (EMAIL_FORMAT_MESSAGE, EMAIL_TOO_LONG_MESSAGE)
        assert value not in answer.get_data(as_text=True)
    assert _count(mail_app, Submission) == 0


def test_nul_and_controls_are_dropped_before_the_check(mail_app: Flask) -> None:
    client = mail_app.test_client()
    for value in CLEANED:
        body = {"kind": "complaint", "department": "cgzf", "text": TEXT, "contact_email": value}
        assert client.post("/api/v1/feedback", json=body).status_code == 201
    pii = mail_app.extensions["citizenvoice.pii"]
    with mail_app.app_context():
        stored = [
            pii.decrypt(c) for c in db.session.scalars(select(Submission.contact_email_encrypted))
        ]
    assert sorted(stored) == ["a@b.com"] * len(CLEANED)


def test_wrong_types_and_empty_values_on_the_api(mail_app: Flask) -> None:
    client = mail_app.test_client()
    base = {"kind": "complaint", "department": "cgzf", "text": TEXT}
    for value in WRONG_TYPES:
        answer = client.post("/api/v1/feedback", json={**base, "contact_email": value})
        assert answer.status_code == 400, value
        assert answer.get_json()["error"]["fields"] == {"contact_email": EMAIL_FORMAT_MESSAGE}
    for value in (None, "", "   "):
        answer = client.post("/api/v1/feedback", json={**base, "contact_email": value})
        assert answer.status_code == 201, value
    assert _count(mail_app, Notification) == 0  # no contact given: nothing queued
    full_width = client.post("/api/v1/feedback", json={**base, "contact_email": "li＠qq．com"})
    assert full_width.status_code == 201  # what a Chinese input method types
    case_id = max(_ids(mail_app))
    assert _case(mail_app, case_id).contact_email_masked == "l***@qq.com"


def _ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Submission.id)))


def test_the_form_takes_an_address_and_keeps_a_bad_one_for_editing(mail_app: Flask) -> None:
    client = mail_app.test_client()
    page = client.get("/submit/complaint").get_data(as_text=True)
    assert 'type="email"' in page and 'autocomplete="email"' in page
    assert "电子邮箱（选填，用于接收办理进度）" in page
    fields = {"department": "cgzf", "text": TEXT, "csrf_token": csrf_token(page)}
    bad = client.post("/submit/complaint", data={**fields, "contact_email": "zhang@qq"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and EMAIL_FORMAT_MESSAGE in html
    assert 'value="zhang@qq"' in html and TEXT in html  # kept for editing
    injected = client.post(
        "/submit/complaint", data={**fields, "contact_email": "a@b.com\r\nBcc: x@y.com"}
    )
    assert injected.status_code == 400 and EMAIL_FORMAT_MESSAGE in injected.get_data(as_text=True)
    assert _count(mail_app, Submission) == 0
    good = client.post("/submit/complaint", data={**fields, "contact_email": ADDRESS})
    assert good.status_code == 303
    (case_id,) = _ids(mail_app)
    assert _case(mail_app, case_id).contact_email_masked == "z***@example.com"


def _post(base: str, payload: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/feedback",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_concurrent_submissions_each_get_exactly_one_accepted_mail(
    mail_app: Flask, inbox: tuple[_Inbox, int]
) -> None:
    mail_app.config["SUBMISSION_RATE_LIMIT"] = "1000/minute"
    server = make_server("127.0.0.1", 0, mail_app, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    base = f"http://127.0.0.1:{server.server_port}"
    addresses = ["first@example.com", "second@example.org"]
    start = threading.Barrier(len(addresses))
    statuses: list[int] = []

    def submit(address: str) -> None:
        start.wait()
        body = {"kind": "complaint", "department": "cgzf", "text": TEXT, "contact_email": address}
        statuses.append(_post(base, body))

    try:
        threads = [threading.Thread(target=submit, args=(a,)) for a in addresses]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        # On PostgreSQL two sweeps race over the same rows: the row lock sends each once.
        racing = 2 if mail_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else 1
        sweeps = [threading.Thread(target=_send, args=(mail_app,)) for _ in range(racing)]
        for sweep in sweeps:
            sweep.start()
        for sweep in sweeps:
            sweep.join(timeout=120)
        _send(mail_app)
    finally:
        server.shutdown()
        serving.join(timeout=10)
        server.server_close()
    assert statuses == [201, 201]
    received = sorted(to[0] for to, _ in inbox[0].mails())
    assert received == sorted(addresses)


@pytest.mark.parametrize(
    "to", ["a@b.com\r\nBcc: x@y.com", "a@b.com\n", "a b@c.com", "", "a\x00@b.com"]
)
def test_the_smtp_channel_refuses_a_recipient_that_could_add_a_header(
    to: str, inbox: tuple[_Inbox, int]
) -> None:
    from citizenvoice.services.notify_channels import ChannelError, OutgoingMessage, SmtpChannel

    channel = SmtpChannel("127.0.0.1", inbox[1], "noreply@example.gov.cn")
    with pytest.raises(ChannelError) as caught:
        channel.send(OutgoingMessage(to, "【市民之声】您的诉求已受理", "accepted", 1, "/track/x"))
    assert not caught.value.retryable
    assert inbox[0].mails() == []


def test_a_mail_keeps_the_full_department_name_and_both_links() -> None:
    from citizenvoice.domain.notifications import NotifyEvent, render_text

    department = "某某市某某区城市管理综合行政执法局市容环境卫生管理科" * 3
    url, unsubscribe = "https://x.gov.cn/f/" + "t" * 80, "https://x.gov.cn/u/" + "u" * 80
    sms = render_text(
        NotifyEvent.REPLIED, url=url, department=department, unsubscribe_url=unsubscribe
    )
    mail = render_text(
        NotifyEvent.REPLIED,
        url=url,
        department=department,
        unsubscribe_url=unsubscribe,
        max_chars=2000,
    )
    assert department not in sms and len(sms) <= 134
    assert department in mail and url in mail and unsubscribe in mail
