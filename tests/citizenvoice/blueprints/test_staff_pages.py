"""Staff pages as people met them: where sign-in lands, Chinese labels in exports, whole-word
hot keywords on the dashboard, and buttons for actions a role cannot take."""

from __future__ import annotations

import csv
import io
import re

import pytest
from factories import PASSWORD, csrf_token, login, make_user, sign_in
from sqlalchemy import func, select
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, User
from citizenvoice.services.analysis import analyse_submission
from citizenvoice.services.dashboard import dashboard_for

FRAGMENTS = "芙蓉区五里牌镇五里牌小区门口垃圾堆积如山，五里牌镇政府一直不处理，垃圾臭气熏天。"


@pytest.fixture
def staff(seeded):
    for username, role, department in [
        ("cg_staff", "department_staff", "cgzf"),
        ("cg_admin", "department_admin", "cgzf"),
        ("office1", "office", None),
        ("root1", "system_admin", None),
    ]:
        make_user(seeded, role, department, username)
    return seeded


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("cg_staff", "/workspace/"),
        ("cg_admin", "/workspace/"),
        ("office1", "/office/queue"),
        ("root1", "/office/queue"),
    ],
)
def test_sign_in_without_next_lands_on_the_users_work_queue(staff, username, landing):
    client, response = sign_in(staff, username)
    assert response.headers["Location"].endswith(landing)
    assert client.get(response.headers["Location"]).status_code == 200


def test_exports_name_the_sentiment_in_chinese_like_the_screens(staff, analyzer):
    case_id = file_submission(staff, FRAGMENTS, department="cgzf", title="垃圾堆积")
    with staff.app_context():
        analyse_submission(case_id, analyzer)
        db.session.commit()
        label = db.session.scalar(
            select(Analysis.sentiment_label).where(Analysis.submission_id == case_id)
        )
    client = login(staff, "cg_staff")
    rows = list(csv.reader(io.StringIO(client.get("/workspace/export.csv").get_data(as_text=True))))
    column = rows[0].index("情感")
    assert label == "negative"
    assert rows[1][column] == "负面"


def test_hot_keywords_are_whole_words_not_fragments_of_names(staff, analyzer):
    case_id = file_submission(staff, FRAGMENTS, department="cgzf", title="五里牌镇垃圾")
    with staff.app_context():
        analyse_submission(case_id, analyzer)
        db.session.commit()
        stored = db.session.scalar(
            select(Analysis.keywords).where(Analysis.submission_id == case_id)
        )
        # jieba's guesses at the unknown place name are among the message's keywords ...
        assert {"五里", "牌镇"} & set(stored[:5])
        user = db.session.scalar(select(User).where(User.username == "cg_staff"))
        hot = [word for word, _n in dashboard_for(user).top_keywords]
    # ... but the dashboard's hot keywords are whole words only.
    assert "垃圾" in hot
    assert not {"五里", "牌镇"} & set(hot)


def test_a_department_staff_member_sees_return_disabled_with_the_reason(staff):
    case_id = file_submission(staff, FRAGMENTS, department="cgzf", title="垃圾堆积")
    client = login(staff, "cg_staff")
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*data-action="return"[^>]*>', page)
    assert button and "disabled" in button.group(0)
    assert "需由部门管理员操作" in page
    admin = login(staff, "cg_admin")
    page = admin.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*data-action="return"[^>]*>', page)
    assert button and "disabled" not in button.group(0)


