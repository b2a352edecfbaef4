"""Model registry rules: version names, the promotion rule, the training weight of a label.

Pure functions (no database): the services apply them, the tests check them directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

__all__ = [
    "KINDS",
    "MAX_DEV_LOSS",
    "NEWEST_SHARE",
    "WEAK_LABEL_FACTOR",
    "promotion_refusal",
    "split_newest",
    "training_weight",
    "version_name",
]

KINDS = ("category", "sentiment")

#: Macro-F1 (0..1) a challenger may lose on the shipped gold dev split: 0.5 points.
MAX_DEV_LOSS = 0.005

#: The newest share of the deployment's labels (by label time) held out as the newest slice.
NEWEST_SHARE = 0.2

#: A weak label (star rating, follow-up judgement) counts this much of a strong one in training:
#: its text often says something other than its stars, so it must not outweigh staff decisions.
WEAK_LABEL_FACTOR = 0.3

T = TypeVar("T")


def version_name(kind: str, at: datetime, taken: Sequence[str] = ()) -> str:
    """``<kind>-YYYYMMDD-HHMM`` of ``at``, with ``-2``, ``-3`` ... when that name is taken."""
    base = f"{kind}-{at:%Y%m%d-%H%M}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def training_weight(strength: str, weight: float) -> float:
    """The sample weight of a stored label: its own weight, times the weak factor if weak."""
    return float(weight) * (WEAK_LABEL_FACTOR if strength == "weak" else 1.0)


def split_newest(items: Sequence[T], share: float = NEWEST_SHARE) -> tuple[list[T], list[T]]:
    """(older items to train on, newest ``share`` held out); ``items`` are in time order.

    At least one item is held out when there is any, so a challenger is always measured on
    labels it never saw.
    """
    if not items:
        return [], []
    held = max(1, math.ceil(len(items) * share))
    return list(items[: len(items) - held]), list(items[len(items) - held :])


def _score(figures: Mapping[str, Any], part: str, key: str) -> float | None:
    value = (figures.get(part) or {}).get(key)
    return None if value is None else float(value)


def promotion_refusal(
    challenger: Mapping[str, Any], champion: Mapping[str, Any], champion_name: str
) -> str | None:
    """Why ``challenger`` may not replace ``champion`` (Chinese, for staff), or None if it may.

    Both are metrics with ``dev.macro_f1`` (shipped gold dev split) and ``newest.score`` (the
    challenger's newest labelled slice). The challenger must not lose more than
    ``MAX_DEV_LOSS`` of dev macro-F1 and must score strictly higher on the newest slice. A
    challenger trained on a centre's tree is measured on the dev rows of the classes it shares
    with the shipped model; sharing none (dev ``n`` 0), only the newest slice decides.
    """
    dev_new = _score(challenger, "dev", "macro_f1")
    dev_old = _score(champion, "dev", "macro_f1")
    if (challenger.get("dev") or {}).get("n") != 0:  # n 0: a tree sharing no dev class
        if dev_new is None or dev_old is None:
            return "缺少金标准开发集上的宏平均F1，无法比较。"
        if dev_new < dev_old - MAX_DEV_LOSS - 1e-9:
            return (
                f"在金标准开发集上宏平均F1为 {dev_new:.4f}，比现任模型 {champion_name} 的 "
                f"{dev_old:.4f} 低了 {100 * (dev_old - dev_new):.2f} 个百分点，超过允许的 "
                f"{100 * MAX_DEV_LOSS:.1f} 个百分点。"
            )
    new, old = _score(challenger, "newest", "score"), _score(champion, "newest", "score")
    if new is None or old is None:
        return "没有按时间留出的最新产品内标注，无法证明新模型更好。"
    if new <= old:
        return (
            f"在最新的产品内标注切片上得分 {new:.4f}，未超过现任模型 {champion_name} 的 {old:.4f}。"
        )
    return None
