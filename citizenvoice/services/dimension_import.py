"""Importing other dimensions' scores (目标考核, 领导考评, 创新创优 ...) from CSV or XLSX.

Two steps: :func:`preview` parses and checks every row and changes nothing; :func:`apply`
writes a clean preview (all rows valid) and is idempotent: importing the same file again
changes nothing. Columns (Chinese or English headers): 部门代码/department, 维度/dimension,
得分/score, optionally 周期/period.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from citizenvoice.domain.scoring import CITIZEN_DIMENSION
from citizenvoice.extensions import db
from citizenvoice.models import Department, DimensionScore, Period
from citizenvoice.services.appraisal import AppraisalError, period_settings
from citizenvoice.services.audit import record
from citizenvoice.services.uploads import UploadError, read_table

__all__ = ["ImportPreview", "ImportRow", "apply", "preview"]

MAX_ROWS = 5000
_HEADERS = {
    "部门代码": "department",
    "department": "department",
    "部门": "department",
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
    settings = period_settings(period)
    allowed = {d.code: d.name for d in settings.index.dimensions if d.code != CITIZEN_DIMENSION}
    bonus_name = settings.index.bonus_name
    departments = set(
        db.session.scalars(select(Department.code).where(Department.active.is_(True)))
    )
    seen: set[tuple[str, str]] = set()
    rows = []
    for line, raw in enumerate(table[1:], start=2):
        cells = dict(zip(header, raw, strict=False))
        department = str(cells.get("department") or "").strip()
        dimension = str(cells.get("dimension") or "").strip()
        dimension = next((c for c, n in allowed.items() if dimension in (c, n)), dimension)
        if dimension in ("创新创优", bonus_name):
            dimension = "bonus"
        errors = []
        if department not in departments:
            errors.append(f"部门代码不存在：{department or '（空）'}")
        if dimension == CITIZEN_DIMENSION or dimension in ("社会评价", "市民评价"):
            errors.append("市民评价维度由系统计算，不能导入")
        elif dimension not in allowed and dimension != "bonus":
            errors.append(f"本周期考核体系中没有该维度：{dimension or '（空）'}")
        period_cell = str(cells.get("period") or "").strip()
        if period_cell and period_cell != period.code:
            errors.append(f"周期不符：文件为 {period_cell}，当前为 {period.code}")
        score: float | None = None
        try:
            score = float(str(cells.get("score")).strip())
        except (TypeError, ValueError):
            errors.append("得分不是数字")
        if score is not None:
            top = settings.index.bonus_cap if dimension == "bonus" else 100.0
            if not 0.0 <= score <= top:
                errors.append(f"得分超出范围（0 到 {top:g}）")
        key = (department, dimension)
        if key in seen:
            errors.append("重复行：同一部门同一维度出现多次")
        seen.add(key)
        rows.append(ImportRow(line, department, dimension, score, tuple(errors)))
    return ImportPreview(filename, sha, tuple(rows))


def apply(period: Period, result: ImportPreview, actor: str) -> int:
    """Write a clean preview; return how many scores changed (0 for a re-import). Audited."""
    if period.status == "published":
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
    if changed and period.status == "computed":
        period.status, period.result_json, period.result_sha256 = "open", None, None
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
