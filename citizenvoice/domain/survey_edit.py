"""Validation of the office's edits to a draft survey campaign: groups, dates, score values.

Pure rules on raw form values (``object``: a form gives strings, but a test or a client may
send anything): each parser returns the clean values or raises ``EditInvalid`` with Chinese
field errors. Hostile input (NUL, CR/LF, huge strings, formulas, wrong types) is refused here,
never stored and never a server error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from citizenvoice.domain.survey import DEFAULT_SCORES, Rating

__all__ = [
    "MAX_MIN_N",
    "MAX_SPAN_DAYS",
    "CampaignEdit",
    "EditInvalid",
    "GroupEdit",
    "parse_campaign_edit",
    "parse_group_edit",
    "parse_int_field",
]

MAX_FIELD = 64  # characters of any one raw field; longer input is refused, not truncated
MAX_MIN_N = 100_000
MAX_SPAN_DAYS = 366
_FORMULA_STARTS = ("=", "+", "-", "@")
_DECIMAL = re.compile(r"^[0-9]{1,6}(?:\.[0-9]{1,6})?$")
SCORED = tuple(r.value for r in Rating if r is not Rating.UNKNOWN)


class EditInvalid(ValueError):
    """Refused edit values; ``fields`` maps a field name to its Chinese error."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class GroupEdit:
    """A group's new name, weight (a share, not a percentage), minimum n and scope."""

    name: str
    weight: float
    min_n: int
    departments: list[str] | None


@dataclass(frozen=True)
class CampaignEdit:
    """A campaign's new dates (end exclusive) and score values of the four judgements."""

    starts_on: date
    ends_on: date
    scores: dict[str, float]


def _text(raw: object) -> str | None:
    """A short printable string, or None for anything else (wrong type, NUL, CR/LF, huge)."""
    if not isinstance(raw, str) or len(raw) > MAX_FIELD:
        return None
    text = raw.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    return text


def _number(raw: object, low: float, high: float) -> float | None:
    """A finite number in ``(low, high]`` from a form string (or a number), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = _text(raw)
        if not text or not _DECIMAL.match(text):
            return None  # plain decimals only: no signs, exponents, nan, inf or wide digits
        value = float(text)
    if not math.isfinite(value) or not low < value <= high:
        return None
    return value


def parse_int_field(raw: object, low: int, high: int) -> int | None:
    """An integer in ``[low, high]`` from a form string (digits only), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if low <= raw <= high else None
    text = _text(raw)
    if not text or not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    value = int(text)
    return value if low <= value <= high else None


def _group_name(raw: object, fields: dict[str, str]) -> str:
    name = _text(raw)
    if not name:
        fields["name"] = f"名称不能为空，不超过 {MAX_FIELD} 个字符，且不能含控制字符"
        return ""
    if name.startswith(_FORMULA_STARTS):
        fields["name"] = "名称不能以 = + - @ 开头"
    return name


def _scope(scope: object, departments: Collection[object], known: Collection[str]) -> object:
    """The departments in scope: None for all, a sorted list, or an error message (str)."""
    if scope == "all":
        return None
    if scope != "list":
        return "请选择“全部部门”或“指定部门”"
    chosen: set[str] = set()
    for item in list(departments)[: len(known) + 1]:
        if not isinstance(item, str) or item not in known:
            return "所选部门不存在或已停用"
        chosen.add(item)
    if not chosen:
        return "指定部门时至少选择一个部门"
    return sorted(chosen)


def parse_group_edit(
    raw: Mapping[str, object], departments: Collection[object], known: Collection[str]
) -> GroupEdit:
    """A group edit from form values, or EditInvalid.

    ``name``, ``weight`` (percent, > 0 and <= 100), ``min_n`` (1 to 100000), ``scope``
    (all|list) with ``departments`` (codes in ``known``).
    """
    fields: dict[str, str] = {}
    name = _group_name(raw.get("name"), fields)
    weight = _number(raw.get("weight"), 0.0, 100.0)
    if weight is None:
        fields["weight"] = "权重须为大于 0、不超过 100 的数（百分比）"
    min_n = parse_int_field(raw.get("min_n"), 1, MAX_MIN_N)
    if min_n is None:
        fields["min_n"] = f"最小样本须为 1 到 {MAX_MIN_N} 的整数"
    scope = _scope(raw.get("scope"), departments, known)
    if isinstance(scope, str):
        fields["departments"] = scope
    if fields:
        raise EditInvalid(fields)
    assert weight is not None and min_n is not None
    return GroupEdit(name, round(weight / 100.0, 6), min_n, scope)  # type: ignore[arg-type]


def _date(raw: object) -> date | None:
    text = _text(raw)
    if not text or len(text) != 10:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if 2000 <= value.year <= 2100 else None


def parse_campaign_edit(raw: Mapping[str, object]) -> CampaignEdit:
    """New dates and score values from form values, or EditInvalid.

    ``starts_on`` < ``ends_on`` (exclusive), at most a year apart; ``score_<rating>`` 0 to 100,
    never higher for a worse judgement.
    """
    fields: dict[str, str] = {}
    starts_on, ends_on = _date(raw.get("starts_on")), _date(raw.get("ends_on"))
    if starts_on is None:
        fields["starts_on"] = "开始日期须为 YYYY-MM-DD 格式的有效日期"
    if ends_on is None:
        fields["ends_on"] = "结束日期须为 YYYY-MM-DD 格式的有效日期"
    if starts_on and ends_on and not starts_on < ends_on:
        fields["ends_on"] = "结束日期须晚于开始日期"
    elif starts_on and ends_on and ends_on - starts_on > timedelta(days=MAX_SPAN_DAYS):
        fields["ends_on"] = f"问卷期限不能超过 {MAX_SPAN_DAYS} 天"
    scores: dict[str, float] = {}
    for rating in SCORED:
        value = _number(raw.get(f"score_{rating}"), -1.0, 100.0)
        if value is None or value < 0:
            fields[f"score_{rating}"] = "分值须为 0 到 100 的数"
        else:
            scores[rating] = value
    if len(scores) == len(SCORED) and any(
        scores[better] < scores[worse] for better, worse in pairwise(SCORED)
    ):
        fields["scores"] = "较好评价的分值不能低于较差评价的分值"
    if fields:
        raise EditInvalid(fields)
    assert starts_on is not None and ends_on is not None
    return CampaignEdit(starts_on, ends_on, {k: scores[k] for k in DEFAULT_SCORES})
