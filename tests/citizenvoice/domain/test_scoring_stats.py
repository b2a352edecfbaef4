"""Interval estimates and shrinkage: Wilson against published values, t quantiles, Bayesian average."""

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.scoring.stats import (
    Z_95,
    bayesian_average,
    mean_interval,
    shrunk_interval,
    t_quantile_975,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # The textbook 10-trial cases (e.g. Brown, Cai & DasGupta 2001; Wikipedia "Binomial
        # proportion confidence interval"): 0/10, 10/10, 5/10.
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (5, 10, 0.2366, 0.7634),
        # Newcombe (1998), Statistics in Medicine 17:857, Table I, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    ci = wilson_interval(successes, n)
    assert round(ci.low, 4) == low
    assert round(ci.high, 4) == high


def test_wilson_interval_is_exact_at_the_edges():
    assert wilson_interval(0, 7).low == 0.0
    assert wilson_interval(7, 7).high == 1.0


@pytest.mark.parametrize(("successes", "n"), [(1, 0), (-1, 5), (6, 5)])
def test_wilson_interval_rejects_impossible_counts(successes, n):
    with pytest.raises(ValueError, match=r"n must be positive|successes"):
        wilson_interval(successes, n)


@given(n=st.integers(1, 10_000), data=st.data())
def test_wilson_interval_contains_the_point_estimate_and_stays_in_0_1(n, data):
    successes = data.draw(st.floats(0, n, allow_nan=False))
    ci = wilson_interval(successes, n)
    assert 0.0 <= ci.low <= successes / n <= ci.high <= 1.0


def test_t_quantiles_match_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in [*range(1, 40), 50, 100, 1000, 10**6]:
        assert t_quantile_975(df) == pytest.approx(float(scipy_stats.t.ppf(0.975, df)), abs=1e-6)
    assert t_quantile_975(10**9) == pytest.approx(Z_95, abs=1e-8)


def test_mean_interval_is_the_t_interval_clipped_to_the_range():
    values = [0.2, 0.4, 0.6, 0.8]
    ci = mean_interval(4, sum(values), sum(v * v for v in values), 0.0, 1.0)
    sd = math.sqrt(sum((v - 0.5) ** 2 for v in values) / 3)
    half = 3.182446 * sd / 2
    assert ci.low == pytest.approx(max(0.0, 0.5 - half))
    assert ci.high == pytest.approx(min(1.0, 0.5 + half))
    assert mean_interval(1, 0.3, 0.09, 0.0, 1.0) == mean_interval(1, 0.9, 0.81, 0.0, 1.0)


@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=60))
def test_mean_interval_contains_the_mean(values):
    total = math.fsum(values)
    ci = mean_interval(len(values), total, math.fsum(v * v for v in values), 0.0, 1.0)
    assert 0.0 <= ci.low <= min(max(total / len(values), 0.0), 1.0) <= ci.high <= 1.0


def test_bayesian_average_with_no_data_is_the_prior_mean():
    assert bayesian_average(0, 0.0, prior_mean=3.8, prior_weight=15) == 3.8


@given(
    stars=st.lists(st.integers(1, 5), min_size=1, max_size=200),
    prior_mean=st.floats(1, 5),
    m=st.floats(0.5, 100),
)
def test_bayesian_average_lies_between_the_raw_mean_and_the_city_mean(stars, prior_mean, m):
    raw = sum(stars) / len(stars)
    shrunk = bayesian_average(len(stars), sum(stars), prior_mean, m)
    assert min(raw, prior_mean) - 1e-12 <= shrunk <= max(raw, prior_mean) + 1e-12
    assert abs(shrunk - prior_mean) <= abs(raw - prior_mean) + 1e-12


@given(raw=st.floats(1, 5), prior_mean=st.floats(1, 5), m=st.floats(1, 50))
def test_bayesian_average_converges_to_the_raw_mean_as_n_grows(raw, prior_mean, m):
    gaps = [
        abs(bayesian_average(n, raw * n, prior_mean, m) - raw) for n in (1, 10, 100, 10**4, 10**7)
    ]
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(gaps))
    assert gaps[-1] <= m * abs(prior_mean - raw) / 10**7 + 1e-9


def test_shrunk_interval_is_centred_on_the_bayesian_average_and_narrows_with_n():
    small = shrunk_interval(5, 25.0, 125.0, 3.5, 1.4, 15.0, 1.0, 5.0)
    large = shrunk_interval(500, 2500.0, 12500.0, 3.5, 1.4, 15.0, 1.0, 5.0)
    assert small.contains(bayesian_average(5, 25.0, 3.5, 15.0))
    assert large.contains(bayesian_average(500, 2500.0, 3.5, 15.0))
    assert large.high - large.low < small.high - small.low
