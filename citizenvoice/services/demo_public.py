"""The public side of the demo data: which demo cases agreed to publication, and where.

A deterministic share of the demo submissions is filed with 同意公开 and a location near a
demo city centre (WGS-84), as a resident's phone would send it, so that ``make run`` shows
example messages on /open/issues, a populated Open311 listing and a non-empty public-cases
open-data file. The same index always gives the same answer.
"""

from __future__ import annotations

import random
from typing import Final

__all__ = ["DEMO_CENTRE", "PUBLIC_SHARE", "demo_public_fields"]

#: The demo city's centre (a made-up city on real coordinates: Hangzhou's West Lake).
DEMO_CENTRE: Final = (30.2590, 120.1550)
#: Share of demo cases whose residents agreed to publication (real intake: a minority).
PUBLIC_SHARE: Final = 0.4
# About ten kilometres around the centre: a city's built-up area.
_SPREAD_DEGREES: Final = 0.08
_SEED: Final = 20261204


def demo_public_fields(index: int) -> dict[str, object]:
    """The intake fields of demo submission ``index``: consent and, if consented, lat/long."""
    rng = random.Random(_SEED * 100_003 + index)  # noqa: S311 (demo data, not a secret)
    if rng.random() >= PUBLIC_SHARE:
        return {}
    return {
        "public_consent": True,
        "lat": round(DEMO_CENTRE[0] + rng.uniform(-_SPREAD_DEGREES, _SPREAD_DEGREES), 6),
        "long": round(DEMO_CENTRE[1] + rng.uniform(-_SPREAD_DEGREES, _SPREAD_DEGREES), 6),
    }
