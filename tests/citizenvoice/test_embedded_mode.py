"""The embedded default: SQLite, no Redis, analysis on a thread of the web process."""

from __future__ import annotations

import pytest
from factories import case_action, case_reply, login, post_follow_up
from flask_migrate import upgrade
from sqlalchemy import func, select

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission
from config import DevelopmentConfig


def _embedded_app(tmp_path):
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"})
    config.DATA_DIR = None  # the built-in sample: the product runs without the shared data
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.mark.slow  # migrates, seeds and analyses every demo case in process: seconds
def test_seed_analyses_the_demo_cases_in_process_without_redis(tmp_path):
    app = _embedded_app(tmp_path)
    assert app.config["ANALYSIS_IN_PROCESS"] is True
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "analysed" in result.output
    with app.app_context():
        submissions = db.session.scalar(select(func.count()).select_from(Submission))
        analysed = db.session.scalar(
            select(func.count()).select_from(Submission).where(Submission.analysis_status == "done")
        )
        categories = set(db.session.scalars(select(Analysis.category)))
    assert submissions == analysed > 0
    assert len(categories - {None}) >= 3


@pytest.mark.slow
def test_a_complaint_through_the_api_is_analysed_in_process(tmp_path):
    app = _embedded_app(tmp_path)
    app.test_cli_runner().invoke(args=["seed", "--messages", "0"])
    client = app.test_client()
    response = client.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "department": None,
            "text": "公司拖欠我们二十多名农民工三个月工资，请人社部门帮忙讨薪。",
        },
    )
    assert response.status_code == 201
    code = response.get_json()["tracking_code"]
    app.extensions["citizenvoice.runner"].shutdown()  # wait for the background analysis
    body = client.get(f"/api/v1/feedback/{code}").get_json()
    assert body["category"] == "劳动和社会保障"


@pytest.mark.slow
def test_make_run_journey_resident_staff_reply_follow_up_office_compute(tmp_path):
    """What ``make run`` offers a newcomer, end to end on SQLite with in-process analysis.

    Resident files -> staff sign and reply -> resident follows up -> the office computes the
    month: no error on the way, the reply text kept, the times in one zone.
    """

    from citizenvoice.models import CaseReply, FollowUp
    from citizenvoice.services.appraisal import compute, ensure_periods

    app = _embedded_app(tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "--messages", "0"]).exit_code == 0
    for username, role, extra in [
        ("cg_staff", "department_staff", ["--department", "cgzf"]),
        ("office1", "office", []),
    ]:
        args = ["users", "create", "--username", username, "--password", "correct-horse-battery"]
        assert runner.invoke(args=[*args, "--role", role, *extra]).exit_code == 0
    resident = app.test_client()
    created = resident.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "department": "cgzf",
            "text": "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息。",
        },
    )
    assert created.status_code == 201
    code = created.get_json()["tracking_code"]
    app.extensions["citizenvoice.runner"].shutdown()  # the in-process analysis is done

    staff = login(app, "cg_staff")
    with app.app_context():
        case_id = db.session.scalar(select(Submission.id).where(Submission.tracking_code == code))
    assert case_action(staff, case_id, "sign").status_code == 303
    reply = (
        "您好！经调查核实，人民路夜市存在占道经营和油烟扰民问题。我局已联合街道依法整治，"
        "取缔占道摊位12个，问题已解决。如有疑问请拨打0731-12345678。"
    )
    sent = case_reply(staff, case_id, reply, confirm=True)
    assert sent.status_code == 303, sent.text
    answered = post_follow_up(
        resident, code, contacted="yes", resolved="yes", satisfaction="satisfied"
    )
    assert answered.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(CaseReply.body)) == reply
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1
        month = next(p for p in ensure_periods() if p.kind == "month")
        compute(month, "office1")
        db.session.commit()
        assert month.computed_at is not None and month.computed_at.tzinfo is not None
