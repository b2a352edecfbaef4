"""Grade bands of the survey score, as Hangzhou publishes them (优胜 / 先进 / 达标 / 未达标 / 末位).

Bands are (label, threshold) pairs with strictly descending thresholds, the last one 0: a
department's band is the first whose threshold its score reaches. 末位 (last place) replaces the
band of the lowest-scored department when that department is in the last band (below every
passing threshold); departments tied at that lowest score all get it. A department without a
sufficient score gets no band.

The setting ``CITIZENVOICE_SURVEY_GRADE_BANDS`` is parsed by :func:`parse_grade_bands`, which
raises ValueError with a Chinese message on anything it cannot use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from citizenvoice.domain.survey import Rating, satisfaction_rate, weighted_score

__all__ = [
    "DEFAULT_GRADE_BANDS",
    "LAST_PLACE",
    "GradeBands",
    "band_order",
    "grade_bands",
    "parse_grade_bands",
    "weighted_rate",
]

DEFAULT_GRADE_BANDS = "优胜:90,先进:85,达标:70,未达标:0"
LAST_PLACE = "末位"
MAX_LABEL = 8

GradeBands = tuple[tuple[str, float], ...]


def parse_grade_bands(text: str) -> GradeBands:
    """``"优胜:90,先进:85,达标:70,未达标:0"`` -> ((label, threshold), ...), or ValueError."""
    bands: list[tuple[str, float]] = []
    for part in (text or "").split(","):
        label, sep, number = part.strip().partition(":")
        label = label.strip()
        if not sep or not label or len(label) > MAX_LABEL or label == LAST_PLACE:
            raise ValueError(
                f"等级设置有误：“{part.strip()}”须为 名称:分数，名称不超过 8 字且不为末位"
            )
        try:
            threshold = float(number)
        except ValueError:
            raise ValueError(f"等级设置有误：“{part.strip()}”的分数不是数字") from None
        if not 0 <= threshold <= 100:
            raise ValueError(f"等级设置有误：“{part.strip()}”的分数须在 0 到 100 之间")
        bands.append((label, threshold))
    if len(bands) < 2:
        raise ValueError("等级设置有误：至少需要两个等级")
    if any(a[1] <= b[1] for a, b in pairwise(bands)):
        raise ValueError("等级设置有误：分数须从高到低严格递减")
    if bands[-1][1] != 0:
        raise ValueError("等级设置有误：最后一个等级的分数须为 0，使每个得分都有等级")
    if len({label for label, _ in bands}) != len(bands):
        raise ValueError("等级设置有误：等级名称不能重复")
    return tuple(bands)


def _band(score: float, bands: GradeBands) -> str:
    for label, threshold in bands:
        if score >= threshold:
            return label
    return bands[-1][0]  # unreachable for scores >= 0; a negative score is still the last band


def grade_bands(scores: Mapping[str, float | None], bands: GradeBands) -> dict[str, str | None]:
    """Department -> band label (or 末位), None for a department without a sufficient score."""
    out: dict[str, str | None] = {
        key: None if score is None else _band(score, bands) for key, score in scores.items()
    }
    scored = [s for s in scores.values() if s is not None]
    if not scored:
        return out
    lowest = min(scored)
    if _band(lowest, bands) == bands[-1][0]:
        for key, score in scores.items():
            if score is not None and score == lowest:
                out[key] = LAST_PLACE
    return out


def band_order(bands: GradeBands) -> Sequence[str]:
    """The labels best first, 末位 last (for sorting and legends)."""
    return [label for label, _ in bands] + [LAST_PLACE]


def weighted_rate(groups: Iterable[tuple[float, int, Mapping[str, int]]]) -> float | None:
    """Group-weighted satisfaction rate of (weight, min_n, rating counts), as the score is.

    Only groups with at least their minimum n of known answers count and the weights are
    renormalised over them (``domain.survey.weighted_score``), so the published rate and the
    published score describe the same raters. None when no group counts.
    """
    parts = []
    for weight, min_n, counts in groups:
        known = sum(counts.get(r.value, 0) for r in Rating if r is not Rating.UNKNOWN)
        parts.append((weight, satisfaction_rate(counts), known >= min_n and known > 0))
    return weighted_score(parts)
