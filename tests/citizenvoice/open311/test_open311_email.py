"""Open311 ``POST requests`` keeps the ``email`` parameter as the case's contact address.

Over real HTTP on PostgreSQL and on SQLite: a good address is stored encrypted and masked (and
never shown in the public listing); a bad one, header injection included, is a 400 in the
spec's error form naming ``email``, and nothing is stored.
"""

from __future__ import annotations

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import Submission

COMPLAINT = "人民路夜市每天晚上占道经营到凌晨，油烟噪音严重扰民，请尽快处理。"
TIMEOUT = 30
BAD = [
    "a@b.com\r\nBcc: x@y.com",
    "no-at-sign",
    "a b@example.com",
    "=1+1",
    "a@example",
    "x" * 300 + "@example.com",
]


def _post(base: str, fmt: str = "json", **fields: str) -> requests.Response:
    return requests.post(f"{base}/open311/v2/requests.{fmt}", data=fields, timeout=TIMEOUT)


def _count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Submission)) or 0)


@pytest.mark.slow
def test_a_good_email_is_kept_as_the_contact_address(
    live: str, o311_app: Flask, api_key: str
) -> None:
    fields = {"service_code": "other", "description": COMPLAINT, "address_string": "人民路"}
    answer = _post(live, api_key=api_key, email=" Wang.Wu@Example.COM ", **fields)
    assert answer.status_code == 200, answer.text
    number = answer.json()[0]["service_request_id"]
    with o311_app.app_context():
        case = db.session.scalar(select(Submission).where(Submission.public_number == number))
        assert case is not None and case.channel == "open311"
        assert case.contact_email_masked == "W***@example.com"
        assert case.contact_email_encrypted and "Wang.Wu" not in case.contact_email_encrypted
        pii = o311_app.extensions["citizenvoice.pii"]
        assert pii.decrypt(case.contact_email_encrypted) == "Wang.Wu@example.com"
    listing = requests.get(f"{live}/open311/v2/requests.json", timeout=TIMEOUT).text
    assert "example.com" not in listing.lower()


@pytest.mark.slow
def test_a_bad_email_is_a_400_naming_the_parameter(
    live: str, o311_app: Flask, api_key: str
) -> None:
    fields = {"service_code": "other", "description": COMPLAINT, "address_string": "人民路"}
    before = _count(o311_app)
    for value in BAD:
        for fmt in ("json", "xml"):
            answer = _post(live, fmt, api_key=api_key, email=value, **fields)
            assert answer.status_code == 400, (value, answer.text)
            if fmt == "json":
                (error,) = answer.json()
                assert error["code"] == 400 and error["description"].startswith("email: ")
                assert "Bcc" not in error["description"]
    assert _count(o311_app) == before
    # An empty parameter is no address at all.
    assert _post(live, api_key=api_key, email="", **fields).status_code == 200
