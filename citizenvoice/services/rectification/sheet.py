"""The progress sheet: every task as CSV for the office to edit, and its import back.

Export: one row per task; the first columns describe the task (read-only), the last three are
for the office to fill: 新进度(%), 进展日期, 进展说明. Import: every row is checked (Chinese
messages naming the row); if any row is wrong nothing is applied (all or nothing). Rows whose
three editable cells are empty are skipped. Cells that a spreadsheet would run as formulas are
neutralised on export, and the protective apostrophe is taken off again on import.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from citizenvoice.domain.export import FORMULA_PREFIXES, neutralise_cell
from citizenvoice.extensions import db
from citizenvoice.models import RectificationTask, User
from citizenvoice.services.audit import record
from citizenvoice.services.rectification.milestones import (
    add_milestone,
    milestone_errors,
    task_percent,
)
from citizenvoice.services.rectification.tasks import STATUS_LABELS, RectificationError

__all__ = ["EDITABLE", "HEADER", "ImportResult", "export_sheet", "import_sheet"]

HEADER = ("任务编号", "任务标题", "承办部门", "整改期限", "状态", "当前进度(%)")
EDITABLE = ("新进度(%)", "进展日期", "进展说明")
MAX_ROWS = 5000
MAX_CELL = 2000


@dataclass(frozen=True)
class ImportResult:
    """What an import applied: milestones added and rows left unchanged."""

    applied: int
    skipped: int


def export_sheet() -> str:
    """Every task as CSV text (UTF-8 with BOM when written, so Excel/WPS read the Chinese)."""
    tasks = db.session.scalars(
        select(RectificationTask)
        .options(selectinload(RectificationTask.department))
        .order_by(RectificationTask.id)
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*HEADER, *EDITABLE])
    for task in tasks:
        cells = [
            task.id,
            task.title,
            task.department.name,
            task.deadline.isoformat(),
            STATUS_LABELS.get(task.status, task.status),
            task_percent(task),
            "",
            "",
            "",
        ]
        writer.writerow([neutralise_cell(c) for c in cells])
    return out.getvalue()


def _cell(value: str) -> str:
    value = value.replace("\x00", "").strip()
    # Undo export's protection: "'=..." was "=...", which stays plain text in our HTML.
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        value = value[1:]
    return value


def _rows(text: str) -> list[list[str]]:
    if "\x00" in text:
        raise RectificationError("文件含有无效字符（NUL），请另存为 CSV（UTF-8）后再导入")
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise RectificationError(f"CSV 格式错误：{error}") from None
    if not rows or [c.strip() for c in rows[0][: len(HEADER) + len(EDITABLE)]] != [
        *HEADER,
        *EDITABLE,
    ]:
        raise RectificationError("表头与导出的进度表不一致，请使用“导出进度表”得到的文件")
    if len(rows) - 1 > MAX_ROWS:
        raise RectificationError(f"一次最多导入 {MAX_ROWS} 行")
    return rows[1:]


def _check_row(
    line: int, row: list[str], tasks: dict[int, RectificationTask], seen: set[int], today: date
) -> tuple[RectificationTask, int, date, str] | None:
    """The parsed update of one row, None when its editable cells are empty."""
    if any(len(c) > MAX_CELL for c in row):
        raise RectificationError(f"第 {line} 行：单元格内容过长")
    row = [_cell(c) for c in row] + [""] * (len(HEADER) + len(EDITABLE) - len(row))
    percent_text, day_text, note = row[len(HEADER) : len(HEADER) + 3]
    if not (percent_text or day_text or note):
        return None
    task_id = int(row[0]) if row[0].isdigit() and len(row[0]) < 10 else None
    task = tasks.get(task_id) if task_id is not None else None
    if task is None:
        raise RectificationError(f"第 {line} 行：任务编号“{row[0][:20]}”不存在")
    if task.id in seen:
        raise RectificationError(f"第 {line} 行：任务 {task.id} 在表中出现了两次")
    seen.add(task.id)
    errors = []
    try:
        percent = int(percent_text.rstrip("%"))
    except ValueError:
        errors.append("新进度须为 0 到 100 之间的整数")
        percent = -1
    try:
        on = date.fromisoformat(day_text)
    except ValueError:
        errors.append("进展日期须为 YYYY-MM-DD 格式")
        on = today
    if errors:
        raise RectificationError(*(f"第 {line} 行：{e}" for e in errors))
    return task, percent, on, note


def import_sheet(office_user: User, text: str, today: date) -> ImportResult:
    """Apply the sheet's filled rows as milestones, all or nothing; audited per task. Flushes.

    Raises RectificationError listing every wrong row (nothing applied then).
    """
    if not office_user.role_enum.is_office:
        raise RectificationError("只有绩效办可以导入整改进度")
    rows = _rows(text)
    tasks = {t.id: t for t in db.session.scalars(select(RectificationTask))}
    seen: set[int] = set()
    errors: list[str] = []
    updates = []
    skipped = 0
    for line, row in enumerate(rows, start=2):
        try:
            update = _check_row(line, row, tasks, seen, today)
        except RectificationError as error:
            errors += error.errors
            continue
        if update is None:
            skipped += 1
            continue
        task, percent, on, note = update
        problems = milestone_errors(task, percent, on, note, today)
        errors += [f"第 {line} 行：{e}" for e in problems]
        updates.append((task, percent, on, note))
    if errors:
        raise RectificationError(*errors[:50])  # checked before any change: nothing applied
    for task, percent, on, note in updates:
        add_milestone(task, percent, on, note, office_user.username, today)
        record(
            office_user.username,
            "rectification_milestone",
            "rectification_task",
            task.id,
            {"percent": percent, "on": on.isoformat(), "source": "sheet"},
        )
    db.session.flush()
    return ImportResult(len(updates), skipped)
