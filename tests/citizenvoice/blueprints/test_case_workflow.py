"""The case workflow end to end through the pages: sign, reply (quality check), follow-up, close."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from factories import case_action, case_reply, csrf_token, login, make_user, post_follow_up
from sqlalchemy import select
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import CaseReply, FollowUp, StatusEvent, Submission, utcnow
from citizenvoice.services.workflow import close_unanswered

COMPLAINT = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"
GOOD_REPLY = (
    "您好！经调查核实，人民路夜市存在占道经营和油烟扰民问题。我局已责成街道联合执法，"
    "依据《城市市容和环境卫生管理条例》对占道摊点进行整治，目前已取缔占道摊位12个，问题已解决。"
    "如有疑问请拨打联系电话0731-12345678。感谢您的监督！"
)
VAGUE_REPLY = "您好，您的来信已收到，感谢您对我们工作的关心和支持。"


@pytest.fixture
def app(db_app):
    """Every journey here runs on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


@pytest.fixture
def case(seeded):
    for username, role, department in [
        ("cg_staff", "department_staff", "cgzf"),
        ("office1", "office", None),
    ]:
        make_user(seeded, role, department, username)
    case_id = file_submission(seeded, COMPLAINT, department="cgzf", title="夜市噪音扰民")
    with seeded.app_context():
        code = db.session.get(Submission, case_id).tracking_code
    return {"app": seeded, "id": case_id, "code": code}


def _status(app, case_id: int) -> str:
    with app.app_context():
        return db.session.get(Submission, case_id).status


def _follow_up(app, code: str, **answers):
    client = app.test_client()
    return post_follow_up(client, code, **answers), client


def test_a_case_with_a_chosen_department_has_a_sign_deadline_from_intake(case):
    with case["app"].app_context():
        submission = db.session.get(Submission, case["id"])
        assert submission.status == "received"
        assert submission.sign_due_at is not None and submission.sign_due_at > submission.created_at


def test_sign_reply_follow_up_close_with_the_quality_check_on_the_way(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    assert 'data-action="sign"' in staff.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert case_action(staff, case_id, "sign").status_code == 303
    assert _status(app, case_id) == "signed"
    with app.app_context():
        assert db.session.get(Submission, case_id).reply_due_at is not None

    warned = case_reply(staff, case_id, VAGUE_REPLY)
    assert warned.status_code == 200
    assert 'id="reply-warnings"' in warned.get_data(as_text=True)
    assert _status(app, case_id) == "signed"  # nothing sent yet

    assert case_reply(staff, case_id, GOOD_REPLY).status_code == 303
    assert _status(app, case_id) == "replied"
    with app.app_context():
        reply = db.session.scalar(select(CaseReply).where(CaseReply.submission_id == case_id))
        assert reply.body == GOOD_REPLY and 0 <= reply.quality_score <= 1

    tracking = app.test_client().get(f"/track/{case['code']}").get_data(as_text=True)
    assert "已取缔占道摊位" in tracking and 'id="follow-up"' in tracking, tracking

    response, _ = _follow_up(
        app, case["code"], contacted="yes", resolved="yes", satisfaction="satisfied"
    )
    assert response.status_code == 303
    assert _status(app, case_id) == "closed"
    with app.app_context():
        rows = list(db.session.scalars(select(FollowUp).where(FollowUp.submission_id == case_id)))
        assert len(rows) == 1 and rows[0].satisfaction == "satisfied"


def test_a_second_follow_up_gets_a_clear_message_and_changes_nothing(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    first, _ = _follow_up(
        app,
        case["code"],
        contacted="yes",
        resolved="no",
        satisfaction="dissatisfied",
        wants_redo="y",
    )
    assert first.status_code == 303
    assert _status(app, case_id) == "followed_up"
    client = app.test_client()
    page = client.get(f"/track/{case['code']}").get_data(as_text=True)
    assert 'id="follow-up-done"' in page and 'id="follow-up"' not in page
    # A crafted second POST (no form on the page any more) is refused with a clear message.
    token = csrf_token(client.get("/submit/complaint").get_data(as_text=True))
    second = client.post(
        f"/track/{case['code']}/follow-up",
        data={
            "csrf_token": token,
            "contacted": "yes",
            "resolved": "yes",
            "satisfaction": "satisfied",
        },
        follow_redirects=True,
    )
    assert "只能评价一次" in second.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                select(FollowUp.satisfaction).where(FollowUp.submission_id == case_id)
            )
            == "dissatisfied"
        )
        assert db.session.get(Submission, case_id).redo_requested is True


