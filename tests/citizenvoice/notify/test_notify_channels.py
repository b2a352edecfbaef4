"""The real channels against local servers: Aliyun SMS's HTTP API, SMTP; outages and retries."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from citizenvoice.domain.notifications import QuietHours
from citizenvoice.extensions import db
from citizenvoice.jobs.notifications import MAX_ATTEMPTS, send_due
from citizenvoice.models import Notification
from citizenvoice.models.base import utcnow
from citizenvoice.services.notifications import delivery_figures
from citizenvoice.services.notify_channels import (
    OutgoingMessage,
    SmtpChannel,
    aliyun_signature,
)

from .conftest import PHONE, file_complaint

NEVER_QUIET = QuietHours(None, None)
SECRET = "testsecret"


class FakeAliyun(ThreadingHTTPServer):
    """Speaks dysmsapi SendSms: checks the signature, answers JSON; can be made to fail."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _AliyunHandler)
        self.failures_left = 0
        self.accepted: list[dict[str, str]] = []
        self.bad_signatures = 0


class _AliyunHandler(BaseHTTPRequestHandler):
    server: FakeAliyun

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        signature = query.pop("Signature", "")
        if signature != aliyun_signature(query, SECRET) or query.get("Action") != "SendSms":
            self.server.bad_signatures += 1
            self._answer(400, {"Code": "SignatureDoesNotMatch"})
        elif self.server.failures_left > 0:
            self.server.failures_left -= 1
            self._answer(503, {"Code": "ServiceUnavailable"})
        else:
            self.server.accepted.append(query)
            biz = f"biz-{len(self.server.accepted)}"
            self._answer(200, {"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": "r"})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # the phone is in the query: never log it
        return


@pytest.fixture
def aliyun() -> Iterator[FakeAliyun]:
    server = FakeAliyun()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _aliyun_url(server: FakeAliyun) -> str:
    host, port = server.server_address[:2]
    return f"aliyun://KEYID:{SECRET}@{host}:{port}?sign=市民之声&template=SMS_1&scheme=http"


def _rows(app: Flask) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).order_by(Notification.id)))
        db.session.expunge_all()
        return rows


def test_aliyun_provider_down_is_retried_and_sent_once(make_notify_app, aliyun) -> None:
    app = make_notify_app(CITIZENVOICE_SMS_URL=_aliyun_url(aliyun))
    file_complaint(app)
    aliyun.failures_left = 2
    now = utcnow()
    with app.app_context():
        assert send_due(now, NEVER_QUIET) == {"retried": 1}
        assert send_due(now, NEVER_QUIET) == {}  # backing off: not due yet
        assert send_due(now + timedelta(minutes=1), NEVER_QUIET) == {"retried": 1}
        assert send_due(now + timedelta(minutes=5), NEVER_QUIET) == {"sent": 1}
        assert send_due(now + timedelta(hours=1), NEVER_QUIET) == {}
    (row,) = _rows(app)
    assert (row.status, row.attempts, row.provider_message_id) == ("sent", 3, "biz-1")
    (sent,) = aliyun.accepted  # exactly one message reached the provider
    assert aliyun.bad_signatures == 0
    assert sent["PhoneNumbers"] == PHONE and sent["SignName"] == "市民之声"
    assert "/track/" in json.loads(sent["TemplateParam"])["content"]


def test_aliyun_gone_for_good_fails_after_the_last_attempt(make_notify_app) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"aliyun://KEYID:{SECRET}@127.0.0.1:{port}?sign=s&template=t&scheme=http"
    app = make_notify_app(CITIZENVOICE_SMS_URL=url)
    file_complaint(app)
    now = utcnow()
    with app.app_context():
        for attempt in range(MAX_ATTEMPTS):
            send_due(now + timedelta(hours=attempt), NEVER_QUIET)
        assert delivery_figures() == {"sms": {"failed": 1}}
    (row,) = _rows(app)
    assert row.attempts == MAX_ATTEMPTS and row.last_error.startswith("aliyun:")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def test_smtp_channel_delivers_to_a_real_smtp_server() -> None:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = SmtpChannel("127.0.0.1", port, "noreply@example.gov.cn")
        message_id = channel.send(
            OutgoingMessage(
                to="resident@example.com",
                text="【市民之声】您的诉求已受理",
                event="accepted",
                case=1,
                url="/track/x",
            )
        )
    finally:
        controller.stop()
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == ["resident@example.com"]
    assert message_id.startswith("<")
    body = envelope.content.decode("utf-8", "replace")
    assert "Message-ID" in body


def test_smtp_down_is_a_retryable_error() -> None:
    from citizenvoice.services.notify_channels import ChannelError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = SmtpChannel("127.0.0.1", port, "noreply@example.gov.cn")
    with pytest.raises(ChannelError) as caught:
        channel.send(OutgoingMessage("a@example.com", "text", "accepted", 1, "/x"))
    assert caught.value.retryable


def test_in_process_sending_reaches_the_file_within_10_seconds(
    make_notify_app, tmp_path: Path
) -> None:
    from citizenvoice.jobs.runner import InProcessRunner

    app = make_notify_app(CITIZENVOICE_QUIET_HOURS="off")
    runner = InProcessRunner(app)
    app.extensions["citizenvoice.notify_runner"] = runner  # the embedded default's sender
    started = time.perf_counter()
    file_complaint(app)
    path = Path(app.config["NOTIFY_SMS_URL"].removeprefix("file://"))
    while not path.exists() and time.perf_counter() - started < 10:
        time.sleep(0.05)
    runner.shutdown()
    assert path.exists(), "no message within 10 s"
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["event"] == "accepted"


def test_with_redis_the_message_is_an_rq_job_that_sends_it(make_notify_app, redis_client) -> None:
    from rq import Queue, SimpleWorker

    from citizenvoice.jobs.connections import worker_redis
    from citizenvoice.jobs.queues import NOTIFY

    app = make_notify_app(CITIZENVOICE_QUIET_HOURS="off")
    file_complaint(app)  # after commit, the web queued the sending job on Redis
    connection = worker_redis(app.config["REDIS_URL"])
    queue = Queue(NOTIFY.queue, connection=connection)
    jobs = [job for job in queue.get_jobs() if job.func_name.endswith("send_notification_job")]
    assert len(jobs) == 1
    with app.app_context():
        SimpleWorker([queue], connection=connection).work(burst=True)
        assert delivery_figures() == {"sms": {"sent": 1}}
    path = Path(app.config["NOTIFY_SMS_URL"].removeprefix("file://"))
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1


def test_production_without_a_channel_says_notifications_are_off(caplog) -> None:
    from citizenvoice import create_app
    from config import ProductionConfig

    env = {
        "SECRET_KEY": "s",
        "DATABASE_URL": "sqlite://",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "CITIZENVOICE_PII_KEY": "p",
        "CITIZENVOICE_AUDIT_KEY": "a",
    }
    with caplog.at_level("WARNING", logger="citizenvoice.jobs"):
        create_app(ProductionConfig(env))
    assert [r.getMessage() for r in caplog.records].count(
        "notifications are off: set CITIZENVOICE_SMS_URL or CITIZENVOICE_SMTP_URL"
    ) == 1
