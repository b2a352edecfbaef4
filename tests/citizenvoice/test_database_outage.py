"""PostgreSQL refused or silent: clean 503s within seconds, and recovery without a restart.

The app talks to the test database through a TCP proxy the test controls (tests/
tcp_fault_proxy.py), so the shared server is never stopped: ``refuse`` is PostgreSQL stopped,
``blackhole`` a server or network that accepts bytes and never answers. Each request during
an outage runs with a bound (a thread joined with a timeout, or an HTTP client timeout) so a
hang fails the test instead of stalling the run.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from factories import csrf_token
from flask import Flask
from sqlalchemy import func, select
from support import TEST_DATABASE_URL, testing_config
from tcp_fault_proxy import FaultProxy, through_proxy, within
from werkzeug.serving import make_server

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import Submission

pytestmark = pytest.mark.slow  # each outage waits out a connect timeout or two

COMPLAINT = "小区门口的路灯坏了两个星期，晚上出行很不方便，请尽快派人修理。"
# The promise: an answer within 5 s while the database is unreachable.
ANSWER_BOUND_SECONDS = 5


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    parts = urlsplit(TEST_DATABASE_URL)
    server = FaultProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    yield server
    server.close()


@pytest.fixture
def proxied_app(seeded: Flask, proxy: FaultProxy) -> Iterator[Flask]:
    """The seeded test app, but reaching PostgreSQL through the fault proxy."""
    app = create_app(testing_config(DATABASE_URL=through_proxy(TEST_DATABASE_URL, proxy)))
    yield app
    proxy.forward()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _api_post(app: Flask) -> Any:
    return app.test_client().post(
        "/api/v1/feedback", json={"kind": "complaint", "department": None, "text": COMPLAINT}
    )


def _submission_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Submission)) or 0
        db.session.remove()
    return count


def _assert_api_503(response: Any) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.get_json() == {
        "error": {
            "code": "service_unavailable",
            "message": "服务暂时不可用，请稍后再试",
            "fields": {},
        }
    }


@pytest.mark.parametrize("fault", ["refuse", "blackhole"])
def test_the_api_answers_503_while_the_database_is_away_and_recovers_after(
    proxied_app: Flask, proxy: FaultProxy, fault: str
) -> None:
    assert _api_post(proxied_app).status_code == 201  # a pooled connection exists now
    getattr(proxy, fault)()
    for _ in range(2):  # the pooled connection first, then a new one
        _assert_api_503(within(ANSWER_BOUND_SECONDS, lambda: _api_post(proxied_app)))
    proxy.forward()
    # The same app object: the pool drops the dead connections and connects afresh.
    response = within(30, lambda: _api_post(proxied_app))
    assert response.status_code == 201
    assert _submission_count(proxied_app) == 2


@pytest.mark.parametrize("fault", ["refuse", "blackhole"])
def test_the_submit_form_keeps_the_residents_text_when_the_database_is_away(
    proxied_app: Flask, proxy: FaultProxy, fault: str
) -> None:
    client = proxied_app.test_client()
    token = csrf_token(client.get("/submit/complaint").get_data(as_text=True))
    getattr(proxy, fault)()
    typed = {
        "csrf_token": token,
        "department": "",
        "title": "路灯<坏了>",
        "text": COMPLAINT,
        "location": "人民路 12 号",
        "contact_phone": "",
    }
    response = within(ANSWER_BOUND_SECONDS, lambda: client.post("/submit/complaint", data=typed))
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "暂时无法提交" in page and "您填写的内容已保留在下方" in page
    assert f">{COMPLAINT}</textarea>" in page
    assert 'value="人民路 12 号"' in page and "路灯&lt;坏了&gt;" in page
    # The kept form sends the same text again once the database is back.
    proxy.forward()
    again = {
        "csrf_token": csrf_token(page),
        "department": "",
        "title": "路灯",
        "text": COMPLAINT,
        "location": "人民路 12 号",
    }
    retried = within(30, lambda: client.post("/submit/complaint", data=again))
    assert retried.status_code == 303, retried.get_data(as_text=True)[:500]
    assert _submission_count(proxied_app) == 1


def test_pages_that_need_the_database_answer_a_chinese_503_page(
    proxied_app: Flask, proxy: FaultProxy
) -> None:
    proxy.refuse()
    client = proxied_app.test_client()
    for path in ("/track/K7Q2-9XMD-4HRT-0VNE-WC3B-8FJY", "/submit/complaint", "/office/queue"):
        response = within(ANSWER_BOUND_SECONDS, lambda path=path: client.get(path))
        if path == "/office/queue":  # anonymous: sent to sign in, which needs no database
            assert response.status_code == 302
            continue
        assert response.status_code == 503, path
        assert response.headers["Retry-After"].isdigit()
        assert "服务暂时不可用，请稍后再试" in response.get_data(as_text=True)
    login = within(ANSWER_BOUND_SECONDS, lambda: client.get("/login"))
    signed = within(
        ANSWER_BOUND_SECONDS,
        lambda: client.post(
            "/login",
            data={
                "username": "office",
                "password": "irrelevant-password",
                "csrf_token": csrf_token(login.get_data(as_text=True)),
            },
        ),
    )
    assert signed.status_code == 503


@pytest.mark.parametrize("fault", ["refuse", "blackhole"])
def test_readiness_names_the_database_while_liveness_stays_up(
    proxied_app: Flask, proxy: FaultProxy, fault: str
) -> None:
    client = proxied_app.test_client()
    assert client.get("/readyz").status_code == 200
    getattr(proxy, fault)()
    ready = within(ANSWER_BOUND_SECONDS, lambda: client.get("/readyz"))
    assert ready.status_code == 503
    assert ready.get_json() == {
        "status": "unavailable",
        "checks": {"database": "down", "redis": "ok"},
    }
    assert within(ANSWER_BOUND_SECONDS, lambda: client.get("/healthz")).status_code == 200
    proxy.forward()
    assert within(30, lambda: client.get("/readyz")).status_code == 200


def test_a_live_server_answers_503_within_bounds_when_the_database_goes_silent(
    proxied_app: Flask, proxy: FaultProxy
) -> None:
    server = make_server("127.0.0.1", 0, proxied_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    body = json.dumps({"kind": "complaint", "department": None, "text": COMPLAINT}).encode()

    def post() -> tuple[int, str, str]:
        request = urllib.request.Request(
            base + "/api/v1/feedback", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=ANSWER_BOUND_SECONDS) as response:
                return response.status, "", response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After", ""), error.read().decode()

    try:
        assert post()[0] == 201
        proxy.blackhole()
        status, retry_after, text = post()  # urlopen's timeout fails a hang
        assert (status, retry_after.isdigit()) == (503, True)
        assert '"service_unavailable"' in text
        assert urllib.request.urlopen(base + "/healthz", timeout=5).status == 200
        proxy.forward()
        assert post()[0] == 201
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_a_refused_form_while_the_database_is_away_is_a_503_not_a_500(
    seeded: Flask, proxy: FaultProxy
) -> None:
    limited = create_app(
        testing_config(
            DATABASE_URL=through_proxy(TEST_DATABASE_URL, proxy),
            CITIZENVOICE_SUBMISSION_LIMIT="1/minute",
        )
    )
    client = limited.test_client()
    token = csrf_token(client.get("/submit/complaint").get_data(as_text=True))
    typed = {"csrf_token": token, "department": "", "text": COMPLAINT}
    assert client.post("/submit/complaint", data=typed).status_code == 303
    proxy.refuse()
    # Over the limit (429) and the database away: the 429 page needs the department list.
    limited_response = within(
        ANSWER_BOUND_SECONDS, lambda: client.post("/submit/complaint", data=typed)
    )
    assert limited_response.status_code == 503
    assert f">{COMPLAINT}</textarea>" in limited_response.get_data(as_text=True)
    # Too large to read (413) and the database away: the page, without reading the body.
    huge = {**typed, "text": "长" * 40_000}
    too_large = within(ANSWER_BOUND_SECONDS, lambda: client.post("/submit/complaint", data=huge))
    assert too_large.status_code == 503
    assert "请点浏览器的“返回”回到上一页" in too_large.get_data(as_text=True)
    proxy.forward()
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_open311_answers_the_specs_503_in_its_format_while_the_database_is_away(
    proxied_app: Flask, proxy: FaultProxy
) -> None:
    """Open311 clients parse every answer as JSON or XML: an outage too, never an HTML page."""
    from xml.etree import ElementTree

    client = proxied_app.test_client()
    assert client.get("/open311/v2/services.json").status_code == 200
    proxy.refuse()
    as_json = within(ANSWER_BOUND_SECONDS, lambda: client.get("/open311/v2/services.json"))
    assert as_json.status_code == 503 and as_json.headers["Retry-After"].isdigit()
    assert as_json.get_json()[0]["code"] == 503
    as_xml = within(ANSWER_BOUND_SECONDS, lambda: client.get("/open311/v2/services.xml"))
    assert as_xml.status_code == 503
    assert ElementTree.fromstring(as_xml.data).findtext("error/code") == "503"