def test_every_department_gets_starter_templates_whose_blanks_block_sending(staff):
    from citizenvoice.models import CaseReply, Department, ReplyTemplate

    with staff.app_context():
        departments = db.session.scalars(select(Department)).all()
        templates = db.session.scalars(select(ReplyTemplate)).all()
        assert {t.department_id for t in templates} == {d.id for d in departments}
    case_id = file_submission(staff, FRAGMENTS, department="cgzf", title="垃圾堆积")
    client = login(staff, "cg_staff")
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    client.post(
        f"/workspace/cases/{case_id}/action",
        data={"csrf_token": csrf_token(page), "action": "sign"},
    )
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert "办结答复" in page and "政策咨询答复" in page
    template_id = re.search(r"template=(\d+)\">办结答复", page).group(1)
    draft = client.get(f"/workspace/cases/{case_id}?template={template_id}").get_data(as_text=True)
    body = re.search(r'<textarea[^>]*id="reply-body"[^>]*>([^<]*)</textarea>', draft).group(1)
    assert "{问题}" in body and "市城市管理综合执法局" in body
    # Sent as it is, even with "send anyway": refused until the blanks are filled.
    for confirm in ("", "1"):
        response = client.post(
            f"/workspace/cases/{case_id}/reply",
            data={"csrf_token": csrf_token(draft), "body": body, "confirm": confirm},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="reply-blocked"' in html and "{问题}" in html
        assert 'id="confirm-reply"' not in html
    with staff.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseReply)) == 0
    filled = (
        body.replace("{问题}", "五里牌小区门口垃圾堆积问题")
        .replace("{日期}", "12月3日")
        .replace("{核实情况}", "该处垃圾因清运车辆故障两天未清运")
        .replace("{采取的措施}", "责成环卫所增派车辆")
        .replace("{处理结果}", "垃圾已全部清运完毕")
        .replace("{联系电话}", "0731-84001234")
        .replace("{联系人}", "张科长")
    )
    response = client.post(
        f"/workspace/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(draft), "body": filled, "confirm": "1"},
    )
    assert response.status_code == 303
    with staff.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseReply)) == 1


def test_an_extension_request_takes_the_days_asked_for_and_the_log_says_so(staff):
    from citizenvoice.models import StatusEvent, Submission

    case_id = file_submission(staff, FRAGMENTS, department="cgzf", title="垃圾堆积")
    admin = login(staff, "cg_admin")
    page = admin.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    admin.post(
        f"/workspace/cases/{case_id}/action",
        data={"csrf_token": csrf_token(page), "action": "sign"},
    )
    page = admin.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert 'id="extension-days"' in page and 'max="5"' in page
    too_many = admin.post(
        f"/workspace/cases/{case_id}/action",
        data={
            "csrf_token": csrf_token(page),
            "action": "request_extension",
            "note": "需等待检测报告",
            "days": "9",
        },
        follow_redirects=True,
    )
    assert "延期天数须为 1 到 5 个工作日" in too_many.get_data(as_text=True)
    admin.post(
        f"/workspace/cases/{case_id}/action",
        data={
            "csrf_token": csrf_token(page),
            "action": "request_extension",
            "note": "需等待检测报告",
            "days": "3",
        },
    )
    with staff.app_context():
        before = db.session.get(Submission, case_id).reply_due_at
    office = login(staff, "office1")
    page = office.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert "延期 3 个工作日" in page
    office.post(
        f"/workspace/cases/{case_id}/action",
        data={"csrf_token": csrf_token(page), "action": "approve_extension"},
    )
    with staff.app_context():
        notes = list(
            db.session.scalars(select(StatusEvent.note).where(StatusEvent.submission_id == case_id))
        )
        after = db.session.get(Submission, case_id).reply_due_at
    assert any("申请延期3个工作日" in note for note in notes)
    assert any("同意延期3个工作日" in note for note in notes)
    assert after > before


@pytest.mark.parametrize("username", ["cg_staff", "cg_admin", "office1", "root1"])
def test_every_user_changes_their_own_password(staff, username):
    from citizenvoice.models import AuditEntry

    client = login(staff, username)
    page = client.get("/staff/password").get_data(as_text=True)
    assert "修改密码" in page
    for current, new, confirm, message in [
        ("wrong-password-1", "a-new-password-22", "a-new-password-22", "当前密码不正确"),
        (PASSWORD, "short", "short", "至少"),
        (PASSWORD, "a-new-password-22", "another-one-333", "两次输入的新密码不一致"),
    ]:
        refused = client.post(
            "/staff/password",
            data={
                "csrf_token": csrf_token(page),
                "current": current,
                "new": new,
                "repeated": confirm,
            },
        )
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    changed = client.post(
        "/staff/password",
        data={
            "csrf_token": csrf_token(page),
            "current": PASSWORD,
            "new": "a-new-password-22",
            "repeated": "a-new-password-22",
        },
        follow_redirects=True,
    )
    assert changed.status_code == 200 and "密码已修改" in changed.get_data(as_text=True)
    assert client.get("/staff/password").status_code == 200  # this session goes on
    sign_in(staff, username, expect=401)  # the old password no longer works
    with staff.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password_change"))
        assert entry is not None and "a-new-password" not in str(entry.details)
    sign_in(staff, username, "a-new-password-22")
