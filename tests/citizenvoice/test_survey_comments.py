"""Survey comments through nlp, on PostgreSQL and SQLite: the CLI analyses each comment once,
hostile comments are stored and shown redacted (and never logged), the comment groups, the
explanation and the opinion report pages, and a 整改 task per comment group (exactly one even
when the button is pressed twice at once, over real HTTP connections on PostgreSQL)."""

from __future__ import annotations

import http.client
import logging
import threading
import urllib.parse
from collections.abc import Iterator
from importlib.metadata import version

import pytest
from factories import csrf_token, login, make_user
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from citizenvoice.cli import seed_demo_data
from citizenvoice.extensions import db
from citizenvoice.models import (
    AuditEntry,
    Department,
    RectificationTask,
    SurveyAnswer,
    SurveyCampaign,
    SurveyCommentAnalysis,
    SurveyCommentTask,
)
from citizenvoice.services.appraisal import compute, current_month_code, period_by_code
from citizenvoice.services.survey import create_campaign, issue_invitations

PHONE = "13812345678"
# What raters wrote about cgzf (城管): hostile on purpose, and enough of one topic to group.
HOSTILE = [
    "夜市占道经营，垃圾满地没人清扫\r\n晚上噪音太大",
    "=1+1 垃圾清运不及时，小区门口臭气熏天",
    f"请联系我 {PHONE}，路边摊贩油烟太大",
    "城管执法态度粗暴" * 60,  # 480 characters, near the 500 limit
    "👍👍👍",  # nothing to read
    "@SUM(A1) +cmd|' /C calc'!A0 乱停车严重",
]


@pytest.fixture
def comments_app(db_app: Flask) -> Iterator[Flask]:
    """Demo departments, an office and two department users, a Beijing-preset campaign."""
    with db_app.app_context():
        seed_demo_data(0)
        db.session.commit()
    make_user(db_app, "office", None, "office1")
    make_user(db_app, "department_staff", "cgzf", "cgzf_staff")
    make_user(db_app, "department_staff", "zjj", "zjj_staff")
    with db_app.app_context():
        code = current_month_code()
        assert code is not None
        campaign = create_campaign(period_by_code(code), "beijing")
        db.session.commit()
        db_app.config["TEST_CAMPAIGN"] = campaign.id
    yield db_app


def _answer(app: Flask, comments: list[str], department: str = "cgzf") -> None:
    """One rater per comment answers through the API: ``department`` 不满意 with the comment."""
    campaign_id = app.config["TEST_CAMPAIGN"]
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None
        codes = issue_invitations(campaign, "residents", len(comments))
        db.session.commit()
    client = app.test_client()
    for code, comment in zip(codes, comments, strict=True):
        answer = {"department": department, "rating": "dissatisfied", "comment": comment}
        others = {"department": "zjj", "rating": "satisfied"}
        response = client.post(f"/api/v1/surveys/{code}", json={"answers": [answer, others]})
        assert response.status_code == 201, response.get_json()


def _analyse(app: Flask) -> int:
    campaign_id = app.config["TEST_CAMPAIGN"]
    result = app.test_cli_runner().invoke(
        args=["survey", "analyse-comments", "--campaign", str(campaign_id)]
    )
    assert result.exit_code == 0, result.output
    return int(result.output.split()[-1])


