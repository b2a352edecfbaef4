"""Exports of a department's cases as CSV or XLSX: personal data masked, formulas neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from citizenvoice.domain.export import neutralise_cell
from citizenvoice.models import Submission
from citizenvoice.services.redaction import redact_for_staff

__all__ = [
    "EXPORT_COLUMNS",
    "cases_to_csv",
    "cases_to_xlsx",
    "export_rows",
    "table_to_csv",
    "table_to_xlsx",
]

EXPORT_COLUMNS = [
    "编号",
    "类型",
    "部门",
    "状态",
    "提交时间",
    "标题",
    "内容（已脱敏）",
    "类别",
    "情感",
    "紧急",
    "联系电话",
    "重复组",
]


def export_rows(cases: Iterable[Submission]) -> list[list[object]]:
    """One row a case: only masked text and the masked phone, every cell neutralised."""
    rows = []
    for case in cases:
        analysis = case.analysis
        rows.append(
            [
                neutralise_cell(value)
                for value in (
                    case.id,
                    case.kind_label,
                    case.department.name if case.department else "",
                    case.status_label,
                    case.created_at.strftime("%Y-%m-%d %H:%M"),
                    redact_for_staff(case.title),
                    analysis.redacted_text if analysis else "（待分析，暂不导出原文）",
                    analysis.category if analysis and analysis.category else "",
                    analysis.sentiment_label if analysis and analysis.sentiment_label else "",
                    "是" if analysis and analysis.urgent else "否",
                    case.contact_phone_masked or "",
                    analysis.duplicate_group if analysis and analysis.duplicate_group else "",
                )
            ]
        )
    return rows


def table_to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a BOM (so Excel opens Chinese correctly); every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([neutralise_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_to_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]], title: str) -> bytes:
    """An XLSX workbook with one sheet; neutralised strings are stored as text, never formulas."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append([neutralise_cell(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cases_to_csv(cases: Iterable[Submission]) -> bytes:
    """The cases as CSV (see :func:`table_to_csv`)."""
    return table_to_csv(EXPORT_COLUMNS, export_rows(cases))


def cases_to_xlsx(cases: Iterable[Submission]) -> bytes:
    """The cases as XLSX (see :func:`table_to_xlsx`)."""
    return table_to_xlsx(EXPORT_COLUMNS, export_rows(cases), "诉求")
