"""The citizen dimension (社会评价 / 市民评价): a weighted sum of indicator scores.

score = sum(weight_i x score_i) with the period's ``CitizenWeights`` (fractions summing to 1),
so it stays in [0, 100]. Indicators with zero weight never matter. What happens when a
weighted indicator is 样本不足 is ``ScoringSettings.insufficient_rule`` (see its comments):
by default the department gets no citizen score and is not ranked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from citizenvoice.domain.scoring.indicators import IndicatorResult
from citizenvoice.domain.scoring.settings import Indicator, InsufficientRule, ScoringSettings

__all__ = ["CitizenScore", "citizen_score"]


@dataclass(frozen=True)
class CitizenScore:
    """One department's citizen dimension: the score (None if not ranked) and why."""

    department: str
    score: float | None
    # A conservative band: the same weighted sum over the indicators' interval ends. If every
    # indicator lies in its 95% interval the score lies in the band (coverage >= 95% per
    # indicator, not an exact 95% for the sum); None when there is no score.
    low: float | None
    high: float | None
    indicators: tuple[IndicatorResult, ...]
    # The weights actually applied (after re-weighting, if that rule is on).
    applied_weights: tuple[tuple[Indicator, float], ...]
    reason: str | None  # Chinese, set when score is None or weights were renormalised

    @property
    def ranked(self) -> bool:
        """Whether the department has a citizen score to rank on."""
        return self.score is not None


def _shortfall(result: IndicatorResult, settings: ScoringSettings) -> str:
    return f"{result.label} n={result.n}<{settings.min_n_for(result.indicator)}"


def citizen_score(
    department: str, indicators: tuple[IndicatorResult, ...], settings: ScoringSettings
) -> CitizenScore:
    """Combine a department's indicators into its citizen score under ``settings``."""
    by_indicator = {r.indicator: r for r in indicators}
    weighted = [(i, w) for i, w in settings.weights.weights if w > 0]
    missing = [by_indicator[i] for i, _ in weighted if not by_indicator[i].sufficient]
    if missing and settings.insufficient_rule is InsufficientRule.NOT_RANKED:
        why = "样本不足，不参与排名：" + "；".join(_shortfall(r, settings) for r in missing)
        return CitizenScore(department, None, None, None, indicators, (), why)
    usable = [(i, w) for i, w in weighted if by_indicator[i].sufficient]
    covered = math.fsum(w for _, w in usable)
    if not usable or covered < settings.min_covered_weight - 1e-12:
        shortfall = (
            f"样本不足，不参与排名：有效指标权重仅占 {covered:.0%}，"
            f"低于 {settings.min_covered_weight:.0%}"
        )
        return CitizenScore(department, None, None, None, indicators, (), shortfall)
    applied = tuple((i, w / covered) for i, w in usable)
    total = math.fsum(w * _score(by_indicator[i]) for i, w in applied)
    score = min(max(total, 0.0), 100.0)
    low = math.fsum(w * _end(by_indicator[i].low) for i, w in applied)
    high = math.fsum(w * _end(by_indicator[i].high) for i, w in applied)
    reason: str | None = None
    if missing:
        reason = "部分指标样本不足，按其余指标重新分配权重：" + "；".join(
            _shortfall(r, settings) for r in missing
        )
    return CitizenScore(
        department,
        score,
        max(0.0, min(low, score)),
        min(100.0, max(high, score)),
        indicators,
        applied,
        reason,
    )


def _score(result: IndicatorResult) -> float:
    assert result.score is not None  # sufficient implies n >= 1, hence a score
    return result.score


def _end(value: float | None) -> float:
    assert value is not None  # sufficient implies an interval
    return value
