"""One time rule on both databases: stored aware UTC, shown in Beijing time everywhere.

The embedded SQLite default once stored Beijing wall times beside UTC ones: the timeline showed
已分派 eight hours after 已受理, the case page two different deadlines, and exports were in UTC
while the screens were in Beijing time. Each test here runs on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import csrf_token, make_user
from sqlalchemy import select
from sqlalchemy.exc import StatementError
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Department, Submission, User, utcnow
from citizenvoice.services.analysis import analyse_submission
from citizenvoice.services.cases import InboxFilters, inbox

BEIJING = ZoneInfo("Asia/Shanghai")
UNPAID_WAGES = "公司拖欠我们二十多名农民工三个月工资，请人社部门帮忙讨薪。"
NIGHT_MARKET = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"


@pytest.fixture
def app(db_app):
    """Every test here runs on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


@pytest.fixture
def staff(seeded, auth):
    """A signed-in department staff member of 城管 (cgzf) and an office user, as clients."""
    for username, role, department in [
        ("cg_staff", "department_staff", "cgzf"),
        ("office1", "office", None),
    ]:
        make_user(seeded, role, department, username)
    return {name: auth.login(name) for name in ("cg_staff", "office1")}


def _code(app, case_id: int) -> str:
    with app.app_context():
        return db.session.get(Submission, case_id).tracking_code


def _near_now_in_beijing(shown: str) -> bool:
    """Whether a shown time (``%Y-%m-%d %H:%M``, or without the year) is Beijing's now ± 2 min."""
    now = datetime.now(BEIJING)
    text = shown if len(shown) > 11 else f"{now.year}-{shown}"
    parsed = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)
    return abs(parsed - now) <= timedelta(minutes=2)


def test_the_residents_timeline_shows_accepted_and_assigned_at_the_same_beijing_time(
    seeded, analyzer
):
    case_id = file_submission(seeded, UNPAID_WAGES)
    with seeded.app_context():
        assert analyse_submission(case_id, analyzer, min_confidence=0.0).routed_to
        db.session.commit()
    page = seeded.test_client().get(f"/track/{_code(seeded, case_id)}").get_data(as_text=True)
    assert "已分派至" in page
    shown = re.findall(r'text-nowrap">(\d\d-\d\d \d\d:\d\d)</small>', page)
    assert len(shown) >= 2, page
    assert shown == sorted(shown)
    assert all(_near_now_in_beijing(s) for s in shown), shown


def test_the_case_page_shows_one_deadline(staff, seeded):
    case_id = file_submission(seeded, NIGHT_MARKET, department="cgzf", title="夜市噪音扰民")
    client = staff["cg_staff"]
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    client.post(
        f"/workspace/cases/{case_id}/action",
        data={"csrf_token": csrf_token(page), "action": "sign"},
    )
    page = client.get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    current = re.search(r"当前时限：(\d{4}-\d\d-\d\d \d\d:\d\d)", page).group(1)
    noted = re.findall(r"答复时限：(\d{4}-\d\d-\d\d \d\d:\d\d)", page)
    assert noted and set(noted) == {current}, (current, noted)
    with seeded.app_context():
        stored = db.session.get(Submission, case_id).reply_due_at
    assert stored.tzinfo is not None
    assert stored.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") == current


def test_the_export_names_its_zone_and_shows_the_screens_time(staff, seeded):
    file_submission(seeded, NIGHT_MARKET, department="cgzf", title="夜市噪音扰民")
    client = staff["cg_staff"]
    screen = client.get("/workspace/").get_data(as_text=True)
    on_screen = re.findall(r'<td class="text-nowrap">(\d{4}-\d\d-\d\d \d\d:\d\d)</td>', screen)
    assert len(on_screen) == 1 and _near_now_in_beijing(on_screen[0])
    body = client.get("/workspace/export.csv").data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))[:2]
    column = next(i for i, name in enumerate(header) if name.startswith("提交时间"))
    assert "北京时间" in header[column] and "UTC+8" in header[column]
    assert row[column] == on_screen[0]


def test_the_api_gives_times_in_iso_8601_with_the_beijing_offset(seeded):
    case_id = file_submission(seeded, NIGHT_MARKET, department="cgzf")
    body = seeded.test_client().get(f"/api/v1/feedback/{_code(seeded, case_id)}").get_json()
    created = datetime.fromisoformat(body["created_at"])
    assert body["created_at"].endswith("+08:00")
    assert abs(created - utcnow()) <= timedelta(minutes=2)
    assert body["events"] and all(e["at"].endswith("+08:00") for e in body["events"])


def test_moments_are_stored_in_utc_and_naive_ones_are_refused(seeded):
    beijing_morning = datetime(2026, 3, 2, 9, 30, tzinfo=BEIJING)
    with seeded.app_context():
        department = db.session.scalar(select(Department).where(Department.code == "cgzf"))
        department.created_at = beijing_morning
        db.session.commit()
        db.session.expire_all()
        stored = db.session.get(Department, department.id).created_at
        assert stored == beijing_morning and stored.utcoffset() == timedelta(0)
        # Comparisons in SQL go through the same conversion (SQLite compares text).
        assert db.session.scalar(
            select(Department.code).where(
                Department.created_at == datetime(2026, 3, 2, 1, 30, tzinfo=ZoneInfo("UTC"))
            )
        )
        department = db.session.get(Department, department.id)
        department.created_at = datetime(2026, 3, 2, 9, 30)  # naive: whose clock?
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.flush()
        db.session.rollback()


def test_date_filters_are_beijing_days_whatever_the_servers_zone(staff, seeded, monkeypatch):
    """A case filed at 02:00 on 5 March in Beijing (18:00 on the 4th in UTC) is a 5 March case."""
    monkeypatch.setenv("TZ", "UTC")  # servers often run in UTC; the filter must not care
    time.tzset()
    try:
        case_id = file_submission(seeded, NIGHT_MARKET, department="cgzf", title="夜市噪音扰民")
        with seeded.app_context():
            db.session.get(Submission, case_id).created_at = datetime(
                2026, 3, 5, 2, 0, tzinfo=BEIJING
            )
            db.session.commit()
            user = db.session.scalar(select(User).where(User.username == "office1"))
            day = datetime(2026, 3, 5).date()

            def ids(**filters) -> list[int]:
                return [c.id for c in inbox(user, InboxFilters(**filters)).items]

            assert ids(date_from=day, date_to=day) == [case_id]
            assert ids(date_to=day - timedelta(days=1)) == []
            assert ids(date_from=day + timedelta(days=1)) == []
    finally:
        monkeypatch.undo()
        time.tzset()
