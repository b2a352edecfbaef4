"""Drift warning rules: when a week's analyses differ enough from the reference to act on.

The thresholds (docs/learning.md, "Drift", explains them for the office):

- population stability index (PSI) of the category mix or the sentiment mix: above
  ``PSI_SIGNIFICANT`` (0.25) a significant shift, from ``PSI_MODERATE`` (0.1) a moderate one;
- mean category confidence: a drop of more than ``CONFIDENCE_DROP`` (0.10) below the reference;
- share of cases below the routing threshold (they go to the office's routing queue): up by
  more than ``BELOW_THRESHOLD_RISE`` (10 percentage points);
- out-of-vocabulary rate of the tokens: up by more than ``OOV_RISE`` (5 percentage points).

Sampling noise: n messages drawn from the reference distribution itself give a PSI of about
(bins - 1) / n on average (PSI is close to chi-square / n, and chi-square has bins - 1 degrees
of freedom): 0.24 for 25 messages over 7 categories, 0.02 for 300. The PSI rules therefore
compare the PSI minus this noise floor (``psi_noise_floor``) with the thresholds. The floor is
an approximation that fails for few messages and for reference bins of a few percent (a single
message always looks like a shift), so the PSI rules only judge weeks of at least
``SMALL_SAMPLE`` (100) analyses, and the confidence, threshold and OOV rules weeks of at least
``MIN_SAMPLE`` (30). Smaller weeks get their figures, marked as a small sample, and no warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from citizenvoice.domain.workdays import SHANGHAI

__all__ = [
    "BELOW_THRESHOLD_RISE",
    "CONFIDENCE_DROP",
    "MIN_SAMPLE",
    "OOV_RISE",
    "PSI_MODERATE",
    "PSI_SIGNIFICANT",
    "SMALL_SAMPLE",
    "DriftWarning",
    "drift_warnings",
    "psi_noise_floor",
    "week_bounds",
    "week_start_of",
]

PSI_MODERATE = 0.10
PSI_SIGNIFICANT = 0.25
CONFIDENCE_DROP = 0.10
BELOW_THRESHOLD_RISE = 0.10
OOV_RISE = 0.05
SMALL_SAMPLE = 100
MIN_SAMPLE = 30


@dataclass(frozen=True)
class DriftWarning:
    """One warning: a code, ``significant`` or ``moderate``, the figures and a Chinese text."""

    code: str
    level: str
    value: float
    reference: float
    message: str

    def as_json(self) -> dict[str, Any]:
        """The warning as stored in ``drift_report.warnings``."""
        return asdict(self)


def week_start_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of the Beijing week that starts on ``monday``, as aware times."""
    start = datetime(monday.year, monday.month, monday.day, tzinfo=SHANGHAI)
    return start, start + timedelta(days=7)


def psi_noise_floor(bins: int, n: int) -> float:
    """The PSI that sampling noise alone gives ``n`` messages over ``bins`` bins, on average."""
    return max(bins - 1, 0) / n if n > 0 else 0.0


def _psi_warning(code: str, name: str, part: dict[str, Any]) -> DriftWarning | None:
    psi = part.get("psi")
    if psi is None:
        return None
    noise = float(part.get("psi_noise") or 0.0)
    shift = psi - noise
    detail = f"PSI {psi:.2f}，扣除抽样噪声 {noise:.2f} 后 {shift:.2f}"
    if shift > PSI_SIGNIFICANT:
        text = f"{name}显著偏移（{detail} > {PSI_SIGNIFICANT}）"
        return DriftWarning(code, "significant", psi, PSI_SIGNIFICANT, text)
    if shift >= PSI_MODERATE:
        text = f"{name}中度偏移（{detail}，在 {PSI_MODERATE}–{PSI_SIGNIFICANT} 之间）"
        return DriftWarning(code, "moderate", psi, PSI_MODERATE, text)
    return None


def _rise(
    code: str, name: str, value: float | None, reference: float | None, limit: float
) -> DriftWarning | None:
    if value is None or reference is None or value - reference <= limit:
        return None
    text = (
        f"{name}上升 {100 * (value - reference):.1f} 个百分点"
        f"（本周 {100 * value:.1f}%，基准 {100 * reference:.1f}%）"
    )
    return DriftWarning(code, "significant", value, reference, text)


def drift_warnings(figures: dict[str, Any]) -> list[DriftWarning]:
    """The warnings of one week's figures (the ``figures`` JSON of a drift report)."""
    cat, sen = figures.get("category") or {}, figures.get("sentiment") or {}
    found: list[DriftWarning | None] = []
    if int(cat.get("n") or 0) >= SMALL_SAMPLE:
        found.append(_psi_warning("category_psi", "类别分布", cat))
    if int(sen.get("n") or 0) >= SMALL_SAMPLE:
        found.append(_psi_warning("sentiment_psi", "情感分布", sen))
    if int(cat.get("n") or 0) < MIN_SAMPLE:
        return [w for w in found if w is not None]
    mean, ref_mean = cat.get("mean_confidence"), cat.get("reference_mean_confidence")
    if mean is not None and ref_mean is not None and ref_mean - mean > CONFIDENCE_DROP:
        text = f"平均置信度下降 {ref_mean - mean:.2f}（本周 {mean:.2f}，基准 {ref_mean:.2f}）"
        found.append(DriftWarning("confidence_drop", "significant", mean, ref_mean, text))
    found.append(
        _rise(
            "below_threshold_rise",
            "低于分派阈值的比例",
            cat.get("share_below_threshold"),
            cat.get("reference_share_below_threshold"),
            BELOW_THRESHOLD_RISE,
        )
    )
    found.append(
        _rise(
            "oov_rise",
            "未登录词比例",
            cat.get("oov_rate"),
            cat.get("reference_oov_rate"),
            OOV_RISE,
        )
    )
    return [w for w in found if w is not None]
