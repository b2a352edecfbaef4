"""Interval estimates and shrinkage used by the indicators (pure math, no data access).

* Proportions: the Wilson score interval (Wilson 1927), which behaves at 0 and n (unlike the
  Wald interval) and is what Newcombe (1998) recommends for small n.
* Means of bounded values (sentiment, reply quality): a Student t interval from n, sum and
  sum of squares, so the database can hand in GROUP BY aggregates; clipped to the value's
  range. A bootstrap would need the raw rows and a random seed, and is not reproducible from
  aggregates, so it is not used.
* 1-5 ratings: a Bayesian average in the normal-normal model with a prior worth ``m`` ratings
  at the city mean, and its normal credible interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Z_95",
    "Interval",
    "bayesian_average",
    "mean_interval",
    "sample_variance",
    "shrunk_interval",
    "t_quantile_975",
    "wilson_interval",
]

#: Two-sided 95% standard normal quantile (scipy.stats.norm.ppf(0.975)).
Z_95 = 1.959963984540054

# Exact 0.975 quantiles of Student's t for 1..30 degrees of freedom (scipy.stats.t.ppf),
# beyond which the Cornish-Fisher expansion below is accurate to better than 1e-7.
_T_975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
    2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
    2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
    2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
)  # fmt: skip


@dataclass(frozen=True)
class Interval:
    """A closed interval [low, high]."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return self.low <= value <= self.high

    def scaled(self, offset: float, factor: float) -> Interval:
        """The interval mapped by ``x -> (x - offset) * factor`` (factor > 0)."""
        return Interval((self.low - offset) * factor, (self.high - offset) * factor)


def wilson_interval(successes: float, n: int, z: float = Z_95) -> Interval:
    """Wilson score interval for ``successes`` out of ``n`` (``successes`` may be fractional).

    With graded credit (基本满意 = 0.9) the success count is fractional; the binomial variance
    p(1-p)/n is then an upper bound on the variance of a [0, 1] mean, so the interval is
    conservative. It always contains the point estimate successes / n.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must lie in [0, n]")
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(max(p * (1.0 - p) / n + z2 / (4 * n * n), 0.0)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(min(low, p), max(high, p))


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df <= len(_T_975):
        return _T_975[df - 1]
    z = Z_95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4)
    )


def sample_variance(n: int, total: float, total_sq: float) -> float:
    """Unbiased sample variance from n, sum and sum of squares (0 for n < 2, never negative)."""
    if n < 2:
        return 0.0
    return max((total_sq - total * total / n) / (n - 1), 0.0)


def mean_interval(n: int, total: float, total_sq: float, low: float, high: float) -> Interval:
    """95% t interval of a mean of values in [low, high], clipped to that range.

    With one observation the spread is unknown and the interval is the whole range.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    mean = min(max(total / n, low), high)
    if n == 1:
        return Interval(low, high)
    half = t_quantile_975(n - 1) * math.sqrt(sample_variance(n, total, total_sq) / n)
    return Interval(max(low, mean - half), min(high, mean + half))


def bayesian_average(n: int, total: float, prior_mean: float, prior_weight: float) -> float:
    """(m * prior_mean + sum) / (m + n): the mean shrunk toward ``prior_mean``.

    The prior counts as ``prior_weight`` (m) observations at ``prior_mean``; as n grows the
    result converges to the raw mean total / n, and with n = 0 it is the prior mean.
    """
    if n < 0 or prior_weight < 0 or n + prior_weight == 0:
        raise ValueError("need n + prior_weight > 0")
    return (prior_weight * prior_mean + total) / (prior_weight + n)


def shrunk_interval(
    n: int,
    total: float,
    total_sq: float,
    prior_mean: float,
    prior_variance: float,
    prior_weight: float,
    low: float,
    high: float,
) -> Interval:
    """95% normal credible interval around the Bayesian average, clipped to [low, high].

    The spread is pooled like the mean: the prior contributes m observations' worth of the
    city-wide variance, the department its own squared deviations, so a department with two
    identical ratings does not get a zero-width interval. The posterior standard error is
    that spread over sqrt(n + m).
    """
    centre = bayesian_average(n, total, prior_mean, prior_weight)
    deviations = max(total_sq - total * total / n, 0.0) if n else 0.0
    dof = prior_weight + max(n - 1, 0)
    variance = (prior_weight * prior_variance + deviations) / dof if dof > 0 else prior_variance
    half = Z_95 * math.sqrt(variance / (n + prior_weight))
    return Interval(max(low, centre - half), min(high, centre + half))