def test_the_cli_analyses_each_comment_once_and_redacts(
    comments_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Six hostile comments: six rows; a second run none; a raw phone (older data) masked."""
    caplog.set_level(logging.DEBUG)
    _answer(comments_app, HOSTILE)
    with comments_app.app_context():
        # A comment stored before masking existed (or by an import): nlp masks it again.
        campaign_id = comments_app.config["TEST_CAMPAIGN"]
        answer = db.session.scalars(select(SurveyAnswer).limit(1)).one()
        db.session.add(
            SurveyAnswer(
                campaign_id=campaign_id,
                group_id=answer.group_id,
                department_id=answer.department_id,
                rating="basic",
                comment=f"电话{PHONE}，" + "垃圾" * 50_000,  # 100,000 characters
            )
        )
        db.session.commit()
    assert _analyse(comments_app) == len(HOSTILE) + 1
    assert _analyse(comments_app) == 0
    unknown = comments_app.test_cli_runner().invoke(
        args=["survey", "analyse-comments", "--campaign", "999999"]
    )
    assert unknown.exit_code != 0 and "问卷不存在" in unknown.output
    with comments_app.app_context():
        rows = list(db.session.scalars(select(SurveyCommentAnalysis)))
        assert len(rows) == len(HOSTILE) + 1
        assert not any(PHONE in row.text for row in rows)
        assert any(row.category is None for row in rows)  # the emoji-only comment
        assert all("\x00" not in row.text for row in rows)
    logged = caplog.text
    assert PHONE not in logged and "臭气熏天" not in logged and "calc" not in logged


def test_a_nul_in_a_comment_never_reaches_the_analysis(comments_app: Flask) -> None:
    """The app strips or refuses NUL before the service; either way no stored text has one."""
    campaign_id = comments_app.config["TEST_CAMPAIGN"]
    with comments_app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None
        (code,) = issue_invitations(campaign, "residents", 1)
        db.session.commit()
    answers = [{"department": "cgzf", "rating": "basic", "comment": "垃圾\x00清运"}]
    response = comments_app.test_client().post(f"/api/v1/surveys/{code}", json={"answers": answers})
    assert response.status_code in (201, 400)
    assert _analyse(comments_app) == (1 if response.status_code == 201 else 0)
    with comments_app.app_context():
        texts = list(db.session.scalars(select(SurveyCommentAnalysis.text)))
    assert all("\x00" not in text for text in texts)


def test_pages_show_groups_redacted_and_only_to_their_department(comments_app: Flask) -> None:
    """Office pages show the groups, explanation and report; zjj staff never see cgzf's."""
    _answer(comments_app, HOSTILE)
    _analyse(comments_app)
    campaign_id = comments_app.config["TEST_CAMPAIGN"]
    office = login(comments_app, "office1")
    pages = {
        f"/office/surveys/{campaign_id}": "转为整改任务",
        f"/office/surveys/{campaign_id}/departments/cgzf": "拉低得分的评价群体",
        f"/office/surveys/{campaign_id}/report": "十大热词",
    }
    for path, marker in pages.items():
        response = office.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert marker in body and PHONE not in body, path
        assert "<script>" not in body
    report = office.get(f"/office/surveys/{campaign_id}/report").get_data(as_text=True)
    assert "垃圾" in report and "各部门满意度" in report
    for hostile in ("nope", "cgzf%0D%0AX", "x" * 5000, "%00", "=1+1"):
        path = f"/office/surveys/{campaign_id}/departments/{hostile}"
        assert office.get(path).status_code == 404, hostile
    with comments_app.app_context():  # the appraisal's explanation links to the survey's
        month = current_month_code()
        assert month is not None
        compute(period_by_code(month), "office1")
        db.session.commit()
    period_page = office.get(f"/office/periods/{month}?department=cgzf").get_data(as_text=True)
    assert f"/office/surveys/{campaign_id}/departments/cgzf" in period_page
    assert office.get("/office/surveys/999999/report").status_code == 404
    own = login(comments_app, "cgzf_staff").get("/workspace/survey").get_data(as_text=True)
    assert "意见分组" in own and "臭气熏天" in own and PHONE not in own
    other = login(comments_app, "zjj_staff")
    assert "臭气熏天" not in other.get("/workspace/survey").get_data(as_text=True)
    for path in pages:
        assert other.get(path).status_code in (302, 403, 404)


def _group(app: Flask) -> str:
    """The category of cgzf's largest comment group."""
    with app.app_context():
        dept = db.session.scalar(select(Department.id).where(Department.code == "cgzf"))
        return str(
            db.session.scalar(
                select(SurveyCommentAnalysis.category)
                .where(
                    SurveyCommentAnalysis.department_id == dept,
                    SurveyCommentAnalysis.category.is_not(None),
                )
                .group_by(SurveyCommentAnalysis.category)
                .order_by(func.count().desc())
                .limit(1)
            )
        )


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        tasks = db.session.scalar(select(func.count()).select_from(RectificationTask))
        links = db.session.scalar(select(func.count()).select_from(SurveyCommentTask))
        audited = db.session.scalar(
            select(func.count()).where(AuditEntry.action == "survey_comment_task")
        )
    return int(tasks or 0), int(links or 0), int(audited or 0)


def test_a_group_becomes_one_task_and_a_second_click_finds_it(comments_app: Flask) -> None:
    _answer(comments_app, HOSTILE)
    _analyse(comments_app)
    campaign_id = comments_app.config["TEST_CAMPAIGN"]
    category = _group(comments_app)
    office = login(comments_app, "office1")
    token = csrf_token(office.get(f"/office/surveys/{campaign_id}").get_data(as_text=True))
    form = {"csrf_token": token, "department": "cgzf", "category": category}
    for _ in range(2):
        response = office.post(f"/office/surveys/{campaign_id}/comment-tasks", data=form)
        assert response.status_code == 302
    assert _counts(comments_app) == (1, 1, 1)
    with comments_app.app_context():
        task = db.session.scalars(select(RectificationTask)).one()
        assert task.source_kind == "survey_comments" and task.source_value == category
        assert category in task.title and PHONE not in task.target
    page = office.get(f"/office/surveys/{campaign_id}").get_data(as_text=True)
    assert f"整改任务 #{task.id}" in page
    hostile = [
        {"department": "cgzf", "category": "=1+1"},
        {"department": "cgzf\r\nX", "category": category},
        {"department": "x" * 10_000, "category": category},
        {"department": "cgzf", "category": "垃\x00圾"},
        {},
    ]
    for fields in hostile:
        response = office.post(
            f"/office/surveys/{campaign_id}/comment-tasks", data={"csrf_token": token, **fields}
        )
        assert response.status_code == 302, fields
    assert _counts(comments_app) == (1, 1, 1)
    staff = login(comments_app, "cgzf_staff")
    own_token = csrf_token(staff.get("/workspace/survey").get_data(as_text=True))
    response = staff.post(
        f"/office/surveys/{campaign_id}/comment-tasks", data={**form, "csrf_token": own_token}
    )
    assert response.status_code in (302, 403, 404)
    assert response.headers.get("Location", "/login").endswith("/login") or (
        response.status_code != 302
    )
    assert _counts(comments_app) == (1, 1, 1)


def _post(port: int, path: str, cookie: str, fields: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"session={cookie}",
                # The login's "strong" session protection binds the session to address and
                # agent: the same as the test client that signed in.
                "User-Agent": f"Werkzeug/{version('werkzeug')}",
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.timeout(120)
def test_simultaneous_clicks_open_exactly_one_task(seeded: Flask) -> None:
    """Six posts of one group at once over real HTTP connections (PostgreSQL): one task."""
    app = seeded
    make_user(app, "office", None, "office1")
    with app.app_context():
        code = current_month_code()
        assert code is not None
        app.config["TEST_CAMPAIGN"] = create_campaign(period_by_code(code), "beijing").id
        db.session.commit()
    _answer(app, HOSTILE)
    _analyse(app)
    campaign_id = app.config["TEST_CAMPAIGN"]
    office = login(app, "office1")
    token = csrf_token(office.get(f"/office/surveys/{campaign_id}").get_data(as_text=True))
    cookie = office.get_cookie("session")
    assert cookie is not None
    form = {"csrf_token": token, "department": "cgzf", "category": _group(app)}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    clicks = 6
    start = threading.Barrier(clicks)
    statuses = [0] * clicks

    def click(index: int) -> None:
        start.wait()
        statuses[index] = _post(
            server.server_port, f"/office/surveys/{campaign_id}/comment-tasks", cookie.value, form
        )

    try:
        threads = [threading.Thread(target=click, args=(i,)) for i in range(clicks)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    assert statuses == [302] * clicks
    assert _counts(app) == (1, 1, 1)
    with app.app_context():  # the losers' task openings were rolled back with their audit
        opened = db.session.scalar(
            select(func.count()).where(AuditEntry.action == "rectification_open")
        )
    assert opened == 1
    verified = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output, verified.output


def test_the_office_button_queues_one_job_that_analyses_once(comments_app: Flask) -> None:
    """The button queues the campaign's job (derived id: a second click adds none)."""
    from rq import Queue
    from rq.job import Job

    from citizenvoice.jobs.queues import BATCH
    from citizenvoice.jobs.survey_comments import analyse_survey_comments_job, comments_job_id

    _answer(comments_app, HOSTILE[:3])
    campaign_id = comments_app.config["TEST_CAMPAIGN"]
    office = login(comments_app, "office1")
    token = csrf_token(office.get(f"/office/surveys/{campaign_id}").get_data(as_text=True))
    for _ in range(2):
        response = office.post(
            f"/office/surveys/{campaign_id}/analyse-comments", data={"csrf_token": token}
        )
        assert response.status_code == 302
    connection = comments_app.extensions["citizenvoice.redis"]
    assert Job.fetch(comments_job_id(campaign_id), connection=connection) is not None
    assert Queue(BATCH.queue, connection=connection).count == 1
    with comments_app.app_context():
        assert analyse_survey_comments_job(campaign_id) == {"analysed": 3}
        assert analyse_survey_comments_job(campaign_id) == {"analysed": 0}


@pytest.mark.slow
def test_the_button_analyses_in_process_in_the_embedded_default(tmp_path) -> None:
    """SQLite, no Redis: the button runs the analysis on the web process's runner thread."""
    from flask_migrate import upgrade

    from citizenvoice import create_app
    from config import DevelopmentConfig

    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"})
    config.DATA_DIR = None
    app = create_app(config)
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "--messages", "0"]).exit_code == 0
    args = ["users", "create", "--username", "office1", "--password", "correct-horse-battery"]
    assert runner.invoke(args=[*args, "--role", "office"]).exit_code == 0
    with app.app_context():
        month = current_month_code()
        assert month is not None
        app.config["TEST_CAMPAIGN"] = create_campaign(period_by_code(month), "beijing").id
        db.session.commit()
    _answer(app, HOSTILE[:2])
    campaign_id = app.config["TEST_CAMPAIGN"]
    office = login(app, "office1", "correct-horse-battery")
    token = csrf_token(office.get(f"/office/surveys/{campaign_id}").get_data(as_text=True))
    response = office.post(
        f"/office/surveys/{campaign_id}/analyse-comments", data={"csrf_token": token}
    )
    assert response.status_code == 302
    app.extensions["citizenvoice.runner"].shutdown()  # wait for the background analysis
    with app.app_context():
        analysed = db.session.scalar(
            select(func.count())
            .select_from(SurveyCommentAnalysis)
            .where(SurveyCommentAnalysis.campaign_id == campaign_id)
        )
    assert analysed == 2
