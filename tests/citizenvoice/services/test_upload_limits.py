"""Hostile and awkward uploads to the score import: each a clear Chinese error, fast, in bounded
memory, and nothing imported. The hostile files are built here, byte by byte where needed."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import DimensionScore
from citizenvoice.services.appraisal import AppraisalError, ensure_periods
from citizenvoice.services.dimension_import import MAX_ROWS
from citizenvoice.services.dimension_import import preview as import_preview
from citizenvoice.services.uploads import (
    MAX_XLSX_MEMBERS,
    MAX_XLSX_UNCOMPRESSED,
    UploadError,
    read_table,
)

# Python allocations while reading one hostile file; the unbounded reader needed gigabytes.
PEAK_MEMORY_LIMIT = 48 * 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


def _workbook(rows: list[list[object]], far_cell: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if far_cell:
        sheet[far_cell] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """A copy of the archive with one member's bytes changed (the rest copied as they are)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == name:
                body = change(body)
            target.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _with_dimension(ref: str) -> bytes:
    data = _workbook([["部门代码", "维度", "得分"], ["jtys", "目标考核", 80]])

    def declare(body: bytes) -> bytes:
        start = body.index(b"<dimension ref=")
        end = body.index(b"/>", start)
        return body[:start] + f'<dimension ref="{ref}"'.encode() + body[end:]

    return _rewrite(data, SHEET, declare)


def _bomb() -> bytes:
    """A real workbook whose sheet member inflates ~1,000 times (trailing whitespace)."""
    return _rewrite(
        _workbook([["部门代码", "维度", "得分"]]), SHEET, lambda body: body + b" " * (8 << 20)
    )


def _too_big_inflated() -> bytes:
    """Members compressing only ~7x (random 0/1 text) that add up past the inflated cap."""
    table = bytes(ord("0") + (i & 1) for i in range(256))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        chunk = 1 << 20
        for index in range(MAX_XLSX_UNCOMPRESSED // chunk + 1):
            archive.writestr(f"xl/media/filler{index}.txt", os.urandom(chunk).translate(table))
    return out.getvalue()


def _many_members() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index in range(MAX_XLSX_MEMBERS + 1):
            archive.writestr(f"xl/media/m{index}.bin", b"x")
    return out.getvalue()


def _too_many_rows() -> bytes:
    return _workbook([["部门代码", "维度", "得分"]] + [["jtys", "目标考核", 80]] * (MAX_ROWS + 1))


HOSTILE = {
    "declared A1:XFD1048576": (lambda: _with_dimension("A1:XFD1048576"), None),
    "declared A1:ALL200000": (lambda: _with_dimension("A1:ALL200000"), None),
    "one cell in the last row": (
        lambda: _workbook([["部门代码", "维度", "得分"]], far_cell="A1048576"),
        "行数过多",
    ),
    "high-ratio member": (_bomb, "压缩比异常"),
    "inflates past the cap": (_too_big_inflated, "解压后过大"),
    "too many members": (_many_members, "内部文件过多"),
    "too many rows": (_too_many_rows, "行数过多"),
    "not a zip at all": (lambda: b"PK\x03\x04 this is not really a workbook" * 10, "无法读取"),
    "plain text named .xlsx": (lambda: "部门代码,维度,得分\n".encode(), "无法读取"),
}


def _measured(call: Callable[[], object]) -> tuple[object, float, int]:
    """Run ``call``; return its result (or the exception), seconds, and peak Python memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result: object = call()
    except Exception as exc:
        result = exc
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, elapsed, peak


_SLOW_CASES = {"too many rows", "inflates past the cap"}


@pytest.mark.timeout(20)  # bounds a hang; the speed itself is not a unit-test assertion
@pytest.mark.parametrize(
    "case",
    # Writing and reading 100,000+ rows, or inflating past the cap, under tracemalloc takes
    # seconds: those two run in the full run only.
    [pytest.param(c, marks=pytest.mark.slow) if c in _SLOW_CASES else c for c in HOSTILE],
)
def test_hostile_xlsx_is_refused_quickly_in_bounded_memory(case):
    make, message = HOSTILE[case]
    data = make()
    result, _, peak = _measured(lambda: read_table("scores.xlsx", data, max_rows=MAX_ROWS + 1))
    assert peak < PEAK_MEMORY_LIMIT, f"{case}: {peak / 2**20:.0f} MiB"
    if message is None:
        # A lying dimension alone is harmless once ignored: the two real rows come back.
        assert result == [["部门代码", "维度", "得分"], ["jtys", "目标考核", 80]]
    else:
        assert isinstance(result, UploadError), result
        assert message in str(result)


@pytest.mark.timeout(30)
def test_a_hostile_file_gives_a_chinese_error_and_imports_nothing(seeded):
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        for data in (_bomb(), _too_many_rows(), b"not a zip"):
            with pytest.raises(AppraisalError) as refused:
                import_preview(period, "scores.xlsx", data)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value))
        assert db.session.scalar(select(DimensionScore.id)) is None


@pytest.mark.timeout(30)
def test_too_many_csv_rows_are_refused_before_they_are_all_held():
    data = ("部门代码,维度,得分\n" + "jtys,目标考核,80\n" * (MAX_ROWS * 10)).encode()
    with pytest.raises(UploadError, match="行数过多"):
        read_table("scores.csv", data, max_rows=MAX_ROWS + 1)


def test_csv_with_a_bom_or_in_gbk_reads_the_same():
    text = "部门代码,维度,得分\njtys,目标考核,80\n"
    expected = [["部门代码", "维度", "得分"], ["jtys", "目标考核", "80"]]
    assert read_table("s.csv", b"\xef\xbb\xbf" + text.encode(), max_rows=10) == expected
    assert read_table("s.csv", text.encode("gbk"), max_rows=10) == expected


def test_undecodable_csv_is_a_clear_error():
    with pytest.raises(UploadError, match="无法识别文件编码"):
        # Neither UTF-8 nor GB18030, and no UTF-16 BOM (a file starting FF FE is read as UTF-16).
        read_table("s.csv", b"\x81\x82\xff" * 10, max_rows=10)


def test_formula_cells_are_never_taken_as_scores(seeded):
    """A formula is text in CSV and has no cached value in a hand-made XLSX: never a score."""
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        csv_result = import_preview(
            period, "s.csv", "部门代码,维度,得分\njtys,目标考核,=50+50\n".encode()
        )
        xlsx_result = import_preview(
            period,
            "s.xlsx",
            _workbook([["部门代码", "维度", "得分"], ["jtys", "目标考核", "=50+50"]]),
        )
        for result in (csv_result, xlsx_result):
            assert not result.ok
            assert result.rows[0].score is None and result.rows[0].errors, result.rows
