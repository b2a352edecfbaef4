"""Safety baseline: security headers on every response, CSRF on forms, cookie flags, no leaks.

Headers are checked on ordinary pages, on every kind of error page (HTML and JSON) and on a
real 500 from a route that raises.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from factories import page_token
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import testing_config

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import OutboxMessage, StatusEvent, Submission
from config import MAX_BODY_BYTES, DevelopmentConfig, ProductionConfig, TestingConfig, config_for

COMPLAINT = "幸福家园小区5栋电梯一个月内坏了四次，物业一直不修，老人上下楼很困难。"
STRICT_REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(header: str) -> dict[str, list[str]]:
    """Parse a Content-Security-Policy header into {directive: [sources]}."""
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy"
    directives = csp_directives(csp)
    all_sources = [source for sources in directives.values() for source in sources]
    assert "'unsafe-inline'" not in all_sources
    assert "'unsafe-eval'" not in all_sources
    assert "*" not in all_sources
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        assert directives.get(directive, ["'self'"]) == ["'self'"], directive
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") in STRICT_REFERRER_POLICIES
    assert headers.get("X-Frame-Options") == "DENY"


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Submission, StatusEvent, OutboxMessage)
        }


@pytest.fixture
def make_app(app: Flask) -> Iterator[Any]:
    """Build extra apps from a config object (``app`` readies the database and Redis)."""
    built: list[Flask] = []

    def build(config: Any) -> Flask:
        application = create_app(config)
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------------------- headers

REQUESTS = [
    pytest.param("GET", "/", {}, 200, id="home"),
    pytest.param("GET", "/submit/complaint", {}, 200, id="form"),
    pytest.param("GET", "/track", {}, 200, id="lookup"),
    pytest.param("GET", "/track/AAAAAAAAAAAAAAAAAAAAAAAA", {}, 404, id="track-404"),
    pytest.param("GET", "/no-such-page", {}, 404, id="page-404"),
    pytest.param("PUT", "/submit/complaint", {}, 405, id="page-405"),
    pytest.param("POST", "/submit/complaint", {"data": {"text": COMPLAINT}}, 400, id="csrf-400"),
    pytest.param("GET", "/api/v1/departments", {}, 200, id="api-200"),
    pytest.param(
        "POST",
        "/api/v1/feedback",
        {"json": {"kind": "complaint", "text": COMPLAINT}},
        201,
        id="201",
    ),
    pytest.param("POST", "/api/v1/feedback", {"json": {"kind": "x"}}, 400, id="api-400"),
    pytest.param("GET", "/api/v1/feedback/AAAAAAAAAAAAAAAAAAAAAAAA", {}, 404, id="api-404"),
    pytest.param("GET", "/api/v1/nope", {}, 404, id="api-path-404"),
    pytest.param("DELETE", "/api/v1/feedback", {}, 405, id="api-405"),
    pytest.param(
        "POST",
        "/api/v1/feedback",
        {"data": "x" * (MAX_BODY_BYTES + 1), "content_type": "application/json"},
        413,
        id="api-413",
    ),
    pytest.param(
        "POST",
        "/api/v1/feedback",
        {"data": "投诉", "content_type": "text/plain; charset=utf-8"},
        415,
        id="api-415",
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), REQUESTS)
def test_every_response_carries_the_security_headers(seeded, client, method, path, kwargs, status):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status
    assert_security_headers(response)


def test_static_files_carry_the_security_headers(client):
    with client.get("/static/js/department-filter.js") as response:
        assert response.status_code == 200
        assert_security_headers(response)


def test_a_rate_limited_response_carries_the_security_headers(make_app):
    client = make_app(testing_config(CITIZENVOICE_SUBMISSION_LIMIT="1/minute")).test_client()
    client.post("/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT})
    response = client.post("/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT})
    assert response.status_code == 429
    assert response.content_type == "application/json"
    assert_security_headers(response)


# ---------------------------------------------------------------------------- 500


@pytest.fixture
def crashing_client(make_app) -> FlaskClient:
    """An app with a page and an API route that fail with an unexpected exception."""
    application = make_app(testing_config())

    def explode() -> str:
        raise RuntimeError("数据库密码 hunter2 泄露了")

    application.add_url_rule("/boom", "boom", explode)
    application.add_url_rule("/api/v1/boom", "api_boom", explode)
    return application.test_client()


def test_an_unexpected_error_gives_a_chinese_500_page_without_details(crashing_client, caplog):
    response = crashing_client.get("/boom")
    assert response.status_code == 500
    assert response.content_type == "text/html; charset=utf-8"
    assert "服务器出错，请稍后再试" in response.text
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert_security_headers(response)
    assert "hunter2" in caplog.text  # the details go to the log, not to the resident


def test_an_unexpected_api_error_gives_a_json_500_without_details(crashing_client):
    response = crashing_client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.content_type == "application/json"
    assert response.get_json() == {
        "error": {"code": "internal_error", "message": "服务器出错，请稍后再试", "fields": {}}
    }
    assert_security_headers(response)


# ---------------------------------------------------------------------------- inline code


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/submit/complaint",
        "/submit/rating",
        "/submit/suggestion",
        "/track",
        "/track/AAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_pages_have_no_inline_script_style_or_handlers_the_csp_would_block(seeded, client, path):
    html = client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "event handler attribute"
    assert "javascript:" not in html


def test_the_pages_of_a_filed_case_have_no_inline_code_either(seeded, client):
    response = client.post(
        "/submit/complaint",
        data={"csrf_token": page_token(client), "department": "cgzf", "text": COMPLAINT},
    )
    assert response.status_code == 303
    for path in (
        response.headers["Location"],
        response.headers["Location"].replace("submitted", "track"),
    ):
        html = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", html)


def test_templates_on_disk_have_no_inline_script_or_style():
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "templates")
    checked = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".html"):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    html = handle.read()
                checked += 1
                assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
                assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), name
    assert checked >= 8


# ---------------------------------------------------------------------------- CSRF


def test_every_form_carries_a_csrf_token(seeded, client):
    for kind in ("complaint", "rating", "suggestion"):
        assert len(page_token(client, f"/submit/{kind}")) > 20


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("forged-token", id="forged"),
        pytest.param(
            "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.aaaaaa.bbbbbbb", id="fake"
        ),
    ],
)
def test_a_form_post_without_a_valid_token_is_refused_and_stores_nothing(seeded, client, token):
    page_token(client)  # the resident has a session with a real token
    before = row_counts(seeded)
    data = {"department": "", "text": COMPLAINT}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/submit/complaint", data=data)
    assert response.status_code == 400
    assert "页面已过期或来源不明，请刷新后重新提交。" in response.text
    assert row_counts(seeded) == before


def test_a_token_from_another_session_is_refused(seeded, app):
    attacker, victim = app.test_client(), app.test_client()
    stolen = page_token(attacker)
    page_token(victim)
    before = row_counts(seeded)
    response = victim.post("/submit/complaint", data={"csrf_token": stolen, "text": COMPLAINT})
    assert response.status_code == 400
    assert row_counts(seeded) == before


def test_a_token_without_its_session_cookie_is_refused(seeded, app):
    client = app.test_client()
    token = page_token(client)
    client.delete_cookie("session")
    before = row_counts(seeded)
    response = client.post("/submit/complaint", data={"csrf_token": token, "text": COMPLAINT})
    assert response.status_code == 400
    assert row_counts(seeded) == before


def test_the_api_refuses_the_bodies_a_cross_site_form_can_send(seeded, client):
    # text/plain and form bodies are what a cross-site form can send; the API refuses both.
    before = row_counts(seeded)
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        body = json.dumps({"kind": "complaint", "text": COMPLAINT})
        response = client.post("/api/v1/feedback", data=body, content_type=content_type)
        assert response.status_code == 415
    assert row_counts(seeded) == before


# ---------------------------------------------------------------------------- cookies


def set_cookie_of(response, name: str = "session") -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert len(cookies) == 1, response.headers.getlist("Set-Cookie")
    return cookies[0]


def test_the_session_cookie_is_httponly_and_samesite_lax(seeded, client):
    cookie = set_cookie_of(client.get("/submit/complaint"))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_the_session_cookie_is_secure_in_production(make_app, seeded):
    environ = {
        "SECRET_KEY": "生产环境的会话密钥-不少于三十二个字符-0123456789",
        "DATABASE_URL": seeded.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": seeded.config["REDIS_URL"],
        "CITIZENVOICE_PII_KEY": "生产环境的个人信息密钥-0123456789",
        "CITIZENVOICE_AUDIT_KEY": "生产环境的审计密钥-0123456789",
    }
    production = make_app(config_for("production", environ))
    assert production.config["ENV_NAME"] == "production"
    response = production.test_client().get("/submit/complaint")
    assert response.status_code == 200
    cookie = set_cookie_of(response)
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= attributes
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert_security_headers(response)


def test_no_strict_transport_security_over_plain_http_in_testing(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("config_class", [DevelopmentConfig, TestingConfig, ProductionConfig])
def test_every_config_sets_cookie_flags_and_the_body_limit(config_class):
    config = config_class({"SECRET_KEY": "k", "DATABASE_URL": "postgresql://u@h/db"})
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.SESSION_COOKIE_SECURE is (config_class is ProductionConfig)
    assert config.MAX_CONTENT_LENGTH == MAX_BODY_BYTES == 64 * 1024


def test_the_app_applies_the_body_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