def test_follow_up_validation_errors_are_in_chinese(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    response, _ = _follow_up(app, case["code"], contacted="maybe")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "请选择是或否" in body and "请选择满意程度" in body
    assert _status(app, case_id) == "replied"


def test_the_office_reopens_a_dissatisfied_case_with_a_new_reply_round(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    _follow_up(
        app,
        case["code"],
        contacted="yes",
        resolved="no",
        satisfaction="dissatisfied",
        wants_redo="y",
    )
    office = login(app, "office1")
    assert case_action(office, case_id, "reopen", note="市民反映问题仍未解决").status_code == 303
    with app.app_context():
        submission = db.session.get(Submission, case_id)
        assert submission.status == "in_progress" and submission.reopen_count == 1
        assert submission.reply_due_at is not None


def test_forbidden_actions_are_refused_with_the_rules_message(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    refused = case_action(staff, case_id, "supervise")  # only the office escalates
    assert refused.status_code == 303
    page = staff.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert "无权" in page
    assert _status(app, case_id) == "received"


def test_internal_notes_stay_off_the_residents_page(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    case_action(staff, case_id, "add_note", note="已联系街道，周三联合执法")
    page = app.test_client().get(f"/track/{case['code']}").get_data(as_text=True)
    assert "周三联合执法" not in page
    assert "周三联合执法" in staff.get(f"/workspace/cases/{case_id}").get_data(as_text=True)


def test_internal_notes_stay_out_of_the_public_api_which_shows_the_tracking_timeline(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    note = "内部备注：该市民为老上访户，电话请勿外传"
    assert case_action(staff, case_id, "add_note", note=note).status_code == 303
    with app.app_context():
        actions = db.session.scalars(
            select(StatusEvent.action).where(StatusEvent.submission_id == case_id)
        ).all()
    assert "add_note" in actions
    response = app.test_client().get(f"/api/v1/feedback/{case['code']}")
    assert response.status_code == 200
    assert "老上访户" not in response.get_data(as_text=True)
    events = response.get_json()["events"]
    assert [e["status"] for e in events] == ["received", "signed"]
    tracking = app.test_client().get(f"/track/{case['code']}").get_data(as_text=True)
    for event in events:  # the same events, with the same notes, as the tracking page
        assert event["note"] in tracking


def test_replied_cases_without_follow_up_close_as_no_response(case):
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    with app.app_context():
        assert close_unanswered(utcnow()) == []
        assert close_unanswered(utcnow() + timedelta(days=8)) == [case_id]
        db.session.commit()
        submission = db.session.get(Submission, case_id)
        assert submission.status == "closed" and submission.closure == "no_response"
        row = db.session.scalar(select(FollowUp).where(FollowUp.submission_id == case_id))
        assert row.no_response is True and row.satisfaction is None
        assert (
            db.session.scalar(select(StatusEvent.action).order_by(StatusEvent.id.desc()).limit(1))
            == "auto_close"
        )


def test_inbox_filters_overdue_and_sorts_by_due_time(case):
    app, case_id = case["app"], case["id"]
    with app.app_context():
        submission = db.session.get(Submission, case_id)
        submission.sign_due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    office = login(app, "office1")
    overdue = office.get("/workspace/?overdue=1&sort=due").get_data(as_text=True)
    assert "夜市噪音扰民" in overdue
    assert "夜市噪音扰民" not in office.get("/workspace/?overdue=0").get_data(as_text=True)
    assert "已超期" in office.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    dashboard = office.get("/workspace/dashboard").get_data(as_text=True)
    assert "超期诉求（共 1 件）" in dashboard and "<svg" in dashboard


def test_department_admin_maintains_reply_templates(case):
    app = case["app"]
    make_user(app, "department_admin", "cgzf", "cg_admin")
    admin = login(app, "cg_admin")
    page = admin.get("/workspace/templates").get_data(as_text=True)
    response = admin.post(
        "/workspace/templates",
        data={"csrf_token": csrf_token(page), "title": "占道经营", "body": GOOD_REPLY},
    )
    assert response.status_code == 303
    staff = login(app, "cg_staff")
    case_action(staff, case["id"], "sign")
    case_page = staff.get(f"/workspace/cases/{case['id']}").get_data(as_text=True)
    assert "占道经营" in case_page
    # The department also has the starter templates of `flask seed`: pick the one just made.
    template_id = re.search(r'template=(\d+)">占道经营', case_page).group(1)
    prefilled = staff.get(f"/workspace/cases/{case['id']}?template={template_id}").get_data(
        as_text=True
    )
    assert "已取缔占道摊位" in prefilled
    refused = staff.post(
        "/workspace/templates",
        data={"csrf_token": csrf_token(prefilled), "title": "x", "body": GOOD_REPLY},
        follow_redirects=True,
    )
    assert "只有部门管理员" in refused.get_data(as_text=True)


def test_the_service_rating_given_with_the_follow_up_is_stored(case):
    """The 1-5 服务评分 on the follow-up form feeds the rating indicator: it must be kept."""
    app, case_id = case["app"], case["id"]
    staff = login(app, "cg_staff")
    case_action(staff, case_id, "sign")
    case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    response, _ = _follow_up(
        app, case["code"], contacted="yes", resolved="yes", satisfaction="basic", rating="4"
    )
    assert response.status_code == 303
    with app.app_context():
        row = db.session.scalar(select(FollowUp).where(FollowUp.submission_id == case_id))
        assert (row.satisfaction, row.rating) == ("basic", 4)


def _redone_and_replied_again(case) -> None:
    """Reply, a dissatisfied follow-up asking for 重办, the office reopens, a second reply."""
    app, case_id = case["app"], case["id"]
    staff, office = login(app, "cg_staff"), login(app, "office1")
    case_action(staff, case_id, "sign")
    case_reply(staff, case_id, GOOD_REPLY, confirm=True)
    first, _ = _follow_up(
        app,
        case["code"],
        contacted="yes",
        resolved="no",
        satisfaction="dissatisfied",
        wants_redo="y",
        rating="1",
    )
    assert first.status_code == 303
    assert case_action(office, case_id, "reopen", note="市民反映问题仍未解决").status_code == 303
    assert case_reply(staff, case_id, GOOD_REPLY, confirm=True).status_code == 303
    assert _status(app, case_id) == "replied"


def test_after_a_redo_the_resident_judges_the_new_reply_and_that_judgement_counts(case):
    app, case_id = case["app"], case["id"]
    _redone_and_replied_again(case)
    page = app.test_client().get(f"/track/{case['code']}").get_data(as_text=True)
    assert 'id="follow-up"' in page  # the new reply can be judged
    second, _ = _follow_up(
        app, case["code"], contacted="yes", resolved="yes", satisfaction="satisfied", rating="5"
    )
    assert second.status_code == 303
    assert _status(app, case_id) == "closed"
    with app.app_context():
        rows = db.session.scalars(select(FollowUp).where(FollowUp.submission_id == case_id)).all()
        assert [(r.satisfaction, r.rating, r.no_response) for r in rows] == [
            ("satisfied", 5, False)
        ]


def test_a_redone_case_left_unanswered_closes_and_keeps_its_earlier_judgement(case):
    app, case_id = case["app"], case["id"]
    _redone_and_replied_again(case)
    with app.app_context():
        closed = close_unanswered(now=utcnow() + timedelta(days=30))
        db.session.commit()
        assert closed == [case_id]
        rows = db.session.scalars(select(FollowUp).where(FollowUp.submission_id == case_id)).all()
        assert [(r.satisfaction, r.no_response) for r in rows] == [("dissatisfied", False)]
    assert _status(app, case_id) == "closed"
