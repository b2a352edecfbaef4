"""JSON API v1, checked against the contract in issue 2 exactly as later checks will call it.

GET /api/v1/departments, POST /api/v1/feedback, GET /api/v1/feedback/<code>; every error is
``{"error": {"code", "message", "fields"}}`` in JSON, never an HTML page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import testing_config

from citizenvoice import create_app
from citizenvoice.domain.feedback import NO_LETTERS_MESSAGE
from citizenvoice.domain.tracking import TRACKING_CODE_PATTERN
from citizenvoice.extensions import db, limiter
from citizenvoice.models import Department, OutboxMessage, StatusEvent, Submission

COMPLAINT = "小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快派人维修。"
PHONE = "13800001234"
ERROR_KEYS = {"code", "message", "fields"}


def complaint(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "complaint",
        "department": "cgzf",
        "title": "路灯不亮",
        "text": COMPLAINT,
        "anonymous": False,
    }
    body.update(overrides)
    return body


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Submission, StatusEvent, OutboxMessage)
        }


def added_rows(app: Flask, before: dict[str, int]) -> dict[str, int]:
    after = row_counts(app)
    return {table: after[table] - before[table] for table in after}


NOTHING = {"submission": 0, "status_event": 0, "outbox_message": 0}
ONE_CASE = {"submission": 1, "status_event": 1, "outbox_message": 1}


def assert_json_error(response, status: int, code: str | None = None) -> dict[str, Any]:
    """Check the error envelope and return its inner object."""
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert "<html" not in response.text.lower()
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == ERROR_KEYS
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


# ---------------------------------------------------------------------------- departments


def test_departments_lists_code_name_and_group_of_every_active_department(seeded, client):
    response = client.get("/api/v1/departments")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    listed = response.get_json()
    assert isinstance(listed, list)
    assert all(set(item) == {"code", "name", "group", "aliases"} for item in listed)
    with seeded.app_context():
        expected = {(d.code, d.name, d.group) for d in db.session.scalars(select(Department))}
    assert {(d["code"], d["name"], d["group"]) for d in listed} == expected
    cgzf = next(d for d in listed if d["code"] == "cgzf")
    assert (cgzf["name"], cgzf["group"]) == ("市城市管理综合执法局", "执法监管")


def test_departments_are_readable_chinese_not_unicode_escapes(seeded, client):
    assert "市城市管理综合执法局" in client.get("/api/v1/departments").text


def test_departments_leaves_out_inactive_ones(seeded, client):
    with seeded.app_context():
        db.session.scalar(select(Department).where(Department.code == "gaj")).active = False
        db.session.commit()
    codes = {d["code"] for d in client.get("/api/v1/departments").get_json()}
    assert "gaj" not in codes
    assert "cgzf" in codes


def test_departments_is_an_empty_list_before_seeding(client):
    response = client.get("/api/v1/departments")
    assert response.status_code == 200
    assert response.get_json() == []


# ---------------------------------------------------------------------------- create


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(complaint(), id="complaint"),
        pytest.param(
            {
                "kind": "rating",
                "department": "zwfw",
                "text": "窗口工作人员态度很好，一次性告知所需材料，半天就办好了。",
                "rating": 5,
                "rating_efficiency": 5,
                "rating_attitude": 4,
                "rating_result": 5,
            },
            id="rating",
        ),
        pytest.param(
            {
                "kind": "suggestion",
                "department": None,
                "text": "建议老旧小区统一加装电动车集中充电桩，减少飞线充电的火灾隐患。",
            },
            id="suggestion-unsure-department",
        ),
        pytest.param({"kind": "complaint", "text": COMPLAINT}, id="minimal-fields"),
    ],
)
def test_post_feedback_answers_201_with_tracking_code_status_and_url(seeded, client, body):
    before = row_counts(seeded)
    response = client.post("/api/v1/feedback", json=body)

    assert response.status_code == 201, response.text
    assert response.content_type == "application/json"
    created = response.get_json()
    assert set(created) == {"tracking_code", "public_number", "status", "url"}
    assert re.fullmatch(r"20[0-9]{2}-[0-9]{6}", created["public_number"])
    code = created["tracking_code"]
    assert TRACKING_CODE_PATTERN.fullmatch(code)  # K7Q2-9XMD-...: six groups of four
    assert created["status"] == "received"
    assert created["url"] == f"/track/{code}"  # relative while PUBLIC_BASE_URL is unset
    assert response.headers["Location"] == f"/api/v1/feedback/{code}"
    assert added_rows(seeded, before) == ONE_CASE


def test_a_created_case_is_stored_with_channel_api_and_all_its_fields(seeded, client):
    body = complaint(location="幸福路12号", contact_phone="138-0000-1234", anonymous=False)
    code = client.post("/api/v1/feedback", json=body).get_json()["tracking_code"]
    with seeded.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert (stored.kind, stored.channel, stored.status) == ("complaint", "api", "received")
        assert stored.department.code == "cgzf"
        assert (stored.title, stored.text, stored.location) == ("路灯不亮", COMPLAINT, "幸福路12号")
        assert stored.anonymous is False
        assert stored.contact_phone_masked == "138****1234"
        assert stored.contact_phone_encrypted != PHONE
        assert (
            seeded.extensions["citizenvoice.pii"].decrypt(stored.contact_phone_encrypted) == PHONE
        )
        assert [e.status for e in stored.events] == ["received"]
        outbox = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.aggregate_id == stored.id)
        ).all()
        assert [m.payload for m in outbox] == [{"submission_id": stored.id}]


@pytest.mark.parametrize("phone", ["138-0000-1234", "12345"], ids=["valid", "malformed"])
def test_an_anonymous_case_with_a_phone_is_accepted_and_the_phone_discarded(seeded, client, phone):
    body = complaint(contact_phone=phone, anonymous=True)
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 201, response.text
    code = response.get_json()["tracking_code"]
    with seeded.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert stored.anonymous is True
        # Nothing a department admin could reveal later: no ciphertext, no HMAC, no mask.
        assert stored.contact_phone_encrypted is None
        assert stored.contact_phone_hmac is None
        assert stored.contact_phone_masked is None


def test_departments_list_their_aliases(seeded, client):
    rows = {row["code"]: row for row in client.get("/api/v1/departments").get_json()}
    assert {"城管", "环卫"} <= set(rows["cgzf"]["aliases"])
    assert "住建" in rows["zjj"]["aliases"]
    assert all(isinstance(row["aliases"], list) for row in rows.values())


def test_a_rating_must_name_a_department(seeded, client):
    body = {"kind": "rating", "rating": 4, "text": "窗口工作人员态度很好，办事效率高。"}
    error = assert_json_error(client.post("/api/v1/feedback", json=body), 400)
    assert error["fields"] == {"department": "评价请选择被评价的部门"}


@pytest.mark.parametrize("text", ["😡😡😡😡😡😡", "！！！！？？？", "......", "12345 678"])
def test_text_without_letters_is_refused_with_a_clear_message(seeded, client, text):
    error = assert_json_error(client.post("/api/v1/feedback", json=complaint(text=text)), 400)
    assert error["fields"] == {"text": NO_LETTERS_MESSAGE}


def test_a_created_case_is_readable_at_its_url(seeded, client):
    created = client.post("/api/v1/feedback", json=complaint()).get_json()
    page = client.get(created["url"].removeprefix("http://localhost"))
    assert page.status_code == 200
    assert "市城市管理综合执法局" in page.text


def test_json_with_a_charset_parameter_is_accepted(seeded, client):
    response = client.post(
        "/api/v1/feedback",
        data=json.dumps(complaint(), ensure_ascii=False).encode("utf-8"),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 201


def test_text_of_exactly_5_and_2000_characters_is_accepted(seeded, client):
    for text in ("路灯不亮了", "灯" * 2000):
        response = client.post("/api/v1/feedback", json=complaint(text=text))
        assert response.status_code == 201, response.text


def test_posting_needs_no_csrf_token(seeded, client):
    # The API authenticates nothing by cookie, so it is exempt; a browser form is not.
    assert client.post("/api/v1/feedback", json=complaint()).status_code == 201


def test_a_nul_byte_in_any_text_field_is_not_a_server_error(seeded, client):
    body = complaint(text=COMPLAINT + "\x00", title="路灯\x00", location="\x00幸福路")
    assert client.post("/api/v1/feedback", json=body).status_code == 201
    # Every input loses its control characters before any view reads it (blueprints/inputs.py).
    assert client.post("/api/v1/feedback", json=complaint(department="cgzf\x00")).status_code == 201


def test_a_failure_after_the_submission_was_flushed_leaves_nothing_behind(
    seeded, client, monkeypatch
):
    # The outbox row is written after the submission and its event have been flushed; if it
    # fails, the whole case must go, or the analysis pipeline would never hear of it.
    def broken_outbox(**_kwargs: Any) -> None:
        raise RuntimeError("outbox table unavailable")

    monkeypatch.setattr("citizenvoice.services.feedback.OutboxMessage", broken_outbox)
    before = row_counts(seeded)
    response = client.post("/api/v1/feedback", json=complaint())
    assert_json_error(response, 500, "internal_error")
    assert added_rows(seeded, before) == NOTHING


# ---------------------------------------------------------------------------- read


@pytest.fixture
def created(seeded, client) -> dict[str, Any]:
    """A complaint to 城管 with a phone number, created through the API."""
    body = complaint(contact_phone="138 0000 1234", location="幸福家园小区东门")
    response = client.post("/api/v1/feedback", json=body)
    assert response.status_code == 201
    return response.get_json()


def test_get_feedback_answers_the_contract_fields(client, created):
    response = client.get(f"/api/v1/feedback/{created['tracking_code']}")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    case = response.get_json()
    required = {"tracking_code", "kind", "status", "department", "category", "created_at", "events"}
    assert required <= set(case)
    assert case["tracking_code"] == created["tracking_code"]
    assert case["kind"] == "complaint"
    assert case["status"] == "received"
    assert case["department"] == "cgzf"
    assert case["category"] is None  # until the analysis pipeline has run
    created_at = datetime.fromisoformat(case["created_at"])
    assert created_at.tzinfo is not None
    assert isinstance(case["events"], list)
    assert len(case["events"]) == 1
    assert case["events"][0]["status"] == "received"
    assert case["events"][0]["label"] == "已受理"
    assert datetime.fromisoformat(case["events"][0]["at"]).tzinfo is not None


def test_get_feedback_gives_null_department_when_unsure(seeded, client):
    body = {
        "kind": "suggestion",
        "department": None,
        "text": "建议在地铁站出口增设共享单车停放区。",
    }
    code = client.post("/api/v1/feedback", json=body).get_json()["tracking_code"]
    assert client.get(f"/api/v1/feedback/{code}").get_json()["department"] is None


def test_no_personal_data_in_any_api_response(seeded, client):
    body = complaint(contact_phone="138 0000 1234", anonymous=False)
    create = client.post("/api/v1/feedback", json=body)
    read = client.get(f"/api/v1/feedback/{create.get_json()['tracking_code']}")
    with seeded.app_context():
        stored = db.session.scalar(select(Submission).order_by(Submission.id.desc()))
        protected = [stored.contact_phone_encrypted, stored.contact_phone_hmac]
    for response in (create, read):
        raw = response.get_data(as_text=True)
        for secret in (PHONE, "138 0000 1234", "138****1234", "****", *protected):
            assert secret not in raw
        keys = set(response.get_json()) | {
            key for event in response.get_json().get("events", []) for key in event
        }
        assert not {k for k in keys if "phone" in k or "contact" in k}


def test_an_unknown_tracking_code_is_a_json_404(client):
    error = assert_json_error(client.get("/api/v1/feedback/AAAAAAAAAAAAAAAAAAAAAAAA"), 404)
    assert error["code"] == "not_found"
    assert error["message"] == "未找到该查询码对应的诉求"


@pytest.mark.parametrize("code", ["abc", "A" * 25, "查询码", "%00", "..%2F..%2Fetc"], ids=repr)
def test_a_malformed_tracking_code_is_a_json_404(client, code):
    assert_json_error(client.get(f"/api/v1/feedback/{code}"), 404)


# ---------------------------------------------------------------------------- validation

API_ERRORS = [
    pytest.param({"text": ""}, "text", "请填写内容", id="text-empty"),
    pytest.param({"text": "  \n\t "}, "text", "请填写内容", id="text-whitespace"),
    pytest.param({"text": "\u200b\u200b\u200b"}, "text", "请填写内容", id="text-zero-width"),
    pytest.param({"text": None}, "text", "请填写内容", id="text-null"),
    pytest.param({"text": 12345}, "text", "请填写内容", id="text-number"),
    pytest.param({"text": " 路灯坏了 "}, "text", "内容太短，请至少写 5 个字", id="text-4"),
    pytest.param(
        {"text": "灯" * 2001},
        "text",
        "内容太长，请不要超过 2000 个字（当前 2001 个字）",
        id="text-2001",
    ),
    pytest.param({"kind": "rating"}, "rating", "评价请选择 1 到 5 分", id="rating-missing"),
    *[
        pytest.param(
            {"kind": "rating", "rating": value},
            "rating",
            "评分须为 1 到 5 的整数",
            id=f"rating-{value!r}",
        )
        for value in (0, 6, "abc", 3.5, True)
    ],
    *[
        pytest.param(
            {"kind": "rating", "rating": 4, field: value},
            field,
            f"{label}评分须为 1 到 5 的整数",
            id=f"{field}-{value}",
        )
        for field, label, value in (
            ("rating_efficiency", "办事效率", 0),
            ("rating_attitude", "服务态度", 6),
            ("rating_result", "办理结果", -3),
        )
    ],
    *[
        pytest.param(
            {"contact_phone": phone},
            "contact_phone",
            "手机号格式不正确，请输入 11 位手机号，如 13812345678",
            id=f"phone-{phone!r}",
        )
        for phone in ("12345678901", "1381234567", "13812345abc", "手机号码", 13800001234)
    ],
    pytest.param({"department": "nosuch"}, "department", "所选部门不存在，请重新选择", id="dept"),
    pytest.param({"department": 7}, "department", "部门格式不正确", id="dept-number"),
    pytest.param({"kind": "praise"}, "kind", "请选择类型：投诉、评价或建议", id="kind-unknown"),
    pytest.param({"kind": None}, "kind", "请选择类型：投诉、评价或建议", id="kind-null"),
    pytest.param({"anonymous": "yes"}, "anonymous", "匿名选项须为是或否", id="anonymous-str"),
    pytest.param({"anonymous": 1}, "anonymous", "匿名选项须为是或否", id="anonymous-1"),
    pytest.param({"title": "标" * 101}, "title", "标题请不要超过 100 个字", id="title-101"),
    pytest.param({"title": 3}, "title", "标题格式不正确", id="title-number"),
    pytest.param({"location": "路" * 201}, "location", "地点请不要超过 200 个字", id="loc-201"),
    # Types (issue 16): ASCII digits and strings only; 0, [], {}, false are not "empty".
    *[
        pytest.param(
            {"kind": "rating", "rating": value},
            "rating",
            "评分须为 1 到 5 的整数",
            id=f"rating-{value!r}",
        )
        for value in ("٥", "５")
    ],
    pytest.param(
        {"kind": "rating", "rating": 4, "rating_attitude": "５"},
        "rating_attitude",
        "服务态度评分须为 1 到 5 的整数",
        id="rating_attitude-fullwidth",
    ),
    *[
        pytest.param({field: value}, field, message, id=f"{field}-{value!r}")
        for field, message in (
            ("title", "标题格式不正确"),
            ("location", "地点格式不正确"),
            ("department", "部门格式不正确"),
            ("contact_phone", "手机号格式不正确，请输入 11 位手机号，如 13812345678"),
        )
        for value in (0, [], {}, False)
    ],
    pytest.param({"kind": ["complaint"]}, "kind", "请选择类型：投诉、评价或建议", id="kind-list"),
    pytest.param({"anonymous": "false"}, "anonymous", "匿名选项须为是或否", id="anonymous-text"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), API_ERRORS)
def test_invalid_feedback_is_a_400_naming_the_field_and_nothing_is_stored(
    seeded, client, overrides, field, message
):
    before = row_counts(seeded)
    response = client.post("/api/v1/feedback", json=complaint(**overrides))
    error = assert_json_error(response, 400, "validation_error")
    assert error["message"] == "提交内容有误"
    assert error["fields"] == {field: message}
    assert added_rows(seeded, before) == NOTHING


def test_a_missing_kind_is_a_400(seeded, client):
    body = complaint()
    del body["kind"]
    error = assert_json_error(client.post("/api/v1/feedback", json=body), 400)
    assert error["fields"] == {"kind": "请选择类型：投诉、评价或建议"}


def test_all_problems_are_named_in_one_answer(seeded, client):
    body = {"kind": "rating", "text": "差", "rating": 0, "contact_phone": "110"}
    error = assert_json_error(client.post("/api/v1/feedback", json=body), 400)
    assert set(error["fields"]) == {"text", "rating", "contact_phone", "department"}


def test_an_unknown_field_is_a_400_naming_it(seeded, client):
    before = row_counts(seeded)
    body = complaint(email="zhang@example.cn", id_card="110101199001011234")
    error = assert_json_error(client.post("/api/v1/feedback", json=body), 400, "validation_error")
    assert error["fields"] == {"email": "不支持的字段", "id_card": "不支持的字段"}
    assert added_rows(seeded, before) == NOTHING


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("{not json", "请求体不是有效的 JSON", id="broken"),
        pytest.param("", "请求体不是有效的 JSON", id="empty"),
        pytest.param(b"\xff\xfe{}", "请求体不是有效的 JSON", id="not-utf8"),
        pytest.param('[{"kind": "complaint"}]', "请求体须为 JSON 对象", id="array"),
        pytest.param('"投诉"', "请求体须为 JSON 对象", id="string"),
        pytest.param("42", "请求体须为 JSON 对象", id="number"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400(seeded, client, data, message):
    before = row_counts(seeded)
    response = client.post("/api/v1/feedback", data=data, content_type="application/json")
    error = assert_json_error(response, 400, "invalid_json")
    assert error["message"] == message
    assert added_rows(seeded, before) == NOTHING


def test_deeply_nested_json_is_a_400_not_a_server_error(seeded, client):
    response = client.post("/api/v1/feedback", data="[" * 50_000, content_type="application/json")
    error = assert_json_error(response, 400, "invalid_json")
    assert error["message"] == "请求体不是有效的 JSON"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"kind": "complaint", "text": "路灯坏了很久了\\ud800"}', id="text"),
        pytest.param(
            '{"kind": "complaint", "text": "路灯坏了很久了", "title": "\\ud83d"}', id="title"
        ),
        pytest.param(
            '{"kind": "complaint", "text": "路灯坏了很久了", "department": "zjj\\udfff"}', id="dept"
        ),
        pytest.param('{"kind": "complaint", "text": "路灯坏了很久了", "\\ud800": 1}', id="key"),
    ],
)
def test_a_lone_surrogate_escape_is_a_400_not_a_server_error(seeded, client, body):
    # Valid JSON, but not text PostgreSQL can store or our JSON answer can encode.
    before = row_counts(seeded)
    response = client.post("/api/v1/feedback", data=body, content_type="application/json")
    error = assert_json_error(response, 400, "invalid_json")
    assert error["message"] == "请求体包含无效的字符"
    assert added_rows(seeded, before) == NOTHING


def test_an_emoji_written_as_a_surrogate_pair_escape_is_fine(seeded, client):
    body = '{"kind": "complaint", "text": "路灯坏了很久了\\ud83d\\ude21"}'
    response = client.post("/api/v1/feedback", data=body, content_type="application/json")
    assert response.status_code == 201


# ---------------------------------------------------------------------------- HTTP errors


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        pytest.param("text/plain", json.dumps(complaint()), id="text-plain"),
        pytest.param(
            "application/x-www-form-urlencoded", "kind=complaint&text=路灯坏了很久", id="form"
        ),
        pytest.param("multipart/form-data; boundary=x", "--x--", id="multipart"),
        pytest.param(None, json.dumps(complaint()), id="no-content-type"),
    ],
)
def test_a_body_that_is_not_json_is_a_415(seeded, client, content_type, data):
    before = row_counts(seeded)
    response = client.post("/api/v1/feedback", data=data, content_type=content_type)
    error = assert_json_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]
    assert added_rows(seeded, before) == NOTHING


def test_a_body_over_64_kib_is_a_413(seeded, client):
    assert seeded.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    before = row_counts(seeded)
    body = json.dumps(complaint(text="灯" * 30_000), ensure_ascii=False).encode("utf-8")
    assert len(body) > 64 * 1024
    response = client.post("/api/v1/feedback", data=body, content_type="application/json")
    assert_json_error(response, 413, "payload_too_large")
    assert added_rows(seeded, before) == NOTHING


def test_a_body_just_under_64_kib_is_read(seeded, client):
    # Padding in the title makes it 400, not 413: the limit is on bytes, not on content.
    body = json.dumps(complaint(title="标" * 21_000), ensure_ascii=False).encode("utf-8")
    assert 60 * 1024 < len(body) < 64 * 1024
    response = client.post("/api/v1/feedback", data=body, content_type="application/json")
    assert_json_error(response, 400, "validation_error")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/feedback", "POST"),
        ("GET", "/api/v1/feedback", "POST"),
        ("PUT", "/api/v1/departments", "GET"),
        ("POST", "/api/v1/feedback/AAAAAAAAAAAAAAAAAAAAAAAA", "GET"),
    ],
)
def test_a_wrong_method_is_a_json_405_with_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    assert_json_error(response, 405, "method_not_allowed")
    assert allowed in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v1", "/api/v1/nope", "/api/v2/feedback"])
def test_an_unknown_api_path_is_a_json_404(client, path):
    assert_json_error(client.get(path), 404, "not_found")


# ---------------------------------------------------------------------------- rate limit


@pytest.fixture
def limited(app: Flask) -> Iterator[tuple[Flask, FlaskClient]]:
    """An app allowing two submissions a minute per address (``app`` empties the database)."""
    application = create_app(testing_config(CITIZENVOICE_SUBMISSION_LIMIT="2/minute"))
    yield application, application.test_client()
    with application.app_context():
        db.engine.dispose()


def test_too_many_submissions_are_a_json_429_and_not_stored(limited):
    application, client = limited
    body = {"kind": "complaint", "text": COMPLAINT}
    assert client.post("/api/v1/feedback", json=body).status_code == 201
    for _ in range(3):  # refused as invalid: not counted toward the limit
        assert client.post("/api/v1/feedback", json={"kind": "complaint"}).status_code == 400
    assert client.post("/api/v1/feedback", json=body).status_code == 201
    before = row_counts(application)
    response = client.post("/api/v1/feedback", json=body)
    assert_json_error(response, 429, "rate_limited")
    assert response.get_json()["error"]["message"] == "提交过于频繁，请稍后再试"
    assert int(response.headers["Retry-After"]) > 0
    assert added_rows(application, before) == NOTHING


def test_reading_is_not_rate_limited_by_the_submission_limit(limited):
    _, client = limited
    for _ in range(5):
        assert client.get("/api/v1/departments").status_code == 200
    code = client.post("/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT})
    for _ in range(5):
        assert client.get(f"/api/v1/feedback/{code.get_json()['tracking_code']}").status_code == 200


def test_the_limit_is_per_client_address(limited):
    _, client = limited
    body = {"kind": "complaint", "text": COMPLAINT}
    for _ in range(2):
        client.post("/api/v1/feedback", json=body, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    blocked = client.post("/api/v1/feedback", json=body, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    other = client.post("/api/v1/feedback", json=body, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert (blocked.status_code, other.status_code) == (429, 201)


def test_the_rate_limit_counts_live_in_redis(limited, redis_client):
    application, client = limited
    client.post("/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT})
    assert application.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    keys = redis_client.keys("LIMITS:*")
    assert any(b"api.create_feedback" in key for key in keys), keys


@pytest.fixture
def redis_down_app(app: Flask) -> Iterator[Flask]:
    """An app whose Redis (rate limits, queue) is unreachable; the database still works."""
    application = create_app(testing_config(REDIS_URL="redis://127.0.0.1:9/0"))
    yield application
    with application.app_context():
        db.engine.dispose()
    # The limiter is a process-wide singleton that remembers a dead storage across apps and
    # would count later tests' requests in memory until a backend check happens to run.
    limiter._storage_dead = False


def test_a_submission_is_still_accepted_while_redis_is_down(redis_down_app):
    response = redis_down_app.test_client().post(
        "/api/v1/feedback", json={"kind": "complaint", "text": COMPLAINT}
    )
    assert response.status_code == 201
    assert row_counts(redis_down_app) == ONE_CASE  # the outbox relays it once Redis is back
