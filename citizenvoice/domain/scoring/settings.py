"""Scoring settings: indicators, satisfaction credits, citizen-dimension weights and presets.

Every default is a named constant with the reason for its value. A period stores one frozen
``ScoringSettings``; changing a weight means a new settings object (and a new audited version
of the period's index system), never mutating the old one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# The follow-up answers have one home (the case vocabulary); scoring only gives them credit.
from citizenvoice.domain.cases import Satisfaction

__all__ = [
    "BEIJING_12345_WEIGHTS",
    "CITIZENVOICE_WEIGHTS",
    "DEFAULT_BASIC_SATISFIED_CREDIT",
    "DEFAULT_MIN_COVERED_WEIGHT",
    "DEFAULT_MIN_N",
    "DEFAULT_RATING_PRIOR_WEIGHT",
    "INDICATOR_ORDER",
    "WEIGHT_TOLERANCE",
    "CitizenWeights",
    "Indicator",
    "InsufficientRule",
    "Satisfaction",
    "ScoringSettings",
    "satisfaction_credit",
]

# Beijing 12345 counts 基本满意 as 0.9 of 满意 in its satisfaction rate (满意率); the default
# follows that published practice, a period may change it (e.g. 0.8 or 1.0).
DEFAULT_BASIC_SATISFIED_CREDIT = 0.9


def satisfaction_credit(
    satisfied: float,
    basically_satisfied: float,
    basic_credit: float = DEFAULT_BASIC_SATISFIED_CREDIT,
) -> float:
    """The numerator of 满意率: 满意 count fully, 基本满意 at ``basic_credit``, 不满意 not at all.

    The one home of the 基本满意 rule: the appraisal's indicator and the staff dashboard both
    call it (the appraisal with its period's credit, the dashboard with the default).
    """
    return satisfied + basic_credit * basically_satisfied


# Fewer than 30 observations give a 95% Wilson interval about ±15 points wide at p = 0.8:
# too wide to rank departments on. 30 is also the usual "n >= 30" normal-approximation rule.
DEFAULT_MIN_N = 30

# Prior weight m of the Bayesian average of 1-5 ratings, in "ratings at the city mean".
# In the normal-normal model m = sigma_within^2 / tau_between^2; with a within-department
# spread of ~1.2 stars (variance ~1.45) and a spread of true department means of ~0.3 stars
# (variance ~0.09) that is ~16, rounded to 15: a department with 15 ratings sits halfway
# between its own mean and the city mean, one with 300 (a normal month) is 95% its own.
DEFAULT_RATING_PRIOR_WEIGHT = 15.0

# Under InsufficientRule.REWEIGHT a department is scored only if its indicators with enough
# data carry at least half of the weight; below that the formula is mostly missing.
DEFAULT_MIN_COVERED_WEIGHT = 0.5

# Weights entered by hand as fractions (0.1 + 0.5 + 0.4) or percentages must sum to 1 or 100;
# this absorbs binary rounding of decimal input, not real mistakes.
WEIGHT_TOLERANCE = 1e-6


class Indicator(StrEnum):
    """The citizen-dimension indicators; the value is the stable code stored and published."""

    RESPONSE = "response"
    RESOLUTION = "resolution"
    SATISFACTION = "satisfaction"
    RATING = "rating"
    SENTIMENT = "sentiment"
    REPEAT = "repeat"
    ON_TIME = "on_time"
    REPLY_QUALITY = "reply_quality"
    # 社会评价 surveys of rater groups; present in a period's results once it has answers.
    SURVEY = "survey"

    @property
    def label(self) -> str:
        """The Chinese name shown to staff and the public."""
        return _INDICATOR_LABELS[self]


_INDICATOR_LABELS: dict[Indicator, str] = {
    Indicator.RESPONSE: "响应率",
    Indicator.RESOLUTION: "解决率",
    Indicator.SATISFACTION: "满意率",
    Indicator.RATING: "服务评分",
    Indicator.SENTIMENT: "诉求情感指数",
    Indicator.REPEAT: "重复投诉控制",
    Indicator.ON_TIME: "按时答复率",
    Indicator.REPLY_QUALITY: "答复质量",
    Indicator.SURVEY: "社会评价问卷",
}

#: Stable order of indicators in every output (the order of the enum).
INDICATOR_ORDER: tuple[Indicator, ...] = tuple(Indicator)


class InsufficientRule(StrEnum):
    """What happens to the citizen score when a weighted indicator has too little data."""

    # Default. Ranks compare one formula across departments; re-weighting would let a
    # department drop exactly the indicator it is weak on by having few observations there
    # (e.g. by not encouraging ratings), so it is shown as 样本不足 and not ranked instead.
    NOT_RANKED = "not_ranked"
    # Opt-in: renormalise the weights over indicators with enough data, if they cover at
    # least ``min_covered_weight`` of the weight.
    REWEIGHT = "reweight"


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class CitizenWeights:
    """Indicator weights of the citizen dimension, stored as fractions summing to 1.

    Build with ``CitizenWeights.of({Indicator.RESPONSE: 10, ...})``: the input may sum to 1 or
    to 100; anything else raises ``ValueError`` with a Chinese message for the office.
    """

    weights: tuple[tuple[Indicator, float], ...]

    def __post_init__(self) -> None:
        """Validate and normalise to fractions in the stable indicator order."""
        if not self.weights:
            raise ValueError("至少需要为一个指标设置权重")
        seen: set[Indicator] = set()
        for indicator, weight in self.weights:
            indicator = Indicator(indicator)
            if indicator in seen:
                raise ValueError(f"指标重复设置权重：{indicator.label}")
            seen.add(indicator)
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"指标权重必须是非负数：{indicator.label} = {weight}")
        total = math.fsum(w for _, w in self.weights)
        if abs(total - 1.0) <= WEIGHT_TOLERANCE:
            scale = 1.0
        elif abs(total - 100.0) <= 100 * WEIGHT_TOLERANCE:
            scale = 100.0
        else:
            raise ValueError(f"指标权重之和必须为 1 或 100，当前为 {_fmt(total)}")
        by_indicator = {Indicator(i): w / scale for i, w in self.weights}
        ordered = tuple((i, by_indicator[i]) for i in INDICATOR_ORDER if i in by_indicator)
        object.__setattr__(self, "weights", ordered)

    @classmethod
    def of(cls, weights: Mapping[Indicator, float]) -> CitizenWeights:
        """Weights from a mapping indicator -> weight (summing to 1 or 100)."""
        return cls(tuple(weights.items()))

    def as_dict(self) -> dict[Indicator, float]:
        """Indicator -> fraction of the citizen score (sums to 1)."""
        return dict(self.weights)


# Beijing 12345 practice: 响应率 10%, 解决率 50%, 满意率 40%.
BEIJING_12345_WEIGHTS = CitizenWeights.of(
    {Indicator.RESPONSE: 10, Indicator.RESOLUTION: 50, Indicator.SATISFACTION: 40}
)

# CitizenVoice preset over all indicators. What residents tell us directly dominates: the three
# follow-up rates keep 60% in Beijing's 1:5:4 ratio (6/30/24) and the resident's own 1-5
# rating adds 15; process facts (on-time 10, repeat complaints 5) add 15; the two
# machine-read text signals (sentiment 5, reply quality 5) get only 10 so that model errors
# cannot move a rank much.
CITIZENVOICE_WEIGHTS = CitizenWeights.of(
    {
        Indicator.RESPONSE: 6,
        Indicator.RESOLUTION: 30,
        Indicator.SATISFACTION: 24,
        Indicator.RATING: 15,
        Indicator.ON_TIME: 10,
        Indicator.REPEAT: 5,
        Indicator.SENTIMENT: 5,
        Indicator.REPLY_QUALITY: 5,
    }
)


@dataclass(frozen=True)
class ScoringSettings:
    """Everything a period may configure about the citizen-dimension formulas."""

    weights: CitizenWeights = BEIJING_12345_WEIGHTS
    basic_satisfied_credit: float = DEFAULT_BASIC_SATISFIED_CREDIT
    min_n: int = DEFAULT_MIN_N
    # Per-indicator overrides of ``min_n``, e.g. ((Indicator.RATING, 10),).
    min_n_overrides: tuple[tuple[Indicator, int], ...] = field(default=())
    rating_prior_weight: float = DEFAULT_RATING_PRIOR_WEIGHT
    # None: the prior mean is the city-wide mean of the period's scored ratings.
    rating_prior_mean: float | None = None
    insufficient_rule: InsufficientRule = InsufficientRule.NOT_RANKED
    min_covered_weight: float = DEFAULT_MIN_COVERED_WEIGHT

    def __post_init__(self) -> None:
        """Reject settings no formula can use, with Chinese messages."""
        if not 0.0 <= self.basic_satisfied_credit <= 1.0:
            raise ValueError("“基本满意”的计分系数必须在 0 到 1 之间")
        if self.min_n < 1 or any(n < 1 for _, n in self.min_n_overrides):
            raise ValueError("最小样本量必须至少为 1")
        if not (math.isfinite(self.rating_prior_weight) and self.rating_prior_weight >= 0):
            raise ValueError("评分先验权重必须是非负数")
        if self.rating_prior_mean is not None and not 1.0 <= self.rating_prior_mean <= 5.0:
            raise ValueError("评分先验均值必须在 1 到 5 之间")
        if not 0.0 < self.min_covered_weight <= 1.0:
            raise ValueError("可用指标的最低权重覆盖率必须在 0 到 1 之间")

    def min_n_for(self, indicator: Indicator) -> int:
        """The minimum n below which ``indicator`` is 样本不足."""
        return dict(self.min_n_overrides).get(indicator, self.min_n)
