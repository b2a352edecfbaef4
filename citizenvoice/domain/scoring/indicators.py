"""Per-department indicators, each on a 0-100 scale with its n and a 95% interval.

Formulas (score = 100 x value unless stated):
* 响应率 RESPONSE = contacted / follow-ups; 解决率 RESOLUTION = resolved / follow-ups.
* 满意率 SATISFACTION = (满意 + c x 基本满意) / answered follow-ups, c = 0.9 by default.
* 服务评分 RATING = Bayesian average of 1-5 stars with m ratings at the city mean, mapped
  1 -> 0 and 5 -> 100; interval: normal credible interval (``stats.shrunk_interval``).
* 诉求情感指数 SENTIMENT = mean sentiment in [0, 1]; 答复质量 REPLY_QUALITY = mean reply
  quality in [0, 1]; both with a t interval.
* 重复投诉控制 REPEAT = 1 - share of cases in duplicate groups of size >= 2 (lower repeat
  rate is better); 按时答复率 ON_TIME = replied in time / cases with a decided verdict.
Proportions get Wilson intervals. Below the minimum n an indicator is 样本不足 (``sufficient``
False); its score is still shown when n > 0, but it cannot carry a rank.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from citizenvoice.domain.scoring.records import RATING_MAX, RATING_MIN, DepartmentCounts
from citizenvoice.domain.scoring.settings import Indicator, ScoringSettings, satisfaction_credit
from citizenvoice.domain.scoring.stats import (
    Interval,
    mean_interval,
    sample_variance,
    shrunk_interval,
    wilson_interval,
)
from citizenvoice.domain.survey import combine_groups, group_score

__all__ = [
    "DEFAULT_CITY_RATING_VARIANCE",
    "INSUFFICIENT_LABEL",
    "CityRatingPrior",
    "IndicatorResult",
    "IntervalMethod",
    "city_rating_prior",
    "compute_indicators",
]

#: Shown instead of a rank when an indicator or a department lacks data.
INSUFFICIENT_LABEL = "样本不足"

# Variance of 1-5 ratings used when the city has fewer than two ratings: the variance of
# stars spread evenly over 1..5 is 2.0, a deliberately wide (uninformative) guess.
DEFAULT_CITY_RATING_VARIANCE = 2.0

_PERCENT = 100.0
_STAR_RANGE = RATING_MAX - RATING_MIN


class IntervalMethod:
    """Names of the interval methods, as published with every indicator."""

    WILSON = "wilson"
    T = "t"
    BAYES_NORMAL = "bayes-normal"
    GROUP_WEIGHTED = "group-weighted-normal"


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one department: score 0-100, interval on the same scale, n."""

    indicator: Indicator
    n: int
    value: float | None  # natural unit: a rate in [0, 1], or mean stars for RATING (raw mean)
    score: float | None  # 0-100, None when n = 0
    low: float | None
    high: float | None
    method: str
    sufficient: bool

    @property
    def label(self) -> str:
        """Chinese indicator name."""
        return self.indicator.label

    @property
    def status_label(self) -> str:
        """Empty when usable, 样本不足 otherwise."""
        return "" if self.sufficient else INSUFFICIENT_LABEL


@dataclass(frozen=True)
class CityRatingPrior:
    """The prior of the rating Bayesian average: city mean and variance of 1-5 stars."""

    mean: float
    variance: float


def city_rating_prior(
    counts: Iterable[DepartmentCounts], settings: ScoringSettings
) -> CityRatingPrior:
    """City-wide mean and variance of the period's ratings over all departments.

    ``settings.rating_prior_mean`` overrides the mean. With no ratings at all the prior
    mean is the middle of the scale (3 stars).
    """
    n = 0
    totals: list[float] = []
    squares: list[float] = []
    for c in counts:
        n += c.ratings.n
        totals.append(c.ratings.total)
        squares.append(c.ratings.total_sq)
    total, total_sq = math.fsum(totals), math.fsum(squares)
    observed_mean = total / n if n else (RATING_MIN + RATING_MAX) / 2
    mean = settings.rating_prior_mean if settings.rating_prior_mean is not None else observed_mean
    variance = sample_variance(n, total, total_sq) if n >= 2 else DEFAULT_CITY_RATING_VARIANCE
    return CityRatingPrior(mean, variance)


