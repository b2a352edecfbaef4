"""Open311 ``GET requests``: filters, defaults, limits and pages over real HTTP; errors in the
spec's form (never HTML) whatever goes wrong; hostile query strings never a server error."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from citizenvoice.domain.feedback import Channel
from citizenvoice.extensions import db
from citizenvoice.models import Department, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.feedback import file_feedback

TEXT = "小区门口道路破损严重，积水很深，行人车辆通行困难，请尽快修复。"
TIMEOUT = 30


def file_case(app: Flask, *, days_ago: float = 0, consent: bool = True, **fields: Any) -> str:
    """File a case through the service, move it ``days_ago`` back; return its public number."""
    with app.app_context():
        data = {"kind": "complaint", "text": TEXT, "public_consent": consent, **fields}
        case = file_feedback(data, channel=Channel.API, pii=app.extensions["citizenvoice.pii"])
        case.created_at = utcnow() - timedelta(days=days_ago)
        number = case.public_number
        db.session.commit()
    assert number is not None
    return number


def set_status(app: Flask, number: str, status: str) -> None:
    with app.app_context():
        case = db.session.scalar(select(Submission).where(Submission.public_number == number))
        assert case is not None
        case.status = status
        db.session.commit()


def ids(base: str, query: str = "") -> list[str]:
    answer = requests.get(f"{base}/open311/v2/requests.json{query}", timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return [r["service_request_id"] for r in answer.json()]


def department_codes(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Department.code).order_by(Department.code)))


@pytest.mark.slow
def test_listing_filters_defaults_and_pages(live: str, o311_app: Flask, validate) -> None:
    first, second = department_codes(o311_app)[:2]
    recent = file_case(o311_app, days_ago=1, department=first)
    closed = file_case(o311_app, days_ago=2, department=second)
    set_status(o311_app, closed, "closed")
    unrouted = file_case(o311_app, days_ago=3)
    old = file_case(o311_app, days_ago=100, department=first)
    private = file_case(o311_app, days_ago=1, consent=False, department=first)
    rating = file_case(o311_app, days_ago=1, kind="rating", rating=3, department=first)

    # Default: the last 90 days, public cases, no ratings, newest first.
    assert ids(live) == [recent, closed, unrouted]
    assert ids(live, "?status=open") == [recent, unrouted]
    assert ids(live, "?status=closed") == [closed]
    assert ids(live, "?status=open,closed") == [recent, closed, unrouted]
    assert ids(live, f"?service_code={first}") == [recent]
    assert ids(live, f"?service_code={second},other") == [closed, unrouted]
    start = (utcnow() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert ids(live, f"?start_date={start}&end_date={end}") == [old]
    assert ids(live, f"?end_date={end}") == [old]
    assert ids(live, "?page_size=2") == [recent, closed]
    assert ids(live, "?page_size=2&page=2") == [unrouted]
    assert ids(live, "?page_size=2&page=3") == []
    assert ids(live, "?page_size=5000") == [recent, closed, unrouted]  # capped at 1000
    # By id, whatever the date or consent; malformed and unknown ids are left out.
    asked = f"?service_request_id={old},{private},x,{rating},2020-000001&status=closed"
    assert ids(live, asked) == [old, private, rating]
    listing = requests.get(f"{live}/open311/v2/requests.json", timeout=TIMEOUT).json()
    validate("requests.json", listing)
    xml = requests.get(f"{live}/open311/v2/requests.xml?status=open", timeout=TIMEOUT)
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        recent,
        unrouted,
    ]
    assert root.find("request/description").text  # a public case keeps its redacted text


@pytest.mark.slow
def test_bad_filters_are_400_and_unknown_ids_404(live: str) -> None:
    for query in (
        "?status=pending",
        "?service_code=no-such",
        "?service_code=%3Cscript%3E",
        "?start_date=yesterday",
        "?start_date=2026-02-30T00:00:00Z",
        "?start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
        "?page=0",
        "?page_size=-1",
        "?page=%EF%BC%92",  # a full-width 2
        "?start_date=" + "9" * 5000,
    ):
        for fmt in ("json", "xml"):
            answer = requests.get(f"{live}/open311/v2/requests.{fmt}{query}", timeout=TIMEOUT)
            assert answer.status_code == 400, (query, answer.text)
            assert "<html" not in answer.text.lower()
    for path in (
        "requests/2026-000001.json",
        "requests/2026-000001.xml",
        "requests/abc.json",
        "requests/..%2F..%2Fetc.json",
        "requests/2026-000001",
        "requests/2026-000001.html",
        "requests/%00.json",
        "tokens/nothing.xml",
        "services/%E2%80%AE.json",
    ):
        answer = requests.get(f"{live}/open311/v2/{path}", timeout=TIMEOUT)
        assert answer.status_code == 404, (path, answer.text)
        assert "<html" not in answer.text.lower()


@pytest.mark.slow
def test_every_error_under_open311_is_in_the_specs_form(live: str, o311_app: Flask) -> None:
    unknown = requests.get(f"{live}/open311/v2/nothing.json", timeout=TIMEOUT)
    assert unknown.status_code == 404
    assert unknown.json() == [{"code": 404, "description": "not found"}]
    for path in ("/open311/v2/nothing.xml", "/open311/", "/open311/v3/services.xml"):
        answer = requests.get(f"{live}{path}", timeout=TIMEOUT)
        assert answer.status_code == 404 and "<html" not in answer.text.lower()
    wrong_method = requests.delete(f"{live}/open311/v2/requests.xml", timeout=TIMEOUT)
    assert wrong_method.status_code == 405
    root = ElementTree.fromstring(wrong_method.content)
    assert root.tag == "errors" and root.findtext("error/code") == "405"
    assert "GET" in wrong_method.headers["Allow"]
    too_big = requests.post(
        f"{live}/open311/v2/requests.json",
        data={"description": "x" * (o311_app.config["MAX_CONTENT_LENGTH"] + 10)},
        timeout=TIMEOUT,
    )
    assert too_big.status_code == 413
    assert too_big.json()[0]["code"] == 413
    o311_app.config["OPEN311_READ_LIMIT"] = "3/minute"
    statuses = [requests.get(f"{live}/open311/v2/services.xml", timeout=TIMEOUT) for _ in range(5)]
    assert [s.status_code for s in statuses][-1] == 429
    limited = ElementTree.fromstring(statuses[-1].content)
    assert limited.tag == "errors" and limited.findtext("error/code") == "429"


def test_a_server_error_under_open311_is_in_the_specs_form(o311_app: Flask) -> None:
    """A failure inside a view (the database gone) answers the spec's 500, not a page."""
    client = o311_app.test_client()
    with o311_app.app_context():
        db.session.execute(db.text("DROP TABLE open311_api_key"))
        db.session.commit()
    try:
        answer = client.post("/open311/v2/requests.xml", data={"api_key": "cv311_x"})
        # PostgreSQL reports a missing table as a programming error (500); SQLite as an
        # OperationalError, which the app reads as the database being unreachable (503).
        # Either way the answer is the spec's error list, never an HTML page.
        assert answer.status_code in (500, 503)
        root = ElementTree.fromstring(answer.data)
        assert root.tag == "errors" and root.findtext("error/code") == str(answer.status_code)
    finally:
        with o311_app.app_context():
            db.metadata.tables["open311_api_key"].create(db.engine)
