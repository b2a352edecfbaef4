"""The OpenAPI 3.1 document: valid, generated from the code's own schemas, and true of answers.

``/api/v1/openapi.json`` must pass the OpenAPI spec validator; its request body must be the
field table validate_feedback reads (not a copy); real answers of every API v1 endpoint must
match the response schemas it publishes; and ``/api/docs`` renders it from local files under
the site's Content-Security-Policy.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from factories import follow_ups
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from support import testing_config

from citizenvoice import create_app
from citizenvoice.blueprints.api.openapi import feedback_request_schema, openapi_document
from citizenvoice.blueprints.api.views import _ACCEPTED_FIELDS
from citizenvoice.domain.feedback import (
    MAX_LOCATION_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MIN_TEXT_LENGTH,
    PHONE_PATTERN,
    FeedbackKind,
    FeedbackValidationError,
    validate_feedback,
)
from citizenvoice.domain.feedback_fields import FEEDBACK_FIELDS
from citizenvoice.extensions import db
from citizenvoice.services.appraisal import PRESETS, ensure_periods, settings_json, update_settings

COMPLAINT = "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快派人维修。"


@pytest.fixture(scope="module")
def offline_client() -> FlaskClient:
    """An app that needs no service: the document and the docs page read no database."""
    return create_app(testing_config()).test_client()


def response_validator(document: dict[str, Any], path: str, method: str, status: int):
    """A JSON Schema validator for the documented answer (refs resolve inside the document)."""
    answer = document["paths"][path][method]["responses"][str(status)]
    schema = answer["content"]["application/json"]["schema"]
    wrapped = {**schema, "components": document["components"]}
    return Draft202012Validator(wrapped, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_documented(document, path: str, method: str, response) -> None:
    """The answer's status is documented for the operation and its body matches the schema."""
    responses = document["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (path, method, response.status_code)
    assert response.content_type == "application/json"
    validator = response_validator(document, path, method, response.status_code)
    errors = [e.message for e in validator.iter_errors(response.get_json())]
    assert not errors, (path, method, response.status_code, errors[:3])


# ---------------------------------------------------------------------------- the document


def test_openapi_json_is_a_valid_openapi_3_1_document(offline_client):
    response = offline_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    validate_spec(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_document_covers_every_api_v1_and_open311_json_route(offline_client):
    app = offline_client.application
    paths = set(openapi_document()["paths"])
    for rule in app.url_map.iter_rules():
        route = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        if rule.rule.startswith("/api/v1/"):
            assert route in paths, rule.rule
    open311 = {p for p in paths if p.startswith("/open311/")}
    assert {
        "/open311/discovery.json",
        "/open311/v2/services.json",
        "/open311/v2/requests.json",
    } <= open311


def test_request_body_is_rendered_from_the_field_table_validate_feedback_reads():
    schema = feedback_request_schema()
    # The declared fields, and the photo ids of POST /api/v1/media (not a stored column).
    assert set(schema["properties"]) == set(FEEDBACK_FIELDS) | {"media"} == set(_ACCEPTED_FIELDS)
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["kind", "text"]
    text = schema["properties"]["text"]
    assert (text["minLength"], text["maxLength"]) == (MIN_TEXT_LENGTH, MAX_TEXT_LENGTH)
    assert schema["properties"]["title"]["maxLength"] == MAX_TITLE_LENGTH
    assert schema["properties"]["location"]["maxLength"] == MAX_LOCATION_LENGTH
    assert schema["properties"]["contact_phone"]["pattern"] == PHONE_PATTERN.pattern
    assert schema["properties"]["kind"]["enum"] == [k.value for k in FeedbackKind]
    assert (schema["properties"]["lat"]["minimum"], schema["properties"]["lat"]["maximum"]) == (
        -90,
        90,
    )
    # Chinese and English in every description.
    for prop in schema["properties"].values():
        assert re.search("[\u4e00-\u9fff]", prop["description"]), prop
        assert re.search("[A-Za-z]{3}", prop["description"]), prop


@pytest.mark.parametrize(
    ("field", "too_far", "message_part"),
    [
        ("text", "很" * (MAX_TEXT_LENGTH + 1), "内容太长"),
        ("title", "标" * (MAX_TITLE_LENGTH + 1), "标题请不要超过"),
        ("location", "地" * (MAX_LOCATION_LENGTH + 1), "地点请不要超过"),
        ("rating", 6, "评分须为 1 到 5 的整数"),
        ("rating_result", 0, "办理结果评分须为 1 到 5 的整数"),
        ("lat", 90.5, "纬度须为 -90 到 90"),
    ],
)
def test_a_value_just_outside_the_published_bound_is_refused_with_the_chinese_message(
    field, too_far, message_part
):
    body = {"kind": "rating", "department": "cgzf", "text": COMPLAINT, "rating": 4, "long": 120}
    body[field] = too_far
    with pytest.raises(FeedbackValidationError) as refused:
        validate_feedback(body)
    assert message_part in refused.value.fields[field]


def test_a_value_on_the_published_bound_is_accepted():
    spec = FEEDBACK_FIELDS
    accepted = validate_feedback(
        {
            "kind": "rating",
            "department": "c" * int(spec["department"].max_length or 0),
            "text": "好" * int(spec["text"].max_length or 0),
            "title": "标" * int(spec["title"].max_length or 0),
            "rating": spec["rating"].maximum,
            "rating_efficiency": spec["rating_efficiency"].minimum,
            "lat": spec["lat"].minimum,
            "long": spec["long"].maximum,
        }
    )
    assert accepted.rating == 5
    assert accepted.sub_ratings == {"rating_efficiency": 1}


# ---------------------------------------------------------------------------- real answers


def test_real_api_answers_match_the_published_response_schemas(seeded, client):
    document = openapi_document()
    assert_documented(document, "/api/v1/departments", "get", client.get("/api/v1/departments"))
    created = client.post("/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT})
    assert created.status_code == 201
    assert_documented(document, "/api/v1/feedback", "post", created)
    code = created.get_json()["tracking_code"]
    case = client.get(f"/api/v1/feedback/{code}")
    assert case.status_code == 200
    assert_documented(document, "/api/v1/feedback/{code}", "get", case)
    assert_documented(document, "/api/v1/feedback/{code}", "get", client.get("/api/v1/feedback/x"))
    refused = client.post("/api/v1/feedback", json={"kind": "rating", "text": "短"})
    assert refused.status_code == 400
    assert_documented(document, "/api/v1/feedback", "post", refused)
    not_json = client.post("/api/v1/feedback", data="kind=complaint")
    assert_documented(document, "/api/v1/feedback", "post", not_json)
    assert_documented(document, "/api/v1/periods", "get", client.get("/api/v1/periods"))
    missing = client.get("/api/v1/periods/nope/scores")
    assert_documented(document, "/api/v1/periods/{code}/scores", "get", missing)


def test_published_scores_match_their_schema(seeded, client):
    """This month computed and published (forced, as the appraisal tests do) with follow-ups."""
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        update_settings(period, settings_json(PRESETS["beijing12345"][1], "beijing12345"), "test")
        db.session.commit()
        code = period.code
    follow_ups(seeded, "jtys", satisfied=30, dissatisfied=5)
    follow_ups(seeded, "jyty", satisfied=20, dissatisfied=15)
    runner = seeded.test_cli_runner()
    assert runner.invoke(args=["appraisal", "compute", "--period", code]).exit_code == 0
    published = runner.invoke(
        args=["appraisal", "publish", "--period", code, "--force", "--reason", "测试：提前发布"]
    )
    assert published.exit_code == 0, published.output
    answer = client.get(f"/api/v1/periods/{code}/scores")
    assert answer.status_code == 200
    assert answer.get_json()["rows"]
    assert_documented(openapi_document(), "/api/v1/periods/{code}/scores", "get", answer)


# ---------------------------------------------------------------------------- /api/docs


def test_api_docs_page_renders_the_document_from_local_assets(offline_client):
    response = offline_client.get("/api/docs")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert "<title>市民之声 接口文档" in html
    assert 'data-url="/api/v1/openapi.json"' in html
    assets = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for url in assets:
        assert url.startswith("/"), url  # no CDN
        with offline_client.get(url) as asset:
            assert asset.status_code == 200, url
    # Every script is an external file: the CSP allows no inline script.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


def test_docs_page_is_linked_to_the_document_and_never_a_cdn(offline_client):
    html = offline_client.get("/api/docs").text
    assert "http://" not in html
    assert "https://" not in html
