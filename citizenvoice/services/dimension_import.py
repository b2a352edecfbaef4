"""Importing other dimensions' scores (目标考核, 领导考评, 创新创优 ...) from CSV or XLSX.

Two steps: :func:`preview` parses and checks every row and changes nothing; :func:`apply`
writes a clean preview (all rows valid) and is idempotent: importing the same file again
changes nothing. Columns (Chinese or English headers): 部门代码/部门/department (a code, the
full name or a common alias such as 住建局), 维度/dimension (code or name: 目标考核, 领导考评,
创新创优), 得分/score, optionally 周期/period.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from citizenvoice.domain.department_names import DepartmentResolver, normalise_name
from citizenvoice.domain.export import looks_like_formula
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring import CITIZEN_DIMENSION
from citizenvoice.extensions import db
from citizenvoice.models import Department, DimensionScore, Period
from citizenvoice.services.appraisal import AppraisalError, period_settings
from citizenvoice.services.audit import record
from citizenvoice.services.uploads import UploadError, read_table

__all__ = ["ImportPreview", "ImportRow", "apply", "importable_dimensions", "preview"]

MAX_ROWS = 5000
_HEADERS = {
    "部门代码": "department",
    "department": "department",
    "部门": "department",
    "部门名称": "department",
    "单位": "department",
    "维度": "dimension",
    "dimension": "dimension",
    "维度代码": "dimension",
    "得分": "score",
    "score": "score",
    "分数": "score",
    "周期": "period",
    "period": "period",
}


@dataclass(frozen=True)
class ImportRow:
    """One parsed row, its line number in the file, and what is wrong with it (Chinese)."""

    line: int
    department: str
    dimension: str
    score: float | None
    errors: tuple[str, ...] = ()
    department_name: str = ""  # as the office knows it, for the preview
    dimension_name: str = ""  # 目标考核, 领导考评, 创新创优 ... rather than the code
    score_text: str = ""  # the cell as written, so a non-number is shown as it is


@dataclass(frozen=True)
class ImportPreview:
    """What a file would change: rows with errors, and the file's fingerprint."""

    filename: str
    sha256: str
    rows: tuple[ImportRow, ...]
    file_errors: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when every row is valid (only then may the import be applied)."""
        return not self.file_errors and bool(self.rows) and all(not r.errors for r in self.rows)


def _read_table(filename: str, data: bytes) -> list[list[Any]]:
    """The file's non-blank rows, read within the upload limits (see services.uploads)."""
    try:
        return read_table(filename, data, max_rows=MAX_ROWS + 1)  # + 1: the header row
    except UploadError as exc:
        raise AppraisalError(str(exc)) from exc


@dataclass(frozen=True)
class _RowContext:
    """What a row is checked against: the period's dimensions and the known departments."""

    dimensions: dict[str, str]  # code -> name, imported dimensions only
    bonus_name: str
    bonus_cap: float
    resolver: DepartmentResolver
    names: dict[str, str]  # department code -> name


def _row_context(period: Period) -> _RowContext:
    settings = period_settings(period)
    departments = db.session.execute(
        select(Department.code, Department.name).where(Department.active.is_(True))
    ).tuples()
    pairs = list(departments)
    return _RowContext(
        dimensions={
            d.code: d.name for d in settings.index.dimensions if d.code != CITIZEN_DIMENSION
        },
        bonus_name=settings.index.bonus_name,
        bonus_cap=settings.index.bonus_cap,
        resolver=DepartmentResolver(pairs),
        names=dict(pairs),
    )


def importable_dimensions(period: Period) -> list[str]:
    """The names of the dimensions a file may carry for this period (the bonus last)."""
    context = _row_context(period)
    return [*context.dimensions.values(), context.bonus_name]


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _resolve_dimension(cell: str, context: _RowContext) -> str:
    """The dimension code a cell names (code or name, any case), 'bonus', or the cell itself."""
    key = normalise_name(cell)
    for code, name in context.dimensions.items():
        if key in (normalise_name(code), normalise_name(name)):
            return code
    if key in (normalise_name("创新创优"), normalise_name(context.bonus_name), "bonus"):
        return "bonus"
    return cell