def _proportion(
    indicator: Indicator, successes: float, n: int, settings: ScoringSettings, invert: bool = False
) -> IndicatorResult:
    sufficient = n >= settings.min_n_for(indicator)
    if n == 0:
        return IndicatorResult(indicator, 0, None, None, None, None, IntervalMethod.WILSON, False)
    rate = successes / n
    ci = wilson_interval(successes, n)
    if invert:
        rate, ci = 1.0 - rate, Interval(1.0 - ci.high, 1.0 - ci.low)
    return IndicatorResult(
        indicator,
        n,
        rate,
        _PERCENT * rate,
        _PERCENT * ci.low,
        _PERCENT * ci.high,
        IntervalMethod.WILSON,
        sufficient,
    )


def _unit_mean(
    indicator: Indicator, n: int, total: float, total_sq: float, settings: ScoringSettings
) -> IndicatorResult:
    if n == 0:
        return IndicatorResult(indicator, 0, None, None, None, None, IntervalMethod.T, False)
    mean = min(max(total / n, 0.0), 1.0)
    ci = mean_interval(n, total, total_sq, 0.0, 1.0)
    return IndicatorResult(
        indicator,
        n,
        mean,
        _PERCENT * mean,
        _PERCENT * ci.low,
        _PERCENT * ci.high,
        IntervalMethod.T,
        n >= settings.min_n_for(indicator),
    )


def _rating(
    counts: DepartmentCounts, prior: CityRatingPrior, settings: ScoringSettings
) -> IndicatorResult:
    r = counts.ratings
    if r.n == 0:
        return IndicatorResult(
            Indicator.RATING, 0, None, None, None, None, IntervalMethod.BAYES_NORMAL, False
        )
    m = settings.rating_prior_weight
    ci = shrunk_interval(
        r.n, r.total, r.total_sq, prior.mean, prior.variance, m, RATING_MIN, RATING_MAX
    )
    centre = (m * prior.mean + r.total) / (m + r.n)
    factor = _PERCENT / _STAR_RANGE
    score = min(max((centre - RATING_MIN) * factor, 0.0), _PERCENT)
    scaled = ci.scaled(RATING_MIN, factor)
    return IndicatorResult(
        Indicator.RATING,
        r.n,
        r.total / r.n,
        score,
        max(0.0, min(scaled.low, score)),
        min(_PERCENT, max(scaled.high, score)),
        IntervalMethod.BAYES_NORMAL,
        r.n >= settings.min_n_for(Indicator.RATING),
    )


def _survey(counts: DepartmentCounts) -> IndicatorResult:
    """社会评价问卷: the group-weighted survey score (groups under their minimum n left out)."""
    parts = []
    for g in counts.survey:
        tally = {
            "satisfied": g.satisfied,
            "fairly": g.fairly,
            "basic": g.basic,
            "dissatisfied": g.dissatisfied,
            "unknown": g.unknown,
        }
        values = dict(zip(("satisfied", "fairly", "basic", "dissatisfied"), g.scores, strict=True))
        parts.append((g.group, g.weight, g.min_n, group_score(tally, values)))
    combined = combine_groups(parts)
    return IndicatorResult(
        Indicator.SURVEY,
        combined.n,
        combined.score,
        combined.score,
        combined.low,
        combined.high,
        IntervalMethod.GROUP_WEIGHTED,
        combined.sufficient,
    )


def compute_indicators(
    counts: DepartmentCounts, settings: ScoringSettings, prior: CityRatingPrior
) -> tuple[IndicatorResult, ...]:
    """The indicators of one department, in the stable indicator order.

    ``prior`` comes from ``city_rating_prior`` over all departments of the period. The survey
    indicator is there when the period has survey answers or weights it; otherwise results
    stay exactly as they were before surveys existed.
    """
    survey = (
        (_survey(counts),)
        if counts.survey or settings.weights.as_dict().get(Indicator.SURVEY, 0) > 0
        else ()
    )
    c = counts
    credit = satisfaction_credit(
        c.satisfied, c.basically_satisfied, settings.basic_satisfied_credit
    )
    return (
        _proportion(Indicator.RESPONSE, c.contacted, c.follow_ups, settings),
        _proportion(Indicator.RESOLUTION, c.resolved, c.follow_ups, settings),
        _proportion(Indicator.SATISFACTION, credit, c.satisfaction_answers, settings),
        _rating(c, prior, settings),
        _unit_mean(
            Indicator.SENTIMENT, c.sentiment.n, c.sentiment.total, c.sentiment.total_sq, settings
        ),
        _proportion(Indicator.REPEAT, c.repeat_cases, c.cases, settings, invert=True),
        _proportion(Indicator.ON_TIME, c.on_time_cases, c.due_cases, settings),
        _unit_mean(
            Indicator.REPLY_QUALITY,
            c.reply_quality.n,
            c.reply_quality.total,
            c.reply_quality.total_sq,
            settings,
        ),
        *survey,
    )
