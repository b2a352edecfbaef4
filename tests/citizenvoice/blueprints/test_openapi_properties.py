"""Property-based API test: requests drawn from the OpenAPI document, answered by the real app.

Bodies for ``POST /api/v1/feedback`` come from the published request schema (valid ones) and
from arbitrary JSON (invalid ones); path parameters are arbitrary text. Every answer must be a
status the document lists for the operation, with a body that matches its schema, and never a
server error. A schema-valid body may still be refused, but only for what a JSON Schema cannot
say (no letters in the text, an unknown department, one coordinate without the other, text
that cleaning shortens below the minimum); anything else would mean the published contract
and the validator disagree. Runs on PostgreSQL through the WSGI interface.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_strategies import any_json, from_schema

from citizenvoice.blueprints.api.openapi import openapi_document

DOCUMENT = openapi_document()
FEEDBACK_SCHEMA = DOCUMENT["paths"]["/api/v1/feedback"]["post"]["requestBody"]["content"][
    "application/json"
]["schema"]
# Fields whose refusal a schema-valid body may still earn (see the module docstring).
# media: an id must name a recent upload not yet attached, which no schema can say.
# contact_email: the address rule (one @, a dotted domain, no controls or formula start, full-width
# ＠ read as @) is the validator's; the schema gives only its length.
SEMANTIC_FIELDS = {"text", "department", "lat", "long", "media", "contact_email"}
CASES: Counter[str] = Counter()
EXAMPLES = 150
_PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

pytestmark = pytest.mark.slow


def check_answer(path: str, method: str, response: Any) -> dict[str, Any]:
    """No server error; a documented status; the body valid against its documented schema."""
    assert response.status_code < 500, (path, response.status_code, response.text[:300])
    responses = DOCUMENT["paths"][path][method]["responses"]
    assert str(response.status_code) in responses, (path, response.status_code, response.text)
    assert response.mimetype == "application/json", (path, response.content_type)
    schema = responses[str(response.status_code)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(
        {**schema, "components": DOCUMENT["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    body = response.get_json()
    problems = [error.message for error in validator.iter_errors(body)]
    assert not problems, (path, response.status_code, problems[:3], body)
    CASES[f"{method.upper()} {path} -> {response.status_code}"] += 1
    return body


@pytest.fixture
def api(seeded: Flask) -> Flask:
    """The seeded app with rate limits far above what the test sends."""
    seeded.config["SUBMISSION_RATE_LIMIT"] = "1000000/minute"
    seeded.config["LOOKUP_RATE_LIMIT"] = "1000000/minute"
    seeded.config["OPEN311_READ_LIMIT"] = "1000000/minute"
    return seeded


def test_schema_valid_feedback_is_filed_or_refused_only_for_semantic_reasons(api):
    client = api.test_client()
    codes: list[str] = []

    @_PROPERTY_SETTINGS
    @given(body=from_schema(FEEDBACK_SCHEMA, DOCUMENT))
    def post(body: dict[str, Any]) -> None:
        response = client.post("/api/v1/feedback", json=body)
        answer = check_answer("/api/v1/feedback", "post", response)
        if response.status_code == 400:
            fields = set(answer["error"]["fields"])
            assert fields, answer
            assert fields <= SEMANTIC_FIELDS, (body, answer)
        else:
            assert response.status_code == 201, answer
            codes.append(answer["tracking_code"])

    post()
    assert codes, "no schema-valid body was ever filed"
    for code in codes[:20]:  # and each filed case reads back in its documented shape
        check_answer("/api/v1/feedback/{code}", "get", client.get(f"/api/v1/feedback/{code}"))


_KNOWN_FIELDS = st.sampled_from(sorted(DOCUMENT["components"]["schemas"]["Feedback"]["properties"]))


@_PROPERTY_SETTINGS
@given(
    body=st.dictionaries(_KNOWN_FIELDS | st.text(max_size=8), any_json(), max_size=8) | any_json()
)
def test_arbitrary_json_gets_a_documented_answer_never_a_server_error(api, body):
    client = api.test_client()
    check_answer("/api/v1/feedback", "post", client.post("/api/v1/feedback", json=body))


@_PROPERTY_SETTINGS
@given(code=st.text(min_size=1, max_size=60))
def test_any_path_parameter_gets_a_documented_answer(api, code):
    client = api.test_client()
    quoted = quote(code, safe="")
    check_answer("/api/v1/feedback/{code}", "get", client.get(f"/api/v1/feedback/{quoted}"))
    check_answer(
        "/api/v1/periods/{code}/scores", "get", client.get(f"/api/v1/periods/{quoted}/scores")
    )


def test_parameterless_reads_match_their_schemas(api):
    client = api.test_client()
    for path in ("/api/v1/departments", "/api/v1/periods"):
        check_answer(path, "get", client.get(path))


_LISTING_PARAMETERS = DOCUMENT["paths"]["/open311/v2/requests.json"]["get"]["parameters"]


@_PROPERTY_SETTINGS
@given(
    query=st.fixed_dictionaries(
        {},
        optional={
            p["name"]: st.text(max_size=30)
            | st.integers(-5, 2000).map(str)
            | st.sampled_from(["open", "closed", "2026-12-01T00:00:00+08:00", "cgzf"])
            for p in _LISTING_PARAMETERS
        },
    ),
    name=st.text(min_size=1, max_size=30),
)
def test_open311_json_reads_get_documented_answers(api, query, name):
    client = api.test_client()
    quoted = quote(name, safe="")
    check_answer(
        "/open311/v2/requests.json",
        "get",
        client.get("/open311/v2/requests.json", query_string=query),
    )
    check_answer(
        "/open311/v2/requests/{service_request_id}.json",
        "get",
        client.get(f"/open311/v2/requests/{quoted}.json"),
    )
    check_answer(
        "/open311/v2/services/{service_code}.json",
        "get",
        client.get(f"/open311/v2/services/{quoted}.json"),
    )


def test_open311_listings_and_services_match_their_schemas(api):
    client = api.test_client()
    for path in ("/open311/discovery.json", "/open311/v2/services.json"):
        check_answer(path, "get", client.get(path))
    body = check_answer(
        "/open311/v2/services/{service_code}.json",
        "get",
        client.get("/open311/v2/services/cgzf.json"),
    )
    assert body["service_code"] == "cgzf"
    filed = client.post(
        "/api/v1/feedback",
        json={"kind": "complaint", "text": "路灯坏了很久没有人修理", "public_consent": True},
    )
    number = filed.get_json()["public_number"]
    listed = check_answer(
        "/open311/v2/requests.json", "get", client.get("/open311/v2/requests.json")
    )
    assert number in {r["service_request_id"] for r in listed}
    check_answer(
        "/open311/v2/requests/{service_request_id}.json",
        "get",
        client.get(f"/open311/v2/requests/{number}.json"),
    )


_FORM_SCHEMA = DOCUMENT["paths"]["/open311/v2/requests.json"]["post"]["requestBody"]["content"][
    "application/x-www-form-urlencoded"
]["schema"]


def _form_text(value: Any) -> str:
    """A form field is text: numbers as their decimal form, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def test_open311_posts_drawn_from_the_form_schema_get_documented_answers(api):
    client = api.test_client()
    api.config["OPEN311_POST_LIMIT"] = "1000000/minute"
    created = api.test_cli_runner().invoke(args=["open311", "keys", "create", "--name", "prop"])
    assert created.exit_code == 0, created.output
    key = created.output.split()[-1]

    statuses: Counter[int] = Counter()

    # Service codes come from the database, not the schema: use a real one most of the time so
    # the draws reach intake rather than stopping at "unknown service_code".
    @_PROPERTY_SETTINGS
    @given(
        form=from_schema(_FORM_SCHEMA, DOCUMENT),
        service=st.sampled_from([None, "cgzf", "zjj", "other"]),
        email=st.sampled_from([None, "zhang@example.com", "not-an-address"]),
    )
    def post(form: dict[str, Any], service: str | None, email: str | None) -> None:
        fields = {name: _form_text(value) for name, value in form.items()}
        fields["api_key"] = key
        if service is not None:
            fields["service_code"] = service
        # The schema gives the address as a string only; a drawn one is nearly never valid.
        fields.pop("email", None)
        if email is not None:
            fields["email"] = email
        response = client.post("/open311/v2/requests.json", data=fields)
        check_answer("/open311/v2/requests.json", "post", response)
        statuses[response.status_code] += 1

    post()
    # Most drawn forms fail intake's own rules (a location, the text, the address), and which
    # ones get through depends on the draw: one known-good form proves the documented 200.
    good = {
        "api_key": key,
        "service_code": "cgzf",
        "description": "小区门口夜市占道经营，噪音很大，影响居民休息。",
        "address_string": "幸福路 12 号",
        "email": "zhang@example.com",
    }
    accepted = client.post("/open311/v2/requests.json", data=good)
    check_answer("/open311/v2/requests.json", "post", accepted)
    assert accepted.status_code == 200, (accepted.get_data(as_text=True), statuses)
    refused = client.post("/open311/v2/requests.json", data={"api_key": "wrong"})
    check_answer("/open311/v2/requests.json", "post", refused)
    assert refused.status_code == 403


def test_report_the_number_of_generated_cases(capsys):
    """Runs last in this module: prints how many requests the properties sent (for the notes)."""
    if not CASES:
        pytest.skip("run with the rest of the module to count")
    with capsys.disabled():
        print(f"\nOpenAPI property test: {sum(CASES.values())} requests: {dict(CASES)}")
