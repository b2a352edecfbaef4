"""Security headers on every kind of response the app gives, in every config.

HTML pages (public and staff), JSON, JSON and HTML errors (400, 404, 405, 413, 429), static
files (ours and Bootstrap's, also a 304 revalidation), CSV and XLSX exports, redirects (301,
302 to the login page, 303 after a form) all carry the same Content-Security-Policy (no inline
script or style, ``frame-ancestors 'none'``), ``nosniff``, ``X-Frame-Options: DENY`` and a strict
Referrer-Policy; Strict-Transport-Security is sent in production only, on every kind as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from factories import csrf_token, login, make_user
from flask import Flask
from flask.testing import FlaskClient
from support import testing_config

from citizenvoice import create_app
from citizenvoice.blueprints.security import CONTENT_SECURITY_POLICY
from citizenvoice.extensions import db
from config import MAX_BODY_BYTES, config_for

COMPLAINT = "幸福家园小区5栋电梯一个月内坏了四次，物业一直不修，老人上下楼很困难。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def _assert_headers(response, *, hsts: bool) -> None:
    headers = response.headers
    assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY
    directives = _directives(headers["Content-Security-Policy"])
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"
    if hsts:
        assert headers.get("Strict-Transport-Security", "").startswith("max-age=31536000")
    else:
        assert "Strict-Transport-Security" not in headers


def _staff(app: Flask) -> FlaskClient:
    make_user(app, "office", username="office_h")
    return login(app, "office_h")


def _period_with_results(app: Flask, office: FlaskClient) -> str:
    from citizenvoice.services.appraisal import ensure_periods

    with app.app_context():
        code = next(p for p in ensure_periods() if p.kind == "month").code
        db.session.commit()
    page = office.get(f"/office/periods/{code}").get_data(as_text=True)
    computed = office.post(f"/office/periods/{code}/compute", data={"csrf_token": csrf_token(page)})
    assert computed.status_code == 303
    return code


def _form_token(client: FlaskClient) -> str:
    return csrf_token(client.get("/submit/complaint").get_data(as_text=True))


# Each kind: (name, request maker(app, anonymous client, office client) -> response, status,
# what the content type starts with).
Kind = tuple[str, Callable[[Flask, FlaskClient, FlaskClient], Any], int, str]
KINDS: list[Kind] = [
    ("html-page", lambda a, c, o: c.get("/"), 200, "text/html"),
    ("html-staff-page", lambda a, c, o: o.get("/office/queue"), 200, "text/html"),
    ("json", lambda a, c, o: c.get("/api/v1/departments"), 200, "application/json"),
    (
        "json-400",
        lambda a, c, o: c.post("/api/v1/feedback", json={"kind": "x"}),
        400,
        "application/json",
    ),
    ("json-404", lambda a, c, o: c.get("/api/v1/nope"), 404, "application/json"),
    ("json-405", lambda a, c, o: c.delete("/api/v1/feedback"), 405, "application/json"),
    (
        "json-413",
        lambda a, c, o: c.post(
            "/api/v1/feedback", data="x" * (MAX_BODY_BYTES + 1), content_type="application/json"
        ),
        413,
        "application/json",
    ),
    ("html-400-csrf", lambda a, c, o: c.post("/submit/complaint", data={}), 400, "text/html"),
    ("html-404", lambda a, c, o: c.get("/no-such-page"), 404, "text/html"),
    ("html-405", lambda a, c, o: c.put("/submit/complaint"), 405, "text/html"),
    (
        "html-413",
        lambda a, c, o: c.post(
            "/submit/complaint",
            data={"csrf_token": _form_token(c), "text": "长" * MAX_BODY_BYTES},
        ),
        413,
        "text/html",
    ),
    ("html-403", lambda a, c, o: _department_staff(a).get("/office/queue"), 403, "text/html"),
    ("static-css", lambda a, c, o: c.get("/static/css/app.css"), 200, "text/css"),
    ("static-js", lambda a, c, o: c.get("/static/js/feedback-form.js"), 200, "text/javascript"),
    (
        "static-bootstrap",
        lambda a, c, o: c.get("/bootstrap/static/css/bootstrap.min.css"),
        200,
        "text/css",
    ),
    ("static-304", lambda a, c, o: _revalidated(c), 304, ""),
    ("csv-export", lambda a, c, o: o.get("/workspace/export.csv"), 200, "text/csv"),
    ("xlsx-export", lambda a, c, o: o.get("/workspace/export.xlsx"), 200, XLSX),
    (
        "csv-results",
        lambda a, c, o: o.get(f"/office/periods/{_period_with_results(a, o)}/results.csv"),
        200,
        "text/csv",
    ),
    (
        "xlsx-results",
        lambda a, c, o: o.get(f"/office/periods/{_period_with_results(a, o)}/results.xlsx"),
        200,
        XLSX,
    ),
    ("redirect-302-login", lambda a, c, o: c.get("/office/queue"), 302, "text/html"),
    (
        "redirect-303-logout",
        lambda a, c, o: o.post(
            "/logout", data={"csrf_token": csrf_token(o.get("/staff/password").get_data(True))}
        ),
        303,
        "text/html",
    ),
    ("redirect-301-track", lambda a, c, o: _lower_case_code(c), 301, "text/html"),
    ("redirect-308-slash", lambda a, c, o: o.get("/workspace"), 308, "text/html"),
    ("head", lambda a, c, o: c.head("/track"), 200, "text/html"),
    # the public portal, the open data, the API's description and Open311 (JSON and XML)
    ("html-portal", lambda a, c, o: c.get("/open/"), 200, "text/html"),
    ("open-data-file", lambda a, c, o: _open_data_file(a, c), 200, "text/csv"),
    ("openapi-json", lambda a, c, o: c.get("/api/v1/openapi.json"), 200, "application/json"),
    ("api-docs", lambda a, c, o: c.get("/api/docs"), 200, "text/html"),
    ("open311-json", lambda a, c, o: c.get("/open311/v2/services.json"), 200, "application/json"),
    ("open311-xml", lambda a, c, o: c.get("/open311/v2/services.xml"), 200, "text/xml"),
    (
        "open311-xml-404",
        lambda a, c, o: c.get("/open311/v2/requests/2026-999999.xml"),
        404,
        "text/xml",
    ),
    (
        "open311-403-no-key",
        lambda a, c, o: c.post("/open311/v2/requests.json", data={"service_code": "cgzf"}),
        403,
        "application/json",
    ),
    (
        "csv-rectification-sheet",
        lambda a, c, o: o.get("/office/rectification/sheet.csv"),
        200,
        "text/csv",
    ),
    ("html-404-message-link", lambda a, c, o: c.get("/u/1.0.forged"), 404, "text/html"),
]


def _open_data_file(app: Flask, client: FlaskClient):
    """A file of a fresh open-data build (buffered, then the build is removed)."""
    import shutil
    import tempfile

    from citizenvoice.domain.workdays import SHANGHAI
    from citizenvoice.models.base import utcnow
    from citizenvoice.services.opendata import build

    root = tempfile.mkdtemp(prefix="cv-opendata-")
    app.config["OPEN_DATA_DIR"] = root
    try:
        with app.app_context():
            version = build(root, utcnow().astimezone(SHANGHAI).date()).folder.name
        response = client.get(f"/open/data/{version}/public-cases.csv")
        response.get_data()  # read before the folder goes
        return response
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _department_staff(app: Flask) -> FlaskClient:
    make_user(app, "department_staff", "cgzf", "cg_h")
    return login(app, "cg_h")


def _lower_case_code(client: FlaskClient):
    """A tracking code typed in lower case: sent on to its canonical address."""
    created = client.post("/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT})
    assert created.status_code == 201
    return client.get(f"/track/{created.get_json()['tracking_code'].lower()}")


def _revalidated(client: FlaskClient):
    first = client.get("/static/css/app.css")
    first.close()
    return client.get("/static/css/app.css", headers={"If-None-Match": first.headers["ETag"]})


def _check_kind(app: Flask, kind: Kind, *, hsts: bool) -> None:
    name, make, status, content_type = kind
    client = app.test_client()
    office = _staff(app)
    with make(app, client, office) as response:
        assert response.status_code == status, (name, response.get_data(as_text=True)[:300])
        assert (response.content_type or "").startswith(content_type), (name, response.content_type)
        _assert_headers(response, hsts=hsts)


@pytest.mark.parametrize("kind", KINDS, ids=[kind[0] for kind in KINDS])
def test_every_kind_of_response_carries_the_security_headers_without_hsts(seeded, kind):
    _check_kind(seeded, kind, hsts=False)


def test_a_rate_limited_html_page_carries_the_security_headers(make_app):
    app = make_app(testing_config(CITIZENVOICE_SUBMISSION_LIMIT="1/minute"))
    client = app.test_client()
    data = {"kind": "complaint", "text": COMPLAINT}
    first = client.post("/submit/complaint", data={**data, "csrf_token": _form_token(client)})
    assert first.status_code == 303, first.get_data(as_text=True)[:300]
    second = client.post("/submit/complaint", data={**data, "csrf_token": _form_token(client)})
    assert second.status_code == 429
    assert second.content_type.startswith("text/html")
    _assert_headers(second, hsts=False)


@pytest.fixture
def make_app(seeded: Flask) -> Iterator[Callable[[Any], Flask]]:
    """Build extra apps on the test database (``seeded`` readies it and its departments)."""
    built: list[Flask] = []

    def build(config: Any) -> Flask:
        application = create_app(config)
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def production(seeded: Flask, make_app) -> Flask:
    """The production config on the test database (HTTPS-only cookies, HSTS)."""
    environ = {
        "SECRET_KEY": "生产环境的会话密钥-不少于三十二个字符-0123456789",
        "DATABASE_URL": seeded.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": seeded.config["REDIS_URL"],
        "CITIZENVOICE_PII_KEY": "生产环境的个人信息密钥-0123456789",
        "CITIZENVOICE_AUDIT_KEY": "生产环境的审计密钥-0123456789",
    }
    application = make_app(config_for("production", environ))
    application.config["AUDIT_ANCHOR"] = seeded.config["AUDIT_ANCHOR"]
    return application


# Production sends the session cookie over HTTPS only, so a signed-in kind needs an HTTPS client.
PRODUCTION_KINDS = [
    k
    for k in KINDS
    if k[0]
    in {
        "html-page",
        "json",
        "json-404",
        "html-404",
        "html-405",
        "static-css",
        "static-bootstrap",
        "redirect-302-login",
        "html-400-csrf",
    }
]


@pytest.mark.parametrize("kind", PRODUCTION_KINDS, ids=[kind[0] for kind in PRODUCTION_KINDS])
def test_production_adds_strict_transport_security_to_every_kind(production, kind):
    name, make, status, content_type = kind
    client = production.test_client()
    with make(production, client, client) as response:
        assert response.status_code == status, name
        assert (response.content_type or "").startswith(content_type), name
        _assert_headers(response, hsts=True)


def test_development_sends_no_strict_transport_security(make_app, seeded):
    development = make_app(
        config_for("development", {"DATABASE_URL": seeded.config["SQLALCHEMY_DATABASE_URI"]})
    )
    with development.test_client().get("/") as response:
        assert response.status_code == 200
        _assert_headers(response, hsts=False)
