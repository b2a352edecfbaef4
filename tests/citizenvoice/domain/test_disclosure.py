"""Small-number protection: no public count below 5, rates hidden below n = 5."""

from __future__ import annotations

import pytest

from citizenvoice.domain.disclosure import (
    MIN_PUBLIC_COUNT,
    SUPPRESSED,
    median_hours,
    public_count,
    public_rate,
)
from citizenvoice.domain.scoring.stats import wilson_interval


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_counts_from_one_to_four_are_shown_as_less_than_five(count: int) -> None:
    assert public_count(count) == SUPPRESSED == "<5"


@pytest.mark.parametrize("count", [0, 5, 6, 1234])
def test_zero_and_counts_of_five_or_more_are_shown_as_they_are(count: int) -> None:
    assert public_count(count) == count


def test_a_rate_over_fewer_than_five_cases_is_not_published() -> None:
    rate = public_rate(3, 4)
    assert rate.n == SUPPRESSED and rate.percent is None and not rate.shown


def test_a_rate_carries_its_n_and_the_wilson_interval_of_the_scoring_rules() -> None:
    rate = public_rate(8, 10)
    interval = wilson_interval(8, 10)
    assert rate.n == 10 and rate.percent == 80.0
    assert rate.low == round(100 * interval.low, 1) and rate.high == round(100 * interval.high, 1)
    assert rate.low < rate.percent < rate.high


def test_the_median_needs_as_many_values_as_a_public_count() -> None:
    assert median_hours([1.0] * (MIN_PUBLIC_COUNT - 1)) is None
    assert median_hours([1.0, 2.0, 3.0, 4.0, 50.0]) == 3.0
