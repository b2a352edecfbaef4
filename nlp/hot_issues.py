"""Hot-issue index per topic or per duplicate group, from plain (key, time, likes) records.

For each key (a topic id or a duplicate-group id) with messages at times ``t_i`` and likes
``l_i``, measured at ``now`` (default: the latest timestamp in the records, so results never
depend on the wall clock):

* volume ``n`` = number of messages;
* growth ``g`` = ln((recent + 1) / (expected + 1)), where ``recent`` counts the messages of the
  last ``RECENT_DAYS`` before ``now`` and ``expected`` is the count of the ``BASELINE_DAYS``
  before that window scaled to the window's length: > 0 when the issue is accelerating;
* likes ``L`` = sum of likes (support from other residents);
* span ``s`` = days between the first and last message (an issue that keeps coming back).

``index = VOLUME_WEIGHT*ln(1+n) + LIKES_WEIGHT*ln(1+L) + GROWTH_WEIGHT*max(g, 0)
+ SPAN_WEIGHT*ln(1+s)``. Logarithms keep one viral message (thousands of likes) from drowning
twenty residents writing about the same street; only positive growth counts, so a quiet issue
is not punished twice (it already has few recent messages).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "BASELINE_DAYS",
    "GROWTH_WEIGHT",
    "LIKES_WEIGHT",
    "RECENT_DAYS",
    "SPAN_WEIGHT",
    "VOLUME_WEIGHT",
    "HotIssue",
    "HotRecord",
    "hot_issue_index",
]

#: Length of the "recent" window and of the baseline window before it (days).
RECENT_DAYS = 7.0
BASELINE_DAYS = 28.0
#: Weights of the four terms of the index.
VOLUME_WEIGHT = 1.0
LIKES_WEIGHT = 0.5
GROWTH_WEIGHT = 1.0
SPAN_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class HotRecord:
    """One message: the topic or group it belongs to, when it was posted, its likes."""

    key: Hashable
    time: datetime
    likes: int = 0


@dataclass(frozen=True, slots=True)
class HotIssue:
    """Hot-issue index of one key with its terms."""

    key: Hashable
    index: float
    volume: int
    recent: int
    expected: float
    growth: float
    likes: int
    span_days: float
    first_seen: datetime
    last_seen: datetime


def hot_issue_index(
    records: Iterable[HotRecord | tuple[Hashable, datetime, int]],
    now: datetime | None = None,
    recent_days: float = RECENT_DAYS,
    baseline_days: float = BASELINE_DAYS,
) -> list[HotIssue]:
    """Return the hot-issue index of every key, hottest first (ties: more messages, then key).

    Records after ``now`` are ignored. Raises ValueError for negative likes or windows.
    """
    if recent_days <= 0 or baseline_days <= 0:
        raise ValueError("recent_days and baseline_days must be positive")
    rows = [r if isinstance(r, HotRecord) else HotRecord(*r) for r in records]
    for r in rows:
        if r.likes < 0:
            raise ValueError(f"likes must be >= 0, got {r.likes} for {r.key!r}")
    if not rows:
        return []
    when = now if now is not None else max(r.time for r in rows)
    recent_start = when - timedelta(days=recent_days)
    base_start = recent_start - timedelta(days=baseline_days)
    by_key: dict[Hashable, list[HotRecord]] = defaultdict(list)
    for r in rows:
        if r.time <= when:
            by_key[r.key].append(r)
    out: list[HotIssue] = []
    for key, items in by_key.items():
        times = [r.time for r in items]
        recent = sum(1 for t in times if t > recent_start)
        earlier = sum(1 for t in times if base_start < t <= recent_start)
        expected = earlier * recent_days / baseline_days
        growth = math.log((recent + 1) / (expected + 1))
        likes = sum(r.likes for r in items)
        span = (max(times) - min(times)).total_seconds() / 86400.0
        index = (
            VOLUME_WEIGHT * math.log1p(len(items))
            + LIKES_WEIGHT * math.log1p(likes)
            + GROWTH_WEIGHT * max(growth, 0.0)
            + SPAN_WEIGHT * math.log1p(span)
        )
        out.append(
            HotIssue(
                key=key,
                index=round(index, 4),
                volume=len(items),
                recent=recent,
                expected=round(expected, 4),
                growth=round(growth, 4),
                likes=likes,
                span_days=round(span, 3),
                first_seen=min(times),
                last_seen=max(times),
            )
        )
    out.sort(key=lambda h: (-h.index, -h.volume, str(h.key)))
    return out
