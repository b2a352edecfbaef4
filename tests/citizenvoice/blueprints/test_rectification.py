"""Rectification (整改): open -> report -> close through the pages, validation in Chinese,
department isolation, the audit trail, and the before/after figures on constructed cases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import csrf_token, login, make_user
from flask_migrate import upgrade
from sqlalchemy import func, select
from support import file_submission

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, AuditEntry, RectificationTask, Submission, User
from citizenvoice.services.analysis import analyse_submission
from citizenvoice.services.audit import verify_chain
from citizenvoice.services.rectification import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    RectificationError,
    TaskNotVisible,
    before_after,
    close_task,
    open_task,
    report_progress,
    task_for,
    tasks_for,
)
from config import DevelopmentConfig

GROUP = "dup-night-market"
OTHER_GROUP = "dup-street-lights"
NOISE = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"
NOISE_2 = "人民路夜市烧烤油烟太大，噪音一直持续到凌晨两点，严重扰民，希望城管管一管。"
WAGES = "公司拖欠二十多名农民工三个月工资，多次讨要无果，请人社部门帮助我们讨回工资。"
FUTURE_DATE = date.today() + timedelta(days=30)
FUTURE = FUTURE_DATE.isoformat()


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _analysed_case(
    app,
    text: str,
    *,
    department: str = "cgzf",
    group: str | None = GROUP,
    sentiment: float | None = 0.2,
    created_at: datetime | None = None,
    keywords: list[str] | None = None,
    tokens: str = "",
) -> int:
    """A filed case with an Analysis row written directly (no models needed)."""
    case_id = file_submission(app, text, department=department)
    with app.app_context():
        if created_at is not None:
            db.session.get(Submission, case_id).created_at = created_at
        label = None if sentiment is None else "negative" if sentiment < 0.4 else "positive"
        db.session.add(
            Analysis(
                submission_id=case_id,
                model_version="test",
                sentiment=sentiment,
                sentiment_label=label,
                keywords=keywords or [],
                duplicate_group=group,
                search_tokens=tokens,
            )
        )
        db.session.commit()
    return case_id


@pytest.fixture
def world(seeded):
    """Users of two departments and the office, and one analysed case in a duplicate group."""
    for username, role, department in [
        ("cg_staff", "department_staff", "cgzf"),
        ("cg_admin", "department_admin", "cgzf"),
        ("rs_staff", "department_staff", "rsj"),
        ("office1", "office", None),
    ]:
        make_user(seeded, role, department, username)
    _analysed_case(seeded, NOISE)
    return seeded


def _open_form(office, **overrides):
    page = office.get("/office/rectification").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "department": "cgzf",
        "title": "人民路夜市油烟噪音整治",
        "target": "一个月内取缔占道摊点，同类投诉明显下降",
        "source_kind": "duplicate_group",
        "source_value": GROUP,
        "deadline": FUTURE,
    }
    data.update(overrides)
    return office.post("/office/rectification", data=data)


def _task_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(RectificationTask.id).order_by(RectificationTask.id.desc()))


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --------------------------------------------------------------------------- the flow


def test_open_report_close_through_the_pages_with_an_audit_entry_for_each_step(world):
    office = login(world, "office1")
    opened = _open_form(office)
    assert opened.status_code == 303, opened.get_data(as_text=True)
    task_id = _task_id(world)
    assert opened.headers["Location"].endswith(f"/office/rectification/{task_id}")
    detail = office.get(f"/office/rectification/{task_id}").get_data(as_text=True)
    assert "人民路夜市油烟噪音整治" in detail and "整改中" in detail and 'id="close-form"' in detail

    staff = login(world, "cg_staff")
    listing = staff.get("/workspace/rectification").get_data(as_text=True)
    assert "人民路夜市油烟噪音整治" in listing and f'data-task-id="{task_id}"' in listing
    page = staff.get(f"/workspace/rectification/{task_id}").get_data(as_text=True)
    assert 'id="report-form"' in page
    reported = staff.post(
        f"/workspace/rectification/{task_id}/report",
        data={
            "csrf_token": csrf_token(page),
            "text": "已联合街道取缔占道摊点 12 个，夜间巡查常态化。",
        },
    )
    assert reported.status_code == 303
    with world.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert task.status == "reported"
        assert [p["by"] for p in task.progress] == ["cg_staff"]
        assert task.progress[0]["text"].startswith("已联合街道") and task.progress[0]["at"]

    page = office.get(f"/office/rectification/{task_id}").get_data(as_text=True)
    assert "已联合街道取缔占道摊点" in page and "已报告进展" in page
    closed = office.post(
        f"/office/rectification/{task_id}/close",
        data={"csrf_token": csrf_token(page), "note": "整改到位，同类投诉明显下降，予以办结。"},
    )
    assert closed.status_code == 303
    with world.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert task.status == "closed" and task.closed_at is not None
        assert task.progress[-1]["kind"] == "close"
    final = office.get(f"/office/rectification/{task_id}").get_data(as_text=True)
    assert "已办结" in final and 'id="close-form"' not in final and "予以办结" in final
    assert 'id="report-form"' not in staff.get(f"/workspace/rectification/{task_id}").get_data(
        as_text=True
    )

    actions = _actions(world)
    assert [a for a in actions if a.startswith("rectification_")] == [
        "rectification_open",
        "rectification_report",
        "rectification_close",
    ]
    with world.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "rectification_task")
        ).all()
        assert {e.subject_id for e in entries} == {str(task_id)}
        assert {e.actor for e in entries} == {"office1", "cg_staff"}
        assert verify_chain().breaks == []


def test_nav_links_and_the_dashboard_offer_rectification(world):
    _analysed_case(world, NOISE_2, keywords=["油烟"])  # the dashboard lists groups of two or more
    office = login(world, "office1")
    dashboard = office.get("/workspace/dashboard").get_data(as_text=True)
    assert "/office/rectification?kind=duplicate_group" in dashboard and "开整改任务" in dashboard
    assert "/office/rectification?kind=keyword&amp;value=%E6%B2%B9%E7%83%9F" in dashboard
    prefilled = office.get(f"/office/rectification?kind=duplicate_group&value={GROUP}")
    html = prefilled.get_data(as_text=True)
    assert f'value="{GROUP}"' in html
    assert '<option value="cgzf" selected>' in html  # the department handling the group's cases
    staff = login(world, "cg_staff")
    assert 'href="/workspace/rectification"' in staff.get("/workspace/").get_data(as_text=True)
    assert "开整改任务" not in staff.get("/workspace/dashboard").get_data(as_text=True)


# --------------------------------------------------------------------------- validation


def test_invalid_task_shows_every_error_in_chinese_and_creates_nothing(world):
    office = login(world, "office1")
    response = _open_form(
        office,
        department="nope",
        title="",
        target="",
        deadline=(date.today() - timedelta(days=2)).isoformat(),
        source_value="no-such-group",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in (
        "请选择有效的承办部门",
        "请填写任务标题",
        "请填写整改目标",
        "整改期限不能早于今天",
        "该重复诉求组不存在",
    ):
        assert message in html
    assert 'value="no-such-group"' in html  # what was typed is kept
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(RectificationTask)) == 0
    assert "rectification_open" not in _actions(world)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"deadline": "not-a-date"}, "请填写有效的整改期限"),
        ({"source_kind": "category"}, "请选择整改来源"),
        ({"source_value": ""}, "请填写重复诉求组"),
        ({"source_kind": "keyword", "source_value": "火星"}, "没有包含该关键词的诉求"),
        ({"source_kind": "keyword", "source_value": "夜市 噪音"}, "不含空格"),
        ({"title": "长" * 201}, "任务标题不能超过"),
    ],
)
def test_each_invalid_field_has_its_message(world, overrides, message):
    office = login(world, "office1")
    response = _open_form(office, **overrides)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_deadline_of_today_is_accepted_and_a_form_without_csrf_is_refused(world):
    with world.app_context():
        office = _user("office1")
        task = open_task(
            office, "cgzf", "t", "target", "duplicate_group", GROUP, date(2026, 5, 1),
            today=date(2026, 5, 1),
        )  # fmt: skip
        assert task.status == "open" and task.created_by == "office1"
        db.session.rollback()
    client = login(world, "office1")
    response = client.post(
        "/office/rectification",
        data={"department": "cgzf", "title": "t", "target": "x", "source_kind": "duplicate_group",
              "source_value": GROUP, "deadline": FUTURE},
    )  # fmt: skip
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)


def test_reports_and_notes_must_not_be_empty_and_a_closed_task_takes_no_more(world):
    office = login(world, "office1")
    _open_form(office)
    task_id = _task_id(world)
    staff = login(world, "cg_staff")
    page = staff.get(f"/workspace/rectification/{task_id}").get_data(as_text=True)
    empty = staff.post(
        f"/workspace/rectification/{task_id}/report",
        data={"csrf_token": csrf_token(page), "text": "   "},
    )
    assert empty.status_code == 400 and "请填写整改进展" in empty.get_data(as_text=True)
    page = office.get(f"/office/rectification/{task_id}").get_data(as_text=True)
    no_note = office.post(
        f"/office/rectification/{task_id}/close", data={"csrf_token": csrf_token(page), "note": ""}
    )
    assert no_note.status_code == 303
    assert "请填写办结意见" in office.get(no_note.headers["Location"]).get_data(as_text=True)
    with world.app_context():
        assert db.session.get(RectificationTask, task_id).status == "open"
        close_task(_user("office1"), task_id, "办结")
        db.session.commit()
        with pytest.raises(RectificationError, match="已办结"):
            report_progress(_user("cg_staff"), task_id, "还有进展")
        with pytest.raises(RectificationError, match="已办结"):
            close_task(_user("office1"), task_id, "再次办结")


# --------------------------------------------------------------------------- access


def test_another_department_gets_404_and_the_attempt_is_audited(world):
    office = login(world, "office1")
    _open_form(office)
    task_id = _task_id(world)
    other = login(world, "rs_staff")
    assert other.get(f"/workspace/rectification/{task_id}").status_code == 404
    assert other.get(f"/workspace/rectification/{task_id + 99}").status_code == 404
    page = other.get("/workspace/rectification").get_data(as_text=True)
    assert "人民路夜市油烟噪音整治" not in page and 'id="no-tasks"' in page
    posted = other.post(
        f"/workspace/rectification/{task_id}/report",
        data={"csrf_token": csrf_token(page), "text": "冒名报告"},
    )
    assert posted.status_code == 404
    with world.app_context():
        denied = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "access_denied",
                AuditEntry.subject_type == "rectification_task",
            )
        ).all()
        assert [(e.actor, e.details["purpose"]) for e in denied] == [
            ("rs_staff", "view"),
            ("rs_staff", "report"),
        ]
        assert db.session.get(RectificationTask, task_id).progress == []
        rs = _user("rs_staff")
        assert tasks_for(rs) == []
        with pytest.raises(TaskNotVisible):
            task_for(rs, task_id)
        with pytest.raises(TaskNotVisible):
            report_progress(rs, task_id, "冒名报告")
        assert [t.id for t in tasks_for(_user("cg_admin"))] == [task_id]
        assert [t.id for t in tasks_for(_user("office1"))] == [task_id]


def test_anonymous_visitors_are_sent_to_the_login_page(world):
    office = login(world, "office1")
    _open_form(office)
    task_id = _task_id(world)
    anonymous = world.test_client()
    for path in (
        "/office/rectification",
        f"/office/rectification/{task_id}",
        "/workspace/rectification",
        f"/workspace/rectification/{task_id}",
    ):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    response = anonymous.post(f"/office/rectification/{task_id}/close", data={"note": "x"})
    assert response.status_code in (302, 400)
    with world.app_context():
        assert db.session.get(RectificationTask, task_id).status == "open"


def test_department_staff_cannot_open_or_close_and_the_office_cannot_report(world):
    office = login(world, "office1")
    _open_form(office)
    task_id = _task_id(world)
    admin = login(world, "cg_admin")
    assert admin.get("/office/rectification").status_code == 403
    assert admin.get(f"/office/rectification/{task_id}").status_code == 403
    page = admin.get(f"/workspace/rectification/{task_id}").get_data(as_text=True)
    token = csrf_token(page)
    assert admin.post("/office/rectification", data={"csrf_token": token}).status_code == 403
    closing = admin.post(
        f"/office/rectification/{task_id}/close", data={"csrf_token": token, "note": "自行办结"}
    )
    assert closing.status_code == 403
    office_page = office.get(f"/workspace/rectification/{task_id}").get_data(as_text=True)
    assert 'id="report-form"' not in office_page  # the office reads, the department reports
    with world.app_context():
        assert db.session.get(RectificationTask, task_id).status == "open"
        with pytest.raises(RectificationError, match="只有绩效办"):
            open_task(_user("cg_admin"), "cgzf", "t", "x", "duplicate_group", GROUP, date.max)
        with pytest.raises(RectificationError, match="只有绩效办"):
            close_task(_user("cg_admin"), task_id, "自行办结")
        with pytest.raises(RectificationError, match="只有承办部门"):
            report_progress(_user("office1"), task_id, "代为报告")


# --------------------------------------------------------------------------- before / after


def test_before_after_counts_the_departments_topic_cases_in_equal_windows(world):
    opened = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    now = opened + timedelta(days=10)  # window: 10 days each side
    before = [(opened - timedelta(days=9), 0.1), (opened - timedelta(days=2), 0.3)]
    before += [(opened - timedelta(hours=1), None)]  # counted in volume, not in the mean
    after = [(opened + timedelta(days=3), 0.8)]
    for at, sentiment in before + after:
        _analysed_case(world, NOISE, created_at=at, sentiment=sentiment)
    # Not counted: outside the windows, another department, another group, no analysis.
    _analysed_case(world, NOISE, created_at=opened - timedelta(days=11), sentiment=0.0)
    _analysed_case(world, NOISE, created_at=opened + timedelta(days=10, minutes=1))
    _analysed_case(world, WAGES, department="rsj", created_at=opened + timedelta(days=1))
    _analysed_case(world, NOISE, group=OTHER_GROUP, created_at=opened + timedelta(days=1))
    file_submission(world, NOISE, department="cgzf")
    with world.app_context():
        task = open_task(
            _user("office1"), "cgzf", "夜市整治", "投诉下降", "duplicate_group", GROUP, FUTURE_DATE
        )
        task.created_at = opened
        db.session.flush()
        figures = before_after(task, now=now, window=timedelta(days=10))
    assert figures.window == timedelta(days=10) and figures.window_days == 10
    assert figures.before.start == opened - timedelta(days=10) and figures.after.end == now
    assert figures.after_complete
    assert (figures.before.volume, figures.before.sentiment_n) == (3, 2)
    assert figures.before.mean_sentiment == pytest.approx(0.2)
    assert figures.before.negative == 2 and figures.before.negative_share == 100.0
    assert (figures.after.volume, figures.after.sentiment_n) == (1, 1)
    assert figures.after.mean_sentiment == pytest.approx(0.8)
    assert figures.after.negative_share == 0.0
    assert figures.volume_change == -2
    assert figures.sentiment_change == pytest.approx(0.6)


def test_the_window_is_capped_and_empty_windows_have_no_mean(world):
    opened = datetime(2025, 1, 1, tzinfo=UTC)
    _analysed_case(world, NOISE, created_at=opened - MAX_WINDOW - timedelta(days=1))
    _analysed_case(world, NOISE, created_at=opened - MAX_WINDOW + timedelta(days=1), sentiment=0.5)
    with world.app_context():
        task = open_task(
            _user("office1"), "cgzf", "夜市整治", "投诉下降", "duplicate_group", GROUP, FUTURE_DATE
        )
        task.created_at = opened
        figures = before_after(task, now=opened + timedelta(days=400), window=timedelta(400))
        assert figures.window == MAX_WINDOW
        assert figures.before.volume == 1 and figures.before.mean_sentiment == 0.5
        assert figures.after.volume == 0 and figures.after.mean_sentiment is None
        assert figures.after.negative_share is None and figures.sentiment_change is None
        fresh = before_after(task, now=opened)  # the default: 30 days each side
        assert fresh.window == DEFAULT_WINDOW and not fresh.after_complete
        assert fresh.before.volume == fresh.after.volume == 0


def test_keyword_topics_match_keywords_or_whole_search_tokens(world):
    opened = datetime(2026, 2, 1, tzinfo=UTC)
    _analysed_case(world, NOISE, group=None, keywords=["油烟"], created_at=opened - timedelta(1))
    _analysed_case(
        world, NOISE, group=None, tokens=" 夜市 油烟 扰民 ", created_at=opened + timedelta(1)
    )
    _analysed_case(  # a token that only contains the keyword does not match
        world, NOISE, group=None, tokens=" 油烟机 ", created_at=opened + timedelta(1)
    )
    with world.app_context():
        task = open_task(_user("office1"), "cgzf", "油烟", "减少", "keyword", "油烟", FUTURE_DATE)
        task.created_at = opened
        figures = before_after(task, now=opened + timedelta(days=5))
    assert (figures.before.volume, figures.after.volume) == (1, 1)


def test_before_after_on_really_analysed_cases_and_shown_with_charts(world, analyzer):
    ids = [
        file_submission(world, text, department="cgzf", title="夜市扰民")
        for text in (NOISE, NOISE_2, NOISE)
    ]
    with world.app_context():
        for case_id in ids:
            analyse_submission(case_id, analyzer)
        db.session.commit()
        analyses = [
            db.session.scalar(select(Analysis).where(Analysis.submission_id == i)) for i in ids
        ]
        keyword = next(k for k in analyses[0].keywords if all(k in a.keywords for a in analyses))
        opened = datetime.now(UTC) - timedelta(days=4)
        for case_id, days in zip(ids, (-3, -1, 2), strict=True):
            db.session.get(Submission, case_id).created_at = opened + timedelta(days=days)
        task = open_task(
            _user("office1"), "cgzf", "夜市整治", "投诉下降", "keyword", keyword, FUTURE_DATE
        )
        task.created_at = opened
        db.session.commit()
        task_id = task.id
        figures = before_after(task)
        expected_before = (analyses[0].sentiment + analyses[1].sentiment) / 2
        expected_after = analyses[2].sentiment
    assert (figures.before.volume, figures.after.volume) == (2, 1)
    assert figures.before.mean_sentiment == pytest.approx(expected_before, abs=1e-4)
    assert figures.after.mean_sentiment == pytest.approx(expected_after, abs=1e-4)
    html = login(world, "office1").get(f"/office/rectification/{task_id}").get_data(as_text=True)
    assert 'id="before-after"' in html and html.count("<svg") == 2
    assert "整改前" in html and "整改后" in html and "诉求量变化：-1 件" in html
    assert not re.search(r"<style|\sstyle=|<script(?![^>]*\bsrc=)", html)  # the CSP holds
    staff_html = login(world, "cg_staff").get(f"/workspace/rectification/{task_id}")
    assert 'id="before-after"' in staff_html.get_data(as_text=True)


@pytest.mark.slow
def test_keywords_and_before_after_also_work_on_the_embedded_sqlite_database(tmp_path):
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'embedded.sqlite3'}"})
    config.DATA_DIR = None
    app = create_app(config)
    with app.app_context():
        upgrade()
    assert app.test_cli_runner().invoke(args=["seed", "--messages", "0"]).exit_code == 0
    opened = datetime(2026, 2, 1, tzinfo=UTC)
    _analysed_case(app, NOISE, group=None, keywords=["油烟"], created_at=opened - timedelta(1))
    _analysed_case(app, NOISE, group=None, tokens=" 油烟 ", created_at=opened + timedelta(1))
    _analysed_case(app, NOISE, group=None, tokens=" 油烟机 ", created_at=opened + timedelta(1))
    with app.app_context():
        office = User(username="office1", role="office", password_hash="x", session_token="t")
        db.session.add(office)
        db.session.flush()
        task = open_task(office, "cgzf", "油烟", "减少", "keyword", "油烟", FUTURE_DATE)
        task.created_at = opened
        db.session.commit()
        task = db.session.get(RectificationTask, task.id)  # read back: SQLite drops the zone
        figures = before_after(task, now=opened + timedelta(days=5))
    assert (figures.before.volume, figures.after.volume) == (1, 1)
    assert figures.before.mean_sentiment == pytest.approx(0.2)


def test_windows_default_to_30_days_each_side_and_say_when_after_is_running(world):
    opened = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    for days in (-31, -29, -1, 1, 29, 31):
        _analysed_case(world, NOISE, created_at=opened + timedelta(days=days))
    with world.app_context():
        task = open_task(
            _user("office1"), "cgzf", "夜市整治", "投诉下降", "duplicate_group", GROUP, FUTURE_DATE
        )
        task.created_at = opened
        db.session.commit()
        task_id = task.id
        early = before_after(task, now=opened + timedelta(days=3))
        late = before_after(task, now=opened + timedelta(days=45))
    assert early.window == late.window == timedelta(days=30) == DEFAULT_WINDOW
    # -31 and +31 days fall outside; -29, -1 | +1, +29 inside.
    assert (late.before.volume, late.after.volume) == (2, 2) and late.after_complete
    assert early.after_days == 3 and not early.after_complete
    html = login(world, "office1").get(f"/office/rectification/{task_id}").get_data(as_text=True)
    assert "开具前后各 30 天" in html and 'id="after-running"' not in html


def test_keyword_topics_find_what_the_inbox_search_finds(world):
    """A phrase is matched word by word, as the inbox's search matches it, not only whole."""
    from citizenvoice.services.cases import InboxFilters, inbox

    opened = datetime(2026, 2, 1, tzinfo=UTC)
    both = _analysed_case(
        world, NOISE, group=None, tokens=" 夜市 油烟 扰民 ", created_at=opened + timedelta(1)
    )
    _analysed_case(world, NOISE, group=None, tokens=" 夜市 摊位 ", created_at=opened + timedelta(1))
    with world.app_context():
        searched = {
            c.id for c in inbox(_user("office1"), InboxFilters(q="夜市油烟", per_page=50)).items
        }
        task = open_task(
            _user("office1"), "cgzf", "油烟", "减少", "keyword", "夜市油烟", FUTURE_DATE
        )
        task.created_at = opened
        figures = before_after(task, now=opened + timedelta(days=5))
    assert searched == {both}
    assert figures.after.volume == len(searched) == 1
