"""Open311 GeoReport v2 over real HTTP, the way a third-party client talks to it.

A live threaded server on PostgreSQL and on SQLite; requests with ``requests`` and with the
``georeport`` client library from PyPI (used only here), in JSON and XML. JSON answers are
checked against the published GeoReport v2 schemas, XML for well-formed UTF-8 and its roots.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import Open311ApiKey, OutboxMessage, Submission

PHONE = "13912345678"
COMPLAINT = f"人民路夜市每天晚上占道经营到凌晨，油烟噪音严重扰民，请尽快处理。联系人王先生 {PHONE}"
ISO_SECONDS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00")
NUMBER = re.compile(r"20[0-9]{2}-[0-9]{6}")
TIMEOUT = 30


def xml_root(response: requests.Response) -> ElementTree.Element:
    """The parsed XML of an answer: UTF-8 declared and served, well-formed."""
    assert response.headers["Content-Type"].startswith("text/xml")
    assert "charset=utf-8" in response.headers["Content-Type"].lower()
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    response.content.decode("utf-8")
    return ElementTree.fromstring(response.content)


def first_department(base: str) -> str:
    services = requests.get(f"{base}/open311/v2/services.json", timeout=TIMEOUT).json()
    return next(s["service_code"] for s in services if s["service_code"] != "other")


def post(base: str, fmt: str = "json", **fields: str) -> requests.Response:
    return requests.post(f"{base}/open311/v2/requests.{fmt}", data=fields, timeout=TIMEOUT)


@pytest.mark.slow
def test_discovery_names_the_specification_in_both_formats(live: str) -> None:
    answer = requests.get(f"{live}/open311/discovery.json", timeout=TIMEOUT)
    assert answer.status_code == 200
    endpoint = answer.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint) >= {"specification", "url", "changeset", "type", "formats"}
    assert ISO_SECONDS.fullmatch(endpoint["changeset"])
    root = xml_root(requests.get(f"{live}/open311/discovery.xml", timeout=TIMEOUT))
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]


@pytest.mark.slow
def test_services_and_definitions_match_the_schemas(live: str, validate) -> None:
    services = requests.get(f"{live}/open311/v2/services.json", timeout=TIMEOUT)
    assert services.status_code == 200
    body = services.json()
    validate("services.json", body)
    assert len(body) >= 5
    assert all(s["type"] == "realtime" and s["metadata"] is True for s in body)
    root = xml_root(requests.get(f"{live}/open311/v2/services.xml", timeout=TIMEOUT))
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        s["service_code"] for s in body
    ]
    assert root.find("service/metadata").text == "true"
    code = body[0]["service_code"]
    definition = requests.get(f"{live}/open311/v2/services/{code}.json", timeout=TIMEOUT).json()
    validate("service-definition.json", definition)
    private = next(a for a in definition["attributes"] if a["code"] == "private")
    assert private["datatype"] == "singlevaluelist"
    assert {v["key"] for v in private["values"]} == {"true", "false"}
    root = xml_root(requests.get(f"{live}/open311/v2/services/{code}.xml", timeout=TIMEOUT))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "district"
    for fmt in ("json", "xml"):
        missing = requests.get(f"{live}/open311/v2/services/no-such.{fmt}", timeout=TIMEOUT)
        assert missing.status_code == 404


@pytest.mark.slow
def test_posting_files_a_complaint_through_the_sites_service(
    live: str, o311_app: Flask, api_key: str, validate
) -> None:
    code = first_department(live)
    refused = post(live, service_code=code, description=COMPLAINT, address_string="人民路")
    assert refused.status_code == 403
    assert refused.json() == [{"code": 403, "description": "api_key is missing or invalid"}]
    wrong = post(live, "xml", api_key="cv311_nope", service_code=code, description=COMPLAINT)
    assert wrong.status_code == 403 and xml_root(wrong).tag == "errors"

    created = post(
        live,
        api_key=api_key,
        service_code=code,
        description=COMPLAINT,
        address_string="人民路88号",
        lat="28.228000",
        long="112.938800",
        first_name="三",
        last_name="张",
        email="zhang@example.org",
    )
    assert created.status_code == 200, created.text
    (answer,) = created.json()
    number = answer["service_request_id"]
    assert NUMBER.fullmatch(number) and answer["service_notice"]
    with o311_app.app_context():
        case = db.session.scalar(select(Submission).where(Submission.public_number == number))
        assert case is not None
        assert (case.channel, case.kind, case.department.code) == ("open311", "complaint", code)
        assert case.public_consent is True
        assert (case.latitude, case.longitude) == (28.228, 112.9388)
        assert case.events[0].status == "received" and case.sign_due_at is not None
        outbox = db.session.scalar(
            select(func.count()).where(OutboxMessage.aggregate_id == case.id)
        )
        assert outbox == 1
        tracking_code = case.tracking_code

    one = requests.get(f"{live}/open311/v2/requests/{number}.json", timeout=TIMEOUT)
    assert one.status_code == 200
    validate("requests.json", one.json())
    (request,) = one.json()
    assert request["status"] == "open" and request["service_code"] == code
    assert request["lat"] == 28.228 and request["long"] == 112.9388
    assert PHONE[-4:] not in request["description"] and "王" not in request["description"]
    assert "88" not in request["address"]
    assert ISO_SECONDS.fullmatch(request["requested_datetime"])
    assert ISO_SECONDS.fullmatch(request["expected_datetime"])
    listing = requests.get(f"{live}/open311/v2/requests.json", timeout=TIMEOUT)
    validate("requests.json", listing.json())
    assert [r["service_request_id"] for r in listing.json()] == [number]
    root = xml_root(requests.get(f"{live}/open311/v2/requests/{number}.xml", timeout=TIMEOUT))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == number
    assert root.findtext("request/lat") == "28.228"
    token = requests.get(f"{live}/open311/v2/tokens/{number}.json", timeout=TIMEOUT).json()
    assert token == [{"service_request_id": number, "token": number}]
    for response in (one, listing, created):
        assert tracking_code not in response.text and PHONE not in response.text


@pytest.mark.slow
def test_a_private_request_is_listed_nowhere_and_answers_its_status_only(
    live: str, api_key: str
) -> None:
    code = first_department(live)
    created = post(
        live,
        api_key=api_key,
        service_code=code,
        description=COMPLAINT,
        address_string="人民路",
        **{"attribute[private]": "true", "attribute[district]": "A1区"},
    )
    assert created.status_code == 200, created.text
    number = created.json()[0]["service_request_id"]
    assert requests.get(f"{live}/open311/v2/requests.json", timeout=TIMEOUT).json() == []
    for url in (
        f"{live}/open311/v2/requests/{number}.json",
        f"{live}/open311/v2/requests.json?service_request_id={number},bogus,2026-999999",
    ):
        (request,) = requests.get(url, timeout=TIMEOUT).json()
        assert request["service_request_id"] == number and request["status"] == "open"
        assert request["description"] is None and request["address"] is None
        assert request["lat"] is None and request["long"] is None
        assert request["status_notes"] == "已受理"


@pytest.mark.slow
def test_bad_posts_answer_400_in_the_specs_form(live: str, api_key: str) -> None:
    code = first_department(live)
    cases = [
        {"service_code": "", "description": COMPLAINT, "address_string": "x"},
        {"service_code": "no-such", "description": COMPLAINT, "address_string": "x"},
        {"service_code": code, "description": COMPLAINT},  # no location
        {"service_code": code, "description": "短", "address_string": "人民路"},
        {"service_code": code, "description": COMPLAINT, "lat": "91", "long": "1"},
        {"service_code": code, "description": COMPLAINT, "lat": "nan", "long": "1"},
        {"service_code": code, "description": COMPLAINT, "address_string": "x", "phone": "12"},
        {"service_code": code, "description": COMPLAINT * 80, "address_string": "x"},
        {
            "service_code": code,
            "description": COMPLAINT,
            "address_string": "x",
            "attribute[private]": "maybe",
        },
        {"service_code": code, "description": COMPLAINT, "address_string": "x", "media_url": "x"},
    ]
    for fields in cases:
        for fmt in ("json", "xml"):
            answer = post(live, fmt, api_key=api_key, **fields)
            assert answer.status_code == 400, (fields, answer.text)
            if fmt == "json":
                (error,) = answer.json()
                assert error["code"] == 400 and error["description"]
            else:
                assert xml_root(answer).findtext("error/code") == "400"
    # A formula and a NUL are text like any other: stored cleaned, never a server error.
    formula = {"service_code": code, "description": "=cmd|' /C calc'!A0\x00 投诉", "lat": "1"}
    formula["long"] = "2"
    answer = post(live, api_key=api_key, **formula)
    assert answer.status_code == 200, answer.text


@pytest.mark.slow
def test_the_georeport_client_reads_services_and_requests_in_both_formats(
    live: str, api_key: str
) -> None:
    from georeport import GeoReport

    code = first_department(live)
    number = post(
        live, api_key=api_key, service_code=code, description=COMPLAINT, lat="28.2", long="112.9"
    ).json()[0]["service_request_id"]
    for fmt in ("json", "xml"):
        client = GeoReport(f"{live}/open311/v2", output_format=fmt)
        services = client.get_service_list()
        assert code in [s["service_code"] for s in services]
        definition = client.get_service_definition(code)
        assert definition["service_code"] == code
        listed = client.get_service_requests(status="open", service_code=code)
        listed = [listed] if isinstance(listed, dict) else listed  # xmltodict: one -> a dict
        assert [r["service_request_id"] for r in listed] == [number]
        one = client.get_service_request(number)
        assert one["service_request_id"] == number and one["status"] == "open"


@pytest.mark.slow
def test_keys_are_stored_hashed_and_revoking_one_refuses_it(
    live: str, o311_app: Flask, api_key: str
) -> None:
    runner = o311_app.test_cli_runner()
    listing = runner.invoke(args=["open311", "keys", "list"])
    assert "test-client" in listing.output and "active" in listing.output
    assert api_key not in listing.output
    with o311_app.app_context():
        stored = db.session.scalars(select(Open311ApiKey)).all()
        assert len(stored) == 1 and api_key not in (stored[0].key_hash, stored[0].prefix)
    duplicate = runner.invoke(args=["open311", "keys", "create", "--name", "test-client"])
    assert duplicate.exit_code != 0
    code = first_department(live)
    fields = {"service_code": code, "description": COMPLAINT, "address_string": "人民路"}
    assert post(live, api_key=api_key, **fields).status_code == 200
    revoked = runner.invoke(args=["open311", "keys", "revoke", "test-client"])
    assert revoked.exit_code == 0, revoked.output
    assert post(live, api_key=api_key, **fields).status_code == 403
    assert "revoked" in runner.invoke(args=["open311", "keys", "list"]).output
    assert runner.invoke(args=["open311", "keys", "revoke", "999"]).exit_code != 0
