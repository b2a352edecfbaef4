"""The residents' site: home, the three forms, confirmation and tracking pages.

Forms are posted the way a browser posts them: GET the form, take the CSRF token out of the
HTML, POST it back with the fields. The database is checked after every POST, accepted or not.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from factories import page_token
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import testing_config

from citizenvoice import create_app
from citizenvoice.domain.workflow import Action, Actor, ActorRole
from citizenvoice.extensions import db
from citizenvoice.models import Department, OutboxMessage, StatusEvent, Submission
from citizenvoice.services.workflow import perform

COMPLAINT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"
RATING = "在政务服务中心办理营业执照，窗口工作人员一次性告知所需材料，半天就拿到了执照。"
SUGGESTION = "建议在A1区至高新区之间开通早晚高峰公交专线，上班高峰期公交车非常拥挤。"
PHONE = "13800001234"
PHONE_MASKED = "138****1234"
TRACKING_CODE_IN_PATH = re.compile(r"^/submitted/([0-9A-Z]{4}(?:-[0-9A-Z]{4}){5})$")

# ---------------------------------------------------------------------------- helpers


def post_form(client: FlaskClient, kind: str, **fields: Any):
    """Fill in the form for ``kind`` like a browser: a complaint about night-market noise."""
    data: dict[str, Any] = {
        "csrf_token": page_token(client, f"/submit/{kind}"),
        # A rating must name the department it judges.
        "department": "zwfw" if kind == "rating" else "",
        "text": COMPLAINT,
    }
    data.update(fields)
    return client.post(f"/submit/{kind}", data=data)


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Submission, StatusEvent, OutboxMessage)
        }


def stored(app: Flask, code: str) -> dict[str, Any]:
    """The stored submission with this code, its events and outbox rows, as plain data."""
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert submission is not None
        outbox = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.aggregate_id == submission.id)
        ).all()
        return {
            "kind": submission.kind,
            "department": submission.department.code if submission.department else None,
            "title": submission.title,
            "text": submission.text,
            "rating": submission.rating,
            "sub_ratings": (
                submission.rating_efficiency,
                submission.rating_attitude,
                submission.rating_result,
            ),
            "location": submission.location,
            "anonymous": submission.anonymous,
            "channel": submission.channel,
            "status": submission.status,
            "phone_encrypted": submission.contact_phone_encrypted,
            "phone_hmac": submission.contact_phone_hmac,
            "phone_masked": submission.contact_phone_masked,
            "events": [(e.status, e.note) for e in submission.events],
            "outbox": [(m.topic, m.payload) for m in outbox],
            "id": submission.id,
        }


def tracking_code_of(response) -> str:
    assert response.status_code == 303, response.text[:500]
    match = TRACKING_CODE_IN_PATH.match(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def error_messages(html: str) -> list[str]:
    return re.findall(r'<div class="invalid-feedback[^"]*" role="alert">([^<]+)</div>', html)


# ---------------------------------------------------------------------------- home


def test_home_offers_complaint_rating_and_suggestion(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    for label, kind in (
        ("我要投诉", "complaint"),
        ("我要评价", "rating"),
        ("我要建议", "suggestion"),
    ):
        assert re.search(rf'href="/submit/{kind}"[^>]*>{label}</a>', response.text)


def test_home_has_a_tracking_code_lookup(client):
    html = client.get("/").text
    assert 'action="/track"' in html
    assert 'name="code"' in html


def test_pages_are_in_simplified_chinese_and_fit_a_phone(client):
    html = client.get("/").text
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_styling_is_served_locally_not_from_a_cdn(client):
    html = client.get("/submit/complaint").text
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert stylesheets
    for url in stylesheets + scripts:
        assert url.startswith("/"), url
        with client.get(url) as asset:  # a file response: close it
            assert asset.status_code == 200, url


# ---------------------------------------------------------------------------- the forms


@pytest.mark.parametrize(
    ("kind", "heading"),
    [("complaint", "我要投诉"), ("rating", "我要评价"), ("suggestion", "我要建议")],
)
def test_each_kind_has_its_form(seeded, client, kind, heading):
    response = client.get(f"/submit/{kind}")
    assert response.status_code == 200
    assert f'<h1 class="h4 mb-3">{heading}</h1>' in response.text
    assert 'name="text"' in response.text
    assert 'name="contact_phone"' in response.text


def test_only_the_rating_form_asks_for_scores(seeded, client):
    rating_form = client.get("/submit/rating").text
    complaint_form = client.get("/submit/complaint").text
    for label in ("总体评分", "办事效率", "服务态度", "办理结果"):
        assert label in rating_form
        assert label not in complaint_form
    assert re.findall(r'name="rating" type="radio" value="(\d)"', rating_form) == list("54321")


def test_the_department_picker_is_searchable_and_offers_unsure_first(seeded, client):
    html = client.get("/submit/complaint").text
    assert re.search(r'<input type="search"[^>]*id="department-search"', html)
    assert "js/department-filter.js" in html
    select_html = re.search(r'<select[^>]*name="department".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', select_html)
    assert options[0] == ("", "不确定（由系统分派）")
    with seeded.app_context():
        active = {d.code: d.name for d in db.session.scalars(select(Department))}
    assert dict(options[1:]) == active


def test_an_inactive_department_is_not_offered(seeded, client):
    with seeded.app_context():
        db.session.scalar(select(Department).where(Department.code == "gaj")).active = False
        db.session.commit()
    html = client.get("/submit/complaint").text
    assert 'value="gaj"' not in html
    assert 'value="cgzf"' in html


def test_an_unknown_kind_has_no_form(client):
    response = client.get("/submit/praise")
    assert response.status_code == 404
    assert "未找到" in response.text


# ---------------------------------------------------------------------------- happy paths


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        pytest.param(
            "complaint",
            {
                "department": "cgzf",
                "title": "夜市占道经营噪音扰民",
                "text": COMPLAINT,
                "location": "A1区人民路",
            },
            {"department": "cgzf", "title": "夜市占道经营噪音扰民", "rating": None},
            id="complaint",
        ),
        pytest.param(
            "rating",
            {
                "department": "zwfw",
                "text": RATING,
                "rating": "5",
                "rating_efficiency": "5",
                "rating_attitude": "4",
                "rating_result": "5",
            },
            {"department": "zwfw", "rating": 5, "sub_ratings": (5, 4, 5)},
            id="rating",
        ),
        pytest.param(
            "suggestion",
            {"department": "jtys", "text": SUGGESTION},
            {"department": "jtys", "rating": None},
            id="suggestion",
        ),
    ],
)
def test_a_filled_form_is_stored_whole_and_redirects_to_the_confirmation(
    seeded, client, kind, fields, expected
):
    before = row_counts(seeded)
    response = post_form(client, kind, **fields)
    code = tracking_code_of(response)

    row = stored(seeded, code)
    assert row["kind"] == kind
    assert row["text"] == fields["text"]
    assert row["channel"] == "web"
    assert row["status"] == "received"
    for key, value in expected.items():
        assert row[key] == value, key
    assert row["events"] == [("received", "诉求已受理")]
    assert row["outbox"] == [("analyse_submission", {"submission_id": row["id"]})]
    after = row_counts(seeded)
    assert {t: after[t] - before[t] for t in after} == {
        "submission": 1,
        "status_event": 1,
        "outbox_message": 1,
    }


@pytest.mark.parametrize("kind", ["complaint", "rating", "suggestion"])
def test_the_confirmation_page_shows_the_tracking_code_and_a_link_to_track_it(seeded, client, kind):
    response = post_form(client, kind, rating="4", text=SUGGESTION)
    code = tracking_code_of(response)
    page = client.get(f"/submitted/{code}")
    assert page.status_code == 200
    assert "提交成功" in page.text
    assert re.search(rf'id="tracking-code">{code}</p>', page.text)
    assert f'href="/track/{code}"' in page.text


def test_unsure_stores_the_department_as_null(seeded, client):
    code = tracking_code_of(post_form(client, "complaint", department=""))
    assert stored(seeded, code)["department"] is None
    assert "待分派" in client.get(f"/track/{code}").text


def test_the_anonymous_box_is_stored(seeded, client):
    code = tracking_code_of(post_form(client, "suggestion", anonymous="y"))
    assert stored(seeded, code)["anonymous"] is True
    code = tracking_code_of(post_form(client, "suggestion"))
    assert stored(seeded, code)["anonymous"] is False


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        pytest.param("路灯不亮了", "路灯不亮了", id="5-chars"),
        pytest.param("路" * 2000, "路" * 2000, id="2000-chars"),
        pytest.param("\r\n  路灯不亮了 \u200b\r\n", "路灯不亮了", id="5-chars-after-trimming"),
    ],
)
def test_text_of_5_to_2000_characters_is_accepted_and_stored_trimmed(seeded, client, text, kept):
    code = tracking_code_of(post_form(client, "complaint", text=text))
    assert stored(seeded, code)["text"] == kept


def test_a_full_textarea_with_line_breaks_is_accepted(seeded, client):
    # The browser counts each line break once against maxlength=2000 but sends it as CRLF.
    lines = ["第" + str(i) + "条：" + "路" * 190 for i in range(10)]
    typed = "\n".join(lines).ljust(2000, "。")
    assert len(typed) == 2000
    code = tracking_code_of(post_form(client, "complaint", text=typed.replace("\n", "\r\n")))
    assert stored(seeded, code)["text"] == typed


@pytest.mark.parametrize("phone", ["138 0000 1234", "138-0000-1234", "13800001234"])
def test_a_valid_phone_with_spaces_or_dashes_is_stored_protected(seeded, client, phone):
    code = tracking_code_of(post_form(client, "complaint", contact_phone=phone))
    row = stored(seeded, code)
    pii = seeded.extensions["citizenvoice.pii"]
    assert row["phone_encrypted"] != PHONE
    assert pii.decrypt(row["phone_encrypted"]) == PHONE
    assert row["phone_hmac"] == pii.fingerprint(PHONE)
    assert row["phone_masked"] == PHONE_MASKED


def test_a_nul_byte_in_the_form_is_removed_not_a_server_error(seeded, client):
    code = tracking_code_of(
        post_form(client, "complaint", text=COMPLAINT + "\x00", location="人民路\x00")
    )
    row = stored(seeded, code)
    assert (row["text"], row["location"]) == (COMPLAINT, "人民路")


def test_a_failure_half_way_through_storing_leaves_nothing_behind(seeded, client, monkeypatch):
    def broken_outbox(**_kwargs: Any) -> None:
        raise RuntimeError("outbox table unavailable")

    monkeypatch.setattr("citizenvoice.services.feedback.OutboxMessage", broken_outbox)
    before = row_counts(seeded)
    response = post_form(client, "complaint")
    assert response.status_code == 500
    assert "服务器出错，请稍后再试" in response.text
    assert row_counts(seeded) == before


# ---------------------------------------------------------------------------- validation

FORM_ERRORS = [
    pytest.param("complaint", {"text": ""}, "text", "请填写内容", id="text-empty"),
    pytest.param("complaint", {"text": "   \r\n  "}, "text", "请填写内容", id="text-whitespace"),
    pytest.param(
        "complaint", {"text": "\u200b\u200b\u200b"}, "text", "请填写内容", id="text-zero-width"
    ),
    pytest.param(
        "suggestion", {"text": " 路灯坏了 "}, "text", "内容太短，请至少写 5 个字", id="text-4-chars"
    ),
    pytest.param(
        "complaint",
        {"text": "路" * 2001},
        "text",
        "内容太长，请不要超过 2000 个字（当前 2001 个字）",
        id="text-2001-chars",
    ),
    pytest.param("rating", {}, "rating", "评价请选择 1 到 5 分", id="rating-missing"),
    pytest.param("rating", {"rating": "0"}, "rating", "评分须为 1 到 5 的整数", id="rating-0"),
    pytest.param("rating", {"rating": "6"}, "rating", "评分须为 1 到 5 的整数", id="rating-6"),
    pytest.param("rating", {"rating": "abc"}, "rating", "评分须为 1 到 5 的整数", id="rating-abc"),
    pytest.param("rating", {"rating": "3.5"}, "rating", "评分须为 1 到 5 的整数", id="rating-3.5"),
    pytest.param(
        "rating",
        {"rating": "4", "rating_efficiency": "6"},
        "rating_efficiency",
        "办事效率评分须为 1 到 5 的整数",
        id="efficiency-6",
    ),
    pytest.param(
        "rating",
        {"rating": "4", "rating_attitude": "0"},
        "rating_attitude",
        "服务态度评分须为 1 到 5 的整数",
        id="attitude-0",
    ),
    pytest.param(
        "rating",
        {"rating": "4", "rating_result": "很好"},
        "rating_result",
        "办理结果评分须为 1 到 5 的整数",
        id="result-text",
    ),
    *[
        pytest.param(
            "complaint",
            {"contact_phone": phone},
            "contact_phone",
            "手机号格式不正确，请输入 11 位手机号，如 13812345678",
            id=f"phone-{phone}",
        )
        for phone in ("12345678901", "1381234567", "138abcd5678", "138123456789")
    ],
    pytest.param(
        "complaint", {"department": "nosuch"}, "department", "所选部门不存在，请重新选择", id="dept"
    ),
    pytest.param(
        "complaint", {"title": "标" * 101}, "title", "标题请不要超过 100 个字", id="title-101"
    ),
    pytest.param(
        "complaint", {"location": "路" * 201}, "location", "地点请不要超过 200 个字", id="loc-201"
    ),
]


@pytest.mark.parametrize(("kind", "fields", "field", "message"), FORM_ERRORS)
def test_an_invalid_form_is_shown_again_with_its_chinese_message_and_nothing_is_stored(
    seeded, client, kind, fields, field, message
):
    before = row_counts(seeded)
    response = post_form(client, kind, **fields)

    assert response.status_code == 400
    assert "提交未成功，请按提示修改后再提交。" in response.text
    assert error_messages(response.text) == [message]
    assert re.search(rf'<[^>]*name="{field}"', response.text)  # the field is still on the page
    assert row_counts(seeded) == before


def test_an_invalid_form_keeps_what_the_resident_typed(seeded, client):
    response = post_form(
        client,
        "complaint",
        department="cgzf",
        title="夜市噪音",
        text=COMPLAINT,
        contact_phone="1381234567",
    )
    assert response.status_code == 400
    assert re.search(rf"<textarea[^>]*>\s*{re.escape(COMPLAINT)}</textarea>", response.text)
    assert 'value="夜市噪音"' in response.text
    assert re.search(r'<option selected value="cgzf">|<option value="cgzf" selected', response.text)


def test_a_rejected_form_can_be_corrected_and_sent_again(seeded, client):
    assert post_form(client, "complaint", text="太吵了").status_code == 400
    code = tracking_code_of(post_form(client, "complaint", text=COMPLAINT))
    assert stored(seeded, code)["text"] == COMPLAINT


def test_an_oversized_form_gets_a_chinese_413_page(seeded, client):
    response = post_form(client, "complaint", text="路" * 30_000)  # 90 kB of UTF-8
    assert response.status_code == 413
    assert "提交的内容过大" in response.text
    # The form is shown again and asks the browser to put back its draft (the server must
    # not read an oversized body); the browser test checks the text really comes back.
    assert 'id="feedback-form"' in response.text
    assert 'data-restore-draft="true"' in response.text


# ---------------------------------------------------------------------------- tracking


@pytest.fixture
def filed(seeded, client) -> str:
    """A complaint to 城管 with a phone number and a location, filed through the form."""
    response = post_form(
        client,
        "complaint",
        department="cgzf",
        title="夜市噪音扰民",
        location="A1区人民路与建设路交叉口",
        contact_phone="138 0000 1234",
    )
    return tracking_code_of(response)


def test_the_tracking_page_shows_kind_department_status_and_timeline(client, filed):
    response = client.get(f"/track/{filed}")
    assert response.status_code == 200
    html = response.text
    assert re.search(r'id="case-kind">投诉<', html)
    assert re.search(r'id="case-department">市城市管理综合执法局<', html)
    assert re.search(r'id="case-status">已受理<', html)
    timeline = re.search(r'<ol class="[^"]*timeline.*?</ol>', html, re.S).group(0)
    assert "已受理" in timeline
    assert "诉求已受理" in timeline


def test_the_tracking_page_shows_times_in_china_standard_time(seeded, client, filed):
    # Filed at 04:15 Beijing time on 29 November, which is still 28 November in UTC.
    filed_at = datetime(2026, 11, 28, 20, 15, tzinfo=UTC)
    with seeded.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.tracking_code == filed))
        submission.created_at = filed_at
        for event in submission.events:
            event.created_at = filed_at
        db.session.commit()
    html = client.get(f"/track/{filed}").text
    assert '<dd class="col-8">2026-11-29 04:15</dd>' in html
    assert re.search(r"<small[^>]*>11-29 04:15</small>", html)
    assert "20:15" not in html


@pytest.mark.parametrize("page", ["/track/{code}", "/submitted/{code}"])
def test_no_personal_data_on_the_tracking_and_confirmation_pages(seeded, client, filed, page):
    html = client.get(page.format(code=filed)).text
    row = stored(seeded, filed)
    for secret in (
        PHONE,
        "138 0000 1234",
        PHONE_MASKED,
        "****",
        row["phone_encrypted"],
        row["phone_hmac"],
    ):
        assert secret not in html
    assert not re.search(r"1[3-9]\d{9}", html)


def test_the_lookup_form_redirects_to_the_tracking_page(client, filed):
    response = client.get("/track", query_string={"code": f"  {filed} "})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/track/{filed}"


def test_the_lookup_page_without_a_code_shows_the_form(client):
    response = client.get("/track")
    assert response.status_code == 200
    assert "查询办理进度" in response.text


@pytest.mark.parametrize(
    "code",
    [
        "AAAAAAAAAAAAAAAAAAAAAAAA",  # well formed, unknown
        "abc",
        "A" * 25,
        "查询码查询码查询码查询码查询码查询码查询码查询码",
        "%00",
        "' OR '1'='1",
    ],
    ids=repr,
)
@pytest.mark.parametrize("page", ["/track/", "/submitted/"])
def test_an_unknown_or_malformed_code_gets_a_friendly_chinese_404(seeded, client, page, code):
    response = client.get(page + code)
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"
    assert "没有找到您要的页面或诉求" in response.text
    assert "请核对查询码是否完整" in response.text
    assert 'href="/"' in response.text
    assert "Traceback" not in response.text


def test_an_unknown_page_gets_the_same_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "没有找到您要的页面或诉求" in response.text


def test_a_wrong_method_gets_a_chinese_error_page(client):
    response = client.put("/submit/complaint")
    assert response.status_code == 405
    assert response.content_type == "text/html; charset=utf-8"
    assert "不支持的请求方法" in response.text


# ---------------------------------------------------------------------------- rate limit


@pytest.fixture
def limited_client(seeded) -> Any:
    """A client of an app allowing two submissions a minute per address."""
    application = create_app(testing_config(CITIZENVOICE_SUBMISSION_LIMIT="2/minute"))
    yield application, application.test_client()
    with application.app_context():
        db.engine.dispose()


def test_too_many_form_submissions_get_a_chinese_429_page_and_are_not_stored(limited_client):
    application, client = limited_client
    assert post_form(client, "complaint").status_code == 303
    for _ in range(3):  # a form sent back for correction does not use up the limit
        assert post_form(client, "complaint", text="太短").status_code == 400
    assert post_form(client, "complaint").status_code == 303
    before = row_counts(application)
    response = post_form(client, "complaint", title="第三次提交", text=SUGGESTION)
    assert response.status_code == 429
    assert "提交过于频繁，请" in response.text
    # The form comes back with what the resident wrote, not a bare error page.
    assert 'id="feedback-form"' in response.text
    assert SUGGESTION in response.text and 'value="第三次提交"' in response.text
    assert row_counts(application) == before
    assert client.get("/submit/complaint").status_code == 200  # reading the form is not limited


def test_a_follow_up_refused_by_the_limit_comes_back_with_the_comment_kept(limited_client):
    application, client = limited_client
    code = tracking_code_of(post_form(client, "complaint", department="cgzf"))
    staff = Actor(ActorRole.DEPARTMENT_STAFF, "cgzf", "张三")
    with application.app_context():
        case = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        perform(case, Action.SIGN, staff)
        perform(case, Action.REPLY, staff, reply_body="已安排执法队员夜间巡查，摊贩已退回店内。")
        db.session.commit()
    token = page_token(client, f"/track/{code}")
    answers = {"csrf_token": token, "contacted": "yes", "resolved": "no"}
    url = f"/track/{code}/follow-up"
    for _ in range(3):  # incomplete answers are sent back and do not use up the limit
        assert client.post(url, data=answers).status_code == 400
    comment = "巡查只来了一次，摊贩第二天又出来了。"
    full = {**answers, "satisfaction": "dissatisfied", "comment": comment}
    assert client.post(url, data=full).status_code == 303
    assert client.post(url, data=full).status_code == 303  # already answered: a message
    response = client.post(url, data=full)
    assert response.status_code == 429
    assert "提交过于频繁" in response.text
    assert comment in response.text
