"""The 整改 progress sheet: export as CSV, fill, import back through the office page or the
CLI; every row checked in Chinese, all or nothing, formula-safe; progress reaches /open/."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from factories import csrf_token, login, make_user
from portal_world import build_world
from sqlalchemy import select

from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry, RectificationTask
from citizenvoice.models.base import utcnow
from citizenvoice.services.rectification import task_percent


@pytest.fixture
def app(db_app):
    """The sheet's journeys run on PostgreSQL and on the embedded SQLite (conftest.db_app)."""
    return db_app


@pytest.fixture
def world(seeded):
    facts = build_world(seeded)
    make_user(seeded, "department_staff", "cgzf", "cg_staff")
    return seeded, facts


def _today() -> str:
    return utcnow().astimezone(SHANGHAI).date().isoformat()


def _export(office) -> list[list[str]]:
    response = office.get("/office/rectification/sheet.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _import(office, payload: bytes, name: str = "sheet.csv"):
    page = office.get("/office/rectification").get_data(as_text=True)
    return office.post(
        "/office/rectification/sheet",
        data={"csrf_token": csrf_token(page), "sheet": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _percent(app, task_id: int) -> int:
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert task is not None
        return task_percent(task)


def test_round_trip_updates_progress_and_the_public_timeline(world):
    app, facts = world
    office = login(app, "office1")
    rows = _export(office)
    assert rows[0][-3:] == ["新进度(%)", "进展日期", "进展说明"]
    row = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    row[-3:] = ["40", _today(), "已完成夜市摊点排查，建立台账"]
    page = _import(office, _csv(rows)).get_data(as_text=True)
    assert "已导入 1 条进展" in page
    assert _percent(app, facts["task"]) == 40
    public = app.test_client().get("/open/rectification").get_data(as_text=True)
    assert "进度 40%" in public and "已完成夜市摊点排查，建立台账" in public
    assert "office1" not in public  # the department is accountable, not a named clerk
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action)))
    assert "rectification_milestone" in actions


def test_one_wrong_row_applies_nothing_and_names_every_problem_in_chinese(world):
    app, facts = world
    office = login(app, "office1")
    rows = _export(office)
    good = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    good[-3:] = ["50", _today(), "过半"]
    future = (utcnow().astimezone(SHANGHAI).date() + timedelta(days=3)).isoformat()
    rows.append([*good[:6], "150", future, ""])
    rows.append(["99999", "", "", "", "", "", "10", _today(), "不存在的任务"])
    rows.append([*good[:6], "abc", "2026/13/01", "说明"])
    page = _import(office, _csv(rows)).get_data(as_text=True)
    assert "未导入任何内容" in page
    assert f"第 3 行：任务 {facts['task']} 在表中出现了两次" in page
    assert "第 4 行：任务编号“99999”不存在" in page
    assert "第 5 行" in page
    assert _percent(app, facts["task"]) == 0


def test_problems_of_a_milestone_are_each_reported(world):
    app, facts = world
    office = login(app, "office1")
    rows = _export(office)
    row = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    future = (utcnow().astimezone(SHANGHAI).date() + timedelta(days=3)).isoformat()
    row[-3:] = ["150", future, ""]
    page = _import(office, _csv(rows)).get_data(as_text=True)
    for message in ("进度须为 0 到 100 之间的整数", "进展日期不能晚于今天", "请填写进展说明"):
        assert message in page


def test_progress_never_goes_back(world):
    app, facts = world
    office = login(app, "office1")
    rows = _export(office)
    row = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    row[-3:] = ["60", _today(), "过半"]
    assert "已导入 1 条" in _import(office, _csv(rows)).get_data(as_text=True)
    rows = _export(office)
    row = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    assert row[5] == "60"
    row[-3:] = ["30", _today(), "倒退"]
    assert "进度不能低于当前进度 60%" in _import(office, _csv(rows)).get_data(as_text=True)


def test_export_neutralises_formulas_and_import_takes_the_apostrophe_off(world):
    app, facts = world
    office = login(app, "office1")
    with app.app_context():
        task = db.session.get(RectificationTask, facts["task"])
        task.title = '=HYPERLINK("http://evil","点我")'
        db.session.commit()
    rows = _export(office)
    row = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    assert row[1].startswith("'=")
    row[-3:] = ["10", _today(), "'=1+1 是说明"]
    assert "已导入 1 条" in _import(office, _csv(rows)).get_data(as_text=True)
    with app.app_context():
        task = db.session.get(RectificationTask, facts["task"])
        assert task.progress[-1]["text"] == "=1+1 是说明"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\x01\x02",
        "任务编号,x\r\n1,2".encode("gbk"),
        b"\xff\xfe\x00garbage",
        ("\ufeff" + "a," * 50_000).encode("utf-8")[:60_000],
        "\ufeff任务编号,任务标题,承办部门,整改期限,状态,当前进度(%),新进度(%),进展日期,进展说明\r\n"
        "1\x00,x,x,x,x,0,10,2026-01-01,x\r\n".encode(),
        "\ufeff任务编号,任务标题,承办部门,整改期限,状态,当前进度(%),新进度(%),进展日期,进展说明\r\n"
        '"unterminated,\r\n'.encode(),
    ],
)
def test_hostile_files_are_refused_without_a_server_error(world, payload):
    app, facts = world
    office = login(app, "office1")
    response = _import(office, payload)
    assert response.status_code == 200
    assert _percent(app, facts["task"]) == 0


def test_department_staff_cannot_export_or_import(world):
    app, _ = world
    staff = login(app, "cg_staff")
    assert staff.get("/office/rectification/sheet.csv").status_code in (403, 404)
    assert staff.post("/office/rectification/sheet").status_code in (400, 403, 404)


def test_the_cli_exports_and_imports_all_or_nothing(world, runner, tmp_path):
    app, facts = world
    path = tmp_path / "sheet.csv"
    assert runner.invoke(args=["rectification", "export", str(path)]).exit_code == 0
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    row = next(r for r in rows[1:] if r[0] == str(facts["task"]))
    row[-3:] = ["abc", _today(), "说明"]
    path.write_bytes(_csv(rows))
    bad = runner.invoke(args=["rectification", "import", str(path), "--user", "office1"])
    assert bad.exit_code != 0 and "新进度须为 0 到 100 之间的整数" in bad.output
    row[-3:] = ["25", _today(), "说明"]
    path.write_bytes(_csv(rows))
    good = runner.invoke(args=["rectification", "import", str(path), "--user", "office1"])
    assert good.exit_code == 0 and "imported 1 milestones" in good.output
    assert _percent(app, facts["task"]) == 25
