"""What the public may see: small-number protection and published rates with their intervals.

A count below ``MIN_PUBLIC_COUNT`` (5) is never shown on a public page or in an open-data file:
it is replaced by ``SUPPRESSED`` ("<5"), so that no resident can be singled out by a cell such
as "1 complaint about noise in this department this month". A rate whose denominator is below
the same bound is not shown either (its numerator could be worked back). Appraisal scores
keep their n: they describe departments, not residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from citizenvoice.domain.scoring.stats import wilson_interval

__all__ = [
    "MIN_PUBLIC_COUNT",
    "SUPPRESSED",
    "PublicRate",
    "median_hours",
    "public_count",
    "public_rate",
    "suppressed",
]

#: The smallest count a public cell may show (the usual statistical-disclosure threshold).
MIN_PUBLIC_COUNT = 5
#: What a public cell shows instead of a count below MIN_PUBLIC_COUNT.
SUPPRESSED = "<5"


def suppressed(count: int) -> bool:
    """Whether a count is too small to publish (zero is published: it singles no one out)."""
    return 0 < count < MIN_PUBLIC_COUNT


def public_count(count: int) -> int | str:
    """The count as a public cell shows it: the number, or "<5"."""
    return SUPPRESSED if suppressed(count) else int(count)


@dataclass(frozen=True)
class PublicRate:
    """A published proportion in per cent with its 95% Wilson interval and its n.

    ``percent``, ``low`` and ``high`` are None when n is suppressed or zero; ``n`` is then the
    public cell ("<5" or 0).
    """

    n: int | str
    percent: float | None
    low: float | None
    high: float | None

    @property
    def shown(self) -> bool:
        """Whether there is a figure to show."""
        return self.percent is not None


def public_rate(successes: float, n: int) -> PublicRate:
    """``successes`` out of ``n`` as a public rate (Wilson 95%), suppressed below the bound."""
    if n <= 0 or suppressed(n):
        return PublicRate(public_count(n), None, None, None)
    successes = min(max(successes, 0.0), float(n))
    interval = wilson_interval(successes, n)
    return PublicRate(
        n,
        round(100 * successes / n, 1),
        round(100 * interval.low, 1),
        round(100 * interval.high, 1),
    )


def median_hours(durations_hours: list[float]) -> float | None:
    """Median of durations in hours (one decimal); None below MIN_PUBLIC_COUNT values."""
    if len(durations_hours) < MIN_PUBLIC_COUNT:
        return None
    return round(median(durations_hours), 1)
