"""Reading uploaded tables (CSV or XLSX) with hard limits, for every import in the product.

An XLSX file is a zip archive of XML, so a 1.5 KB upload can declare a sheet of a million rows
(``<dimension ref="A1:XFD1048576"/>``) or hold a member that inflates to gigabytes. openpyxl
trusts the declared dimension and, even in read-only mode, pads every row to it: one such sheet
took 15 s and 1.5 GB. So, before openpyxl sees the bytes, the archive is inspected with
:mod:`zipfile` (member count, total uncompressed size, per-member compression ratio; zipfile
never inflates a member past the size its header declares, so the header is a safe bound), and
the sheet is then streamed in read-only mode with the declared dimension discarded and rows
and columns bounded, stopping with an error at the first row past the limit. Nothing is
materialised beyond ``max_rows`` rows of ``max_cols`` cells.

A CSV is decoded as offices save it: UTF-8 (a BOM allowed), GBK/GB18030 (Excel's plain CSV on
a Chinese Windows) or UTF-16 (Excel's "Unicode text", tab-separated); a file is taken for what
its first bytes say (a zip is a workbook whatever its name, an old .xls is named as such).

Every refusal is an :class:`UploadError` with a Chinese message for the person who uploaded.
"""

from __future__ import annotations

import codecs
import csv
import io
import struct
import zipfile
from collections.abc import Iterable
from typing import Any

__all__ = [
    "MAX_COLUMNS",
    "MAX_UPLOAD_BYTES",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_RATIO",
    "MAX_XLSX_UNCOMPRESSED",
    "UploadError",
    "read_table",
]

# The raw upload: a 5,000-row score sheet is ~150 KB as CSV and ~100 KB as XLSX.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# All members of an XLSX together, inflated: such a sheet is ~1.5 MB of XML with its strings
# and styles; 16 MiB keeps parsing under a couple of seconds while leaving ample room.
MAX_XLSX_UNCOMPRESSED = 16 * 1024 * 1024
# Spreadsheet XML compresses 5-20x; a bomb's member compresses thousands of times. Only members
# bigger than MIN_RATIO_CHECK_BYTES are judged: tiny members' ratios are noise and harmless.
MAX_XLSX_RATIO = 100
MIN_RATIO_CHECK_BYTES = 256 * 1024
# An export from Excel or WPS has about a dozen members.
MAX_XLSX_MEMBERS = 200
# Imports have at most a handful of columns; cells beyond this are never read.
MAX_COLUMNS = 20
# Blank rows are skipped, but the sheet is read no further than this many rows per data row
# allowed, so a sheet with one cell in row 1,048,576 cannot make us walk a million blank rows.
_BLANK_ROW_ALLOWANCE = 4


# An old binary .xls (OLE2 compound file) and a zip archive (every .xlsx), by their first bytes.
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class UploadError(ValueError):
    """An upload that cannot be read within the limits (message in Chinese)."""


def read_table(
    filename: str,
    data: bytes,
    *,
    max_rows: int,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_inflated: int = MAX_XLSX_UNCOMPRESSED,
) -> list[list[Any]]:
    """The non-blank rows of an uploaded CSV or XLSX (the header row counts as one).

    Raises UploadError, before holding more than ``max_rows`` rows, for a file that is too big,
    a broken or hostile archive, an unknown text encoding, or more than ``max_rows`` rows.
    ``max_bytes`` and ``max_inflated`` (an XLSX's members inflated) default to the web upload
    limits; a command reading an operator's local file (``labels import``) may allow more.
    """
    if len(data) > max_bytes:
        raise UploadError(f"文件过大（最大 {max_bytes // (1024 * 1024)} MB）")
    if data.startswith(_OLE2_MAGIC):
        raise UploadError(
            "这是旧版 Excel（.xls）文件，请在 Excel 或 WPS 中另存为 .xlsx 或 CSV 后重试"
        )
    # What the bytes are, not what the name says: a workbook renamed to .csv is still one.
    if data.startswith(_ZIP_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data, max_rows, max_inflated)
    return _read_csv(data, max_rows)


