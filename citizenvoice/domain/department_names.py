"""How people write a department's name in a spreadsheet: code, full name, or a common alias.

The office's imports come from other offices' spreadsheets, which say 住建局 or 市住房和城乡建设局
as often as the system code ``zjj``. One rule resolves them all, exactly (never by a partial
match: 城管 must not pick whichever name happens to contain 城).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

__all__ = ["COMMON_ALIASES", "DepartmentResolver", "normalise_name"]

# Short forms used in government spreadsheets and 12345 practice, by department code. Only
# codes that exist are used; a department without an entry still matches by code and name.
COMMON_ALIASES: Mapping[str, tuple[str, ...]] = {
    "zjj": ("住建局", "住建", "住房城乡建设局", "住房和城乡建设局"),
    "zrzy": ("自然资源局", "规划局", "自规局"),
    "cgzf": ("城管局", "城管", "城管执法局", "综合执法局"),
    "sthj": ("生态环境局", "环保局", "环境局"),
    "jtys": ("交通局", "交通运输局"),
    "jyty": ("教育局", "教体局"),
    "wlgd": ("文旅局", "文广旅局", "文化旅游局"),
    "rsj": ("人社局", "人力社保局"),
    "ybj": ("医保局",),
    "scjg": ("市场监管局", "市监局"),
    "wjw": ("卫健委", "卫生健康委"),
    "yjgl": ("应急局", "应急管理局"),
    "fgw": ("发改委",),
    "zwfw": ("政务服务中心", "政务中心", "行政服务中心"),
}

_CITY_PREFIX = "市"


def normalise_name(value: str) -> str:
    """Fold full-width forms and case, drop every space (Excel cells carry both)."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return "".join(folded.split())


def _variants(name: str) -> set[str]:
    """The full name and the name without the leading 市 (市公安局 -> 公安局)."""
    key = normalise_name(name)
    out = {key}
    if key.startswith(_CITY_PREFIX) and len(key) > 2:
        out.add(key[len(_CITY_PREFIX) :])
    return out


class DepartmentResolver:
    """Resolve a cell to a department code by exact code, exact name or alias.

    A key that two departments share is dropped rather than guessed.
    """

    def __init__(
        self,
        departments: Iterable[tuple[str, str]],
        aliases: Mapping[str, Iterable[str]] = COMMON_ALIASES,
    ) -> None:
        """``departments`` are (code, name) pairs; ``aliases`` extra names by code."""
        keys: dict[str, set[str]] = {}
        for code, name in departments:
            for key in {normalise_name(code)} | _variants(name):
                keys.setdefault(key, set()).add(code)
            for alias in aliases.get(code, ()):
                for key in _variants(alias):
                    keys.setdefault(key, set()).add(code)
        self._codes = {key: next(iter(codes)) for key, codes in keys.items() if len(codes) == 1}

    def resolve(self, value: str) -> str | None:
        """The department code ``value`` names, or None (unknown or ambiguous)."""
        return self._codes.get(normalise_name(value)) if value.strip() else None
