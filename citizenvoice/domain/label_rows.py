"""Rows of a labelled-history file: headers, cells, stars, times (pure, no Flask, no DB).

A centre's own history arrives as CSV or XLSX with English or Chinese headers. Each row is
checked on its own and gets Chinese error messages naming its line, so one bad row never
hides the good ones. Text cells that a spreadsheet would run as formulas (``=1+1``) are kept
as the text they are: they are training text, never evaluated here, and every export
neutralises them (citizenvoice.domain.export).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from citizenvoice.domain.inputs import clean_text
from citizenvoice.domain.labels import LabelKind
from citizenvoice.domain.localtime import LOCAL_ZONE

__all__ = [
    "HEADERS",
    "MAX_CELL_CHARS",
    "LabelRow",
    "columns_of",
    "header_columns",
    "interpret_row",
    "parse_label_time",
    "sentiment_from_stars",
    "sentiment_label_of",
]

# Header (lower-cased, spaces removed) -> field. Chinese names as 12345 centres export them.
HEADERS = {
    "id": "id",
    "编号": "id",
    "留言编号": "id",
    "message_id": "id",
    "工单编号": "id",
    "title": "title",
    "标题": "title",
    "留言主题": "title",
    "text": "text",
    "内容": "text",
    "留言详情": "text",
    "review": "text",
    "comment": "text",
    "评价内容": "text",
    "label": "label",
    "category": "label",
    "类别": "label",
    "一级分类": "label",
    "分类": "label",
    "情感": "label",
    "time": "time",
    "date": "time",
    "时间": "time",
    "留言时间": "time",
    "rating": "rating",
    "stars": "rating",
    "评分": "rating",
    "星级": "rating",
}

# A message longer than this is not a message (a pasted document or a hostile cell); the
# product's own submissions are far shorter. The row is refused, the rest go on.
MAX_CELL_CHARS = 20_000

# Stars -> sentiment: 1-2 negative, 3 neutral, 4-5 positive (docs/learning.md).
_STARS = {1: "neg", 2: "neg", 3: "neu", 4: "pos", 5: "pos"}
_SENTIMENT_WORDS = {
    "pos": "pos",
    "positive": "pos",
    "正面": "pos",
    "好评": "pos",
    "积极": "pos",
    "neg": "neg",
    "negative": "neg",
    "负面": "neg",
    "差评": "neg",
    "消极": "neg",
    "neu": "neu",
    "neutral": "neu",
    "中性": "neu",
    "中评": "neu",
}


@dataclass(frozen=True)
class LabelRow:
    """One row as read: its line in the file, and its errors (Chinese) when it is refused."""

    line: int
    text: str = ""
    label: str = ""
    title: str = ""
    labelled_at: datetime | None = None
    raw_value: str | None = None
    reference: str = ""
    errors: tuple[str, ...] = ()


def header_columns(header: list[Any], headers: Mapping[str, str]) -> dict[str, int]:
    """Field -> column index for a header row, by ``headers`` (normalised header -> field).

    Headers are compared without spaces, case or a byte-order mark; unknown columns are
    ignored and the first column of a field wins. The office's upload formats share it.
    """
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = "".join(str(cell if cell is not None else "").split()).lower().lstrip("\ufeff")
        field = headers.get(key)
        if field is not None and field not in columns:
            columns[field] = index
    return columns


def columns_of(header: list[Any]) -> dict[str, int]:
    """Field -> column index for a labels file's header row (see :func:`header_columns`)."""
    return header_columns(header, HEADERS)


def sentiment_from_stars(stars: int) -> str:
    """``neg`` for 1-2 stars, ``neu`` for 3, ``pos`` for 4-5; ValueError outside 1-5."""
    if stars not in _STARS:
        raise ValueError("stars must be 1-5")
    return _STARS[stars]


def sentiment_label_of(value: str) -> str | None:
    """``pos``/``neg``/``neu`` for a sentiment word in English or Chinese, else None."""
    return _SENTIMENT_WORDS.get(value.strip().lower())