def _parse_score(value: Any) -> float | None:
    """A number from a cell: numbers as they are, text only when it is a plain number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        score = float(normalise_name(_cell_text(value)))
    except ValueError:
        return None
    return score if math.isfinite(score) else None


_COLUMN_LABELS = {"department": "部门", "dimension": "维度", "score": "得分", "period": "周期"}


def _formula_errors(cells: dict[str, Any]) -> list[str]:
    """One error per text cell a spreadsheet would run as a formula (never evaluated here)."""
    return [
        f"{label}「{cells[name].strip()}」以 = + - @ 开头，疑似公式，不予导入（公式不会被执行）"
        for name, label in _COLUMN_LABELS.items()
        if isinstance(cells.get(name), str) and looks_like_formula(cells[name])
    ]


def _interpret_row(
    line: int, cells: dict[str, Any], context: _RowContext, period_code: str
) -> ImportRow:
    """Check one row: department by code, name or alias; dimension by code or name; score."""
    department_cell = _cell_text(cells.get("department"))
    dimension_cell = _cell_text(cells.get("dimension"))
    score_cell = _cell_text(cells.get("score"))
    department = context.resolver.resolve(department_cell) or department_cell
    dimension = _resolve_dimension(dimension_cell, context)
    errors = _formula_errors(cells)
    if errors:  # the formula message says all there is to say about this row
        return ImportRow(line, department, dimension, None, tuple(errors), score_text=score_cell)
    if department not in context.names:
        errors.append(f"部门代码不存在，也不是已知的部门全称或简称：{department_cell or '（空）'}")
    if dimension == CITIZEN_DIMENSION or dimension in ("社会评价", "市民评价"):
        errors.append("市民评价维度由系统计算，不能导入")
    elif dimension not in context.dimensions and dimension != "bonus":
        known = "、".join([*context.dimensions.values(), context.bonus_name])
        errors.append(f"本周期考核体系中没有该维度：{dimension_cell or '（空）'}（可用：{known}）")
    period_cell = _cell_text(cells.get("period"))
    if period_cell and period_cell != period_code:
        errors.append(f"周期不符：文件为 {period_cell}，当前为 {period_code}")
    score = _parse_score(cells.get("score"))
    if score is None:
        errors.append(f"得分不是数字：「{score_cell}」" if score_cell else "得分为空")
    else:
        top = context.bonus_cap if dimension == "bonus" else 100.0
        if not 0.0 <= score <= top:
            errors.append(f"得分超出范围（0 到 {top:g}）")
    if dimension == "bonus":
        dimension_name = context.bonus_name
    else:
        dimension_name = context.dimensions.get(dimension, dimension_cell)
    return ImportRow(
        line,
        department,
        dimension,
        score,
        tuple(errors),
        department_name=context.names.get(department, department_cell),
        dimension_name=dimension_name,
        score_text=score_cell,
    )


def preview(period: Period, filename: str, data: bytes) -> ImportPreview:
    """Parse and check a file against the period's index system; changes nothing."""
    sha = hashlib.sha256(data).hexdigest()
    table = _read_table(filename, data)
    if not table:
        return ImportPreview(filename, sha, (), ("文件为空",))
    header = [
        _HEADERS.get(str(c or "").strip().lower(), _HEADERS.get(str(c or "").strip(), ""))
        for c in table[0]
    ]
    missing = [name for name in ("department", "dimension", "score") if name not in header]
    if missing:
        labels = {"department": "部门代码", "dimension": "维度", "score": "得分"}
        return ImportPreview(
            filename, sha, (), (f"缺少列：{'、'.join(labels[m] for m in missing)}",)
        )
    context = _row_context(period)
    seen: set[tuple[str, str]] = set()
    rows = []
    for line, raw in enumerate(table[1:], start=2):
        row = _interpret_row(line, dict(zip(header, raw, strict=False)), context, period.code)
        key = (row.department, row.dimension)
        if key in seen:
            row = replace(row, errors=(*row.errors, "重复行：同一部门同一维度出现多次"))
        seen.add(key)
        rows.append(row)
    return ImportPreview(filename, sha, tuple(rows))


def apply(period: Period, result: ImportPreview, actor: str) -> int:
    """Write a clean preview; return how many scores changed (0 for a re-import). Audited."""
    if period.status == PeriodStatus.PUBLISHED:
        raise AppraisalError("该周期已发布，不能再导入")
    if not result.ok:
        raise AppraisalError("文件有错误，未导入任何数据")
    ids = dict(db.session.execute(select(Department.code, Department.id)).tuples().all())
    changed = 0
    for row in result.rows:
        assert row.score is not None  # ok previews have numeric scores
        existing = db.session.scalar(
            select(DimensionScore).where(
                DimensionScore.period_id == period.id,
                DimensionScore.department_id == ids[row.department],
                DimensionScore.dimension == row.dimension,
            )
        )
        if existing is None:
            db.session.add(
                DimensionScore(
                    period_id=period.id,
                    department_id=ids[row.department],
                    dimension=row.dimension,
                    score=row.score,
                    source_sha256=result.sha256,
                )
            )
            changed += 1
        elif existing.score != row.score:
            existing.score, existing.source_sha256 = row.score, result.sha256
            changed += 1
    if changed and period.status == PeriodStatus.COMPUTED:
        # New inputs make the draft result stale: back to open, to be computed again.
        period.status = PeriodStatus.OPEN.value
        period.result_json, period.result_sha256 = None, None
    record(
        actor,
        "dimension_import",
        "period",
        period.code,
        {
            "file": result.filename,
            "sha256": result.sha256,
            "rows": len(result.rows),
            "changed": changed,
        },
    )
    db.session.flush()
    return changed
