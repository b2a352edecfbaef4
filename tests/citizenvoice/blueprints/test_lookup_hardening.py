"""Case data is not cached, API links ignore the Host header, tracking-code lookups are limited.

- ``Cache-Control: no-store`` on staff pages, exports, the API case view, the tracking and
  confirmation pages (and not on the public home page, which holds no case).
- The API's ``url`` is built from ``PUBLIC_BASE_URL``, or is a relative path; a hostile Host
  header never reaches it.
- ``CITIZENVOICE_LOOKUP_LIMIT`` limits lookups by tracking code per address, one budget for
  the API and the pages; over it the API answers its JSON 429.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from factories import login, make_user
from flask import Flask
from support import testing_config

from citizenvoice import create_app
from citizenvoice.cli import seed_demo_data
from citizenvoice.extensions import db
from config import ConfigError, TestingConfig

COMPLAINT = {
    "kind": "complaint",
    "department": "cgzf",
    "title": "路灯不亮",
    "text": "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快派人维修。",
}


@pytest.fixture
def world(seeded: Flask) -> dict[str, Any]:
    for username, role, department in [
        ("cg_staff", "department_staff", "cgzf"),
        ("office1", "office", None),
    ]:
        make_user(seeded, role, department, username)
    created = seeded.test_client().post("/api/v1/feedback", json=COMPLAINT)
    assert created.status_code == 201
    return {"app": seeded, "code": created.get_json()["tracking_code"]}


# ---------------------------------------------------------------------------- no-store


def test_staff_pages_and_exports_are_not_stored_by_any_cache(world):
    staff = login(world["app"], "cg_staff")
    case_id = re.search(r"/workspace/cases/(\d+)", staff.get("/workspace/").text).group(1)
    for path in (
        "/workspace/",
        f"/workspace/cases/{case_id}",
        "/workspace/export.csv",
        "/workspace/export.xlsx",
        "/workspace/dashboard",
        "/workspace/cases/999999",  # a 404 of the workspace as well
    ):
        response = staff.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path
    office = login(world["app"], "office1")
    for path in ("/office/routing", "/office/periods"):
        response = office.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path


def test_the_case_view_and_the_residents_case_pages_are_not_stored(world):
    client = world["app"].test_client()
    code = world["code"]
    for path in (f"/api/v1/feedback/{code}", f"/track/{code}", f"/submitted/{code}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers.get("Cache-Control") == "no-store", path
    created = client.post("/api/v1/feedback", json=COMPLAINT)  # it carries a tracking code
    assert created.headers.get("Cache-Control") == "no-store"
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


# ---------------------------------------------------------------------------- PUBLIC_BASE_URL


@pytest.fixture
def make_app(app: Flask) -> Iterator[Any]:
    """Build apps with environment overrides (``app`` empties the tables first)."""
    built: list[Flask] = []

    def _make(**env: str) -> Flask:
        application = create_app(testing_config(**env))
        with application.app_context():
            seed_demo_data(0)
            db.session.commit()
        built.append(application)
        return application

    yield _make
    for application in built:
        with application.app_context():
            db.engine.dispose()


HOSTILE = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def test_without_a_public_base_url_the_api_answers_a_relative_path_whatever_the_host(make_app):
    client = make_app().test_client()
    response = client.post("/api/v1/feedback", json=COMPLAINT, headers=HOSTILE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"] == f"/track/{body['tracking_code']}"
    assert "evil" not in response.get_data(as_text=True)


def test_with_a_public_base_url_the_api_links_there_whatever_the_host(make_app):
    application = make_app(PUBLIC_BASE_URL="https://12345.example.gov.cn/")
    response = application.test_client().post("/api/v1/feedback", json=COMPLAINT, headers=HOSTILE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"] == f"https://12345.example.gov.cn/track/{body['tracking_code']}"
    assert "evil" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "value", ["12345.example.gov.cn", "javascript:alert(1)", "https://", "https://a@evil.example"]
)
def test_a_public_base_url_that_is_not_an_http_address_is_refused_at_start(value):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        TestingConfig({"PUBLIC_BASE_URL": value})


def test_the_public_base_url_is_unset_by_default():
    assert TestingConfig({}).PUBLIC_BASE_URL is None


# ---------------------------------------------------------------------------- lookup limit


def test_the_lookup_limit_defaults_to_120_a_minute():
    assert TestingConfig({}).LOOKUP_RATE_LIMIT == "120/minute"


def test_too_many_api_lookups_are_a_json_429(make_app):
    client = make_app(CITIZENVOICE_LOOKUP_LIMIT="3/minute").test_client()
    code = client.post("/api/v1/feedback", json=COMPLAINT).get_json()["tracking_code"]
    assert client.get(f"/api/v1/feedback/{code}").status_code == 200
    assert client.get("/api/v1/feedback/AAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404  # counts
    assert client.get(f"/api/v1/feedback/{code}").status_code == 200
    response = client.get(f"/api/v1/feedback/{code}")
    assert response.status_code == 429
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    other = client.get(f"/api/v1/feedback/{code}", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # per address


def test_the_tracking_pages_share_the_api_lookup_budget(make_app):
    client = make_app(CITIZENVOICE_LOOKUP_LIMIT="3/minute").test_client()
    code = client.post("/api/v1/feedback", json=COMPLAINT).get_json()["tracking_code"]
    assert client.get(f"/track/{code}").status_code == 200
    assert client.get(f"/submitted/{code}").status_code == 200
    assert client.get(f"/api/v1/feedback/{code}").status_code == 200
    page = client.get(f"/track/{code}")
    assert page.status_code == 429
    assert "<html" in page.get_data(as_text=True).lower()  # the Chinese error page
    assert client.get(f"/api/v1/feedback/{code}").status_code == 429
    assert client.get("/").status_code == 200  # other pages are not limited