def parse_label_time(value: Any) -> datetime:
    """An aware moment from a cell: a date/datetime, or ISO text (``2020/1/6 12:09`` too).

    A time without a zone is Beijing time. Raises ValueError for anything else.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("/", "-")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            # fromisoformat wants zero-padded parts; the shared files write 2020-1-6 9:05:38.
            moment = _loose_time(text)
    else:
        raise ValueError("not a time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    if not 1970 <= moment.year <= 2999:
        raise ValueError("out of range")
    return moment


def _loose_time(text: str) -> datetime:
    """``Y-M-D[ H:M[:S]]`` with unpadded parts; ValueError otherwise."""
    day, _, clock = text.partition(" ")
    parts = [int(p) for p in day.split("-")]
    hms = [int(p) for p in clock.split(":")] if clock.strip() else []
    if len(parts) != 3 or len(hms) not in (0, 2, 3):
        raise ValueError("not a time")
    hour, minute, second = (*hms, 0, 0, 0)[:3]
    return datetime(parts[0], parts[1], parts[2], hour, minute, second)


def _cell(cells: list[Any], columns: dict[str, int], field: str) -> Any:
    index = columns.get(field)
    if index is None or index >= len(cells):
        return None
    return cells[index]


def _text(value: Any) -> str:
    """A cell as text: numbers as written, control characters (NUL ...) removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(str(value)).strip()


def _stars(value: Any) -> int | None:
    """1-5 from a number or a plain number text (``4``, ``4.0``); None otherwise."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float) else float(_text(value))
    except ValueError:
        return None
    if not math.isfinite(number) or not number.is_integer() or not 1 <= number <= 5:
        return None
    return int(number)


def interpret_row(
    kind: LabelKind,
    line: int,
    cells: list[Any],
    columns: dict[str, int],
    categories: dict[str, str],
) -> LabelRow:
    """Check one data row; ``categories`` maps every accepted spelling to the category name."""
    errors: list[str] = []
    text, title = _text(_cell(cells, columns, "text")), _text(_cell(cells, columns, "title"))
    if not text and not title:
        errors.append("内容为空")
    if len(text) > MAX_CELL_CHARS or len(title) > MAX_CELL_CHARS:
        errors.append(f"内容过长（最多 {MAX_CELL_CHARS} 字）")
    label, raw = _label(kind, cells, columns, categories, errors)
    moment = None
    raw_time = _cell(cells, columns, "time")
    if raw_time is not None and _text(raw_time):
        try:
            moment = parse_label_time(raw_time)
        except (ValueError, OverflowError):
            errors.append(f"时间「{_text(raw_time)[:40]}」无法识别（请用 2020-01-06 12:09 格式）")
    reference = _text(_cell(cells, columns, "id"))[:200]
    return LabelRow(
        line=line,
        text=text or title,
        label=label,
        title=title if text else "",
        labelled_at=moment,
        raw_value=raw,
        reference=reference,
        errors=tuple(errors),
    )


def _label(
    kind: LabelKind,
    cells: list[Any],
    columns: dict[str, int],
    categories: dict[str, str],
    errors: list[str],
) -> tuple[str, str | None]:
    """The row's label and its raw value, appending errors for a missing or unknown one."""
    raw_label = _text(_cell(cells, columns, "label"))
    if kind is LabelKind.CATEGORY:
        category = categories.get("".join(raw_label.split()).lower())
        if category is None:
            shown = raw_label[:40] or "（空）"
            errors.append(f"类别「{shown}」不是系统中的类别")
            return "", raw_label[:64] or None
        return category, raw_label[:64]
    raw_rating = _cell(cells, columns, "rating")
    if raw_rating is not None and _text(raw_rating):
        stars = _stars(raw_rating)
        if stars is None:
            errors.append(f"评分「{_text(raw_rating)[:40]}」须为 1 到 5 的整数")
            return "", None
        return sentiment_from_stars(stars), str(stars)
    word = sentiment_label_of(raw_label)
    if word is None:
        shown = raw_label[:40] or "（空）"
        errors.append(f"情感标签「{shown}」无法识别（评分 1-5，或 pos/neg/neu、正面/负面/中性）")
        return "", None
    return word, raw_label[:64]
