"""Open data as of a day, on PostgreSQL and SQLite: a rebuild for a past day gives the same bytes.

The portal world is built today; everything that happens "after the day" is written with
times after the end of today (Beijing), so a build for today must not see it: a case filed
later, a later status event, a period published later, a milestone written down later and a
task closed or opened later. The CLI refuses dates it cannot build (exit code 2).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import file_case
from portal_world import build_world
from sqlalchemy import select

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import Period, RectificationTask, StatusEvent, Submission, User
from citizenvoice.models.base import utcnow
from citizenvoice.services.appraisal import compute
from citizenvoice.services.opendata import build
from citizenvoice.services.opendata.asof import cutoff
from citizenvoice.services.rectification import open_task

FILES = (
    "appraisal-results",
    "monthly-aggregates",
    "rectification-tasks",
    "public-cases",
)


@pytest.fixture
def app(db_app):
    """Run on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


@pytest.fixture
def world(seeded, tmp_path: Path):
    seeded.config["OPEN_DATA_DIR"] = str(tmp_path / "a")
    return seeded, build_world(seeded)


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _rows(folder: Path, name: str) -> list[dict]:
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))["rows"]


def _after_the_day(app, world_info) -> None:
    """Write what happens after today: every kind of change the datasets could pick up."""
    later = cutoff(_today()) + timedelta(hours=1)
    filed = file_case(app, "晚上工地施工噪音很大，影响休息", until="replied")
    with app.app_context():
        # A consented case filed after the day, with its whole history after it.
        case = db.session.get(Submission, filed["id"])
        case.public_consent = True
        case.created_at = later
        case.replied_at = later + timedelta(hours=2)
        for event in case.events:
            event.created_at = later + timedelta(hours=1)
        # An earlier consented case moves on after the day.
        old = db.session.scalar(
            select(Submission)
            .where(Submission.public_consent.is_(True), Submission.id != case.id)
            .order_by(Submission.id)
        )
        old.status = CaseStatus.CLOSED.value
        old.events.append(
            StatusEvent(status=CaseStatus.CLOSED.value, note="办结", created_at=later)
        )
        # The quarter (a draft today) is published after the day.
        quarter = db.session.scalar(select(Period).where(Period.code == world_info["draft"]))
        compute(quarter, "office1")
        quarter.status = PeriodStatus.PUBLISHED.value
        quarter.published_at = later
        # The task: a milestone dated today but written down after the day, then closed.
        task = db.session.get(RectificationTask, world_info["task"])
        noon = cutoff(_today()) - timedelta(hours=12)
        task.progress = [
            *(task.progress or []),
            {
                "at": noon.isoformat(),
                "by": "office1",
                "text": "已完成夜市摊位调整",
                "percent": 60,
                "kind": "milestone",
                "recorded_at": later.isoformat(),
            },
            {"at": later.isoformat(), "by": "office1", "text": "办结", "kind": "close"},
        ]
        task.status = "closed"
        task.closed_at = later
        # And a task opened after the day.
        office = db.session.scalar(select(User).where(User.username == "office1"))
        new = open_task(
            office, "cgzf", "工地夜间施工整改", "夜间施工投诉下降", "keyword", "噪音", _today()
        )
        new.created_at = later
        db.session.commit()


def test_a_rebuild_for_the_same_day_is_byte_identical(world, runner, tmp_path):
    app, info = world
    day = _today().isoformat()
    first = runner.invoke(args=["opendata", "build", "--date", day])
    assert first.exit_code == 0, first.output
    before = _files(tmp_path / "a" / day)
    assert _rows(tmp_path / "a" / day, "rectification-tasks")[0]["percent"] == 0

    _after_the_day(app, info)
    app.config["OPEN_DATA_DIR"] = str(tmp_path / "b")
    again = runner.invoke(args=["opendata", "build", "--date", day])
    assert again.exit_code == 0, again.output
    assert _files(tmp_path / "b" / day) == before

    # Not vacuous: a build after the day does see every change.
    with app.app_context():
        later = build(str(tmp_path / "c"), _today() + timedelta(days=1)).folder
    periods = {r["period"] for r in _rows(later, "appraisal-results")}
    assert periods == {info["period"], info["draft"]}
    cases = _rows(later, "public-cases")
    assert len(cases) == 8 and "已办结" in {c["status"] for c in cases}
    tasks = _rows(later, "rectification-tasks")
    assert len(tasks) == 2 and tasks[0]["percent"] == 100 and "60%" in tasks[0]["milestones"]


def test_a_day_before_any_data_builds_valid_empty_datasets(world, runner, tmp_path):
    result = runner.invoke(args=["opendata", "build", "--date", "2020-01-01"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "a" / "2020-01-01"
    manifest = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["name"]: r["rows"] for r in manifest["resources"]} == dict.fromkeys(FILES, 0)
    for name in FILES:
        assert _rows(folder, name) == []
        header = (folder / f"{name}.csv").read_text(encoding="utf-8-sig").splitlines()
        assert len(header) == 1 and header[0].count(",") >= 3


@pytest.mark.parametrize(
    "value",
    [
        "not-a-date",
        "9999-12-31",
        "0000-01-01",
        "2026-11-15\x00",
        "2026-02-30",
        "20261115",
        "2026-W46-1",
        "２０２６-１１-１５",
        "2026-11-15\r\nX",
        "9" * 5000,
        "",
    ],
)
def test_hostile_dates_are_refused_with_exit_code_2(world, runner, tmp_path, value):
    result = runner.invoke(args=["opendata", "build", "--date", value])
    assert result.exit_code == 2, result.output
    assert "YYYY-MM-DD" in result.output or "after today" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


def test_tomorrow_is_refused_as_not_yet_public(world, runner, tmp_path):
    tomorrow = (_today() + timedelta(days=1)).isoformat()
    result = runner.invoke(args=["opendata", "build", "--date", tomorrow])
    assert result.exit_code == 2
    assert "未来" in result.output and "after today" in result.output