def _bounded(rows: Iterable[Iterable[Any]], max_rows: int) -> list[list[Any]]:
    """Keep non-blank rows (at most MAX_COLUMNS cells each); fail at the first row too many."""
    table: list[list[Any]] = []
    for seen, row in enumerate(rows, start=1):
        if seen > max_rows * _BLANK_ROW_ALLOWANCE + 1:
            raise UploadError(f"行数过多（最多 {max_rows - 1} 行数据）")
        cells = list(row)[:MAX_COLUMNS]
        while cells and cells[-1] is None:  # openpyxl pads a row to max_col with None
            cells.pop()
        if any(str(c if c is not None else "").strip() for c in cells):
            if len(table) >= max_rows:
                raise UploadError(f"行数过多（最多 {max_rows - 1} 行数据）")
            table.append(cells)
    return table


def _check_archive(data: bytes, max_inflated: int = MAX_XLSX_UNCOMPRESSED) -> None:
    """Refuse a non-zip, too many members, too much inflated data, or a bomb-like member."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    # A damaged directory raises more than BadZipFile: NotImplementedError for an entry that
    # asks for a newer zip version, struct.error or EOFError for truncated records.
    except (
        zipfile.BadZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
        struct.error,
    ) as exc:
        raise UploadError("无法读取 Excel 文件，请确认是 .xlsx 格式") from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise UploadError("Excel 文件结构异常（内部文件过多），请另存为普通 .xlsx 后重试")
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > MIN_RATIO_CHECK_BYTES and ratio > MAX_XLSX_RATIO:
                raise UploadError("Excel 文件压缩比异常，疑似恶意文件，已拒绝")
        if total > max_inflated:
            raise UploadError(
                f"Excel 文件解压后过大（最大 {max_inflated // (1024 * 1024)} MB），"
                "请删除多余的工作表或格式后重试"
            )


def _read_xlsx(
    data: bytes, max_rows: int, max_inflated: int = MAX_XLSX_UNCOMPRESSED
) -> list[list[Any]]:
    _check_archive(data, max_inflated)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a malformed workbook
        raise UploadError("无法读取 Excel 文件，请确认是 .xlsx 格式") from exc
    try:
        sheet = workbook.active
        if sheet is None or not hasattr(sheet, "reset_dimensions"):
            raise UploadError("Excel 文件中没有可读取的工作表")
        # The declared <dimension> is attacker-controlled and openpyxl pads rows up to it.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(
            min_row=1,
            max_row=max_rows * _BLANK_ROW_ALLOWANCE + 2,
            max_col=MAX_COLUMNS,
            values_only=True,
        )
        try:
            return _bounded(rows, max_rows)
        except UploadError:
            raise
        except Exception as exc:  # malformed sheet XML surfaces while streaming
            raise UploadError("无法读取 Excel 文件，请确认是 .xlsx 格式") from exc
    finally:
        workbook.close()


_BINARY_MESSAGE = (
    "文件不是文本格式的 CSV（含有二进制内容），请用 Excel 或 WPS 另存为 CSV 或 .xlsx 后重试"
)


def _bomless_utf16(data: bytes) -> str | None:
    """The UTF-16 byte order when the NUL bytes sit on one side of each pair, else None.

    UTF-16 writes ASCII (digits, commas, codes) with a zero byte: after it in little-endian,
    before it in big-endian. Text in UTF-8 or GB18030 has no zero bytes at all.
    """
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 2 and odd >= 4 * even:
        return "utf-16-le"
    if even >= 2 and even >= 4 * odd:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> str:
    """The text of a CSV as offices save it, or a clear error.

    UTF-8 (with or without a BOM), GBK/GB18030 (Excel's plain CSV on a Chinese Windows) or
    UTF-16 (Excel's "Unicode text", with or without its BOM).
    """
    encodings: tuple[str, ...] = ("utf-8-sig", "gb18030")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is None:
            raise UploadError(_BINARY_MESSAGE)
        encodings = (utf16,)
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise UploadError(_BINARY_MESSAGE)
        return text
    raise UploadError(
        "无法识别文件编码，请在 Excel 或 WPS 中另存为“CSV UTF-8”或 .xlsx 后重试"
        "（支持 UTF-8、GBK/GB18030、UTF-16）"
    )


def _read_csv(data: bytes, max_rows: int) -> list[list[Any]]:
    text = _decode(data)
    # Excel's "Unicode text" separates cells with tabs; every other CSV here uses commas.
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return _bounded(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), max_rows)
    except csv.Error as exc:
        raise UploadError("CSV 文件格式有误，请用 Excel 或 WPS 另存为 CSV 后重试") from exc
