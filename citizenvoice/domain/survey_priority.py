"""The priority question's rules: how many picks, and the tally (unweighted and group-weighted).

Weighted share of a candidate c over the groups g that have raters (R_g > 0)::

    share(c) = Σ_g w_g · picks(g, c) / R_g  /  Σ_g w_g

that is, the group-weighted mean of "the share of the group's raters who picked c". Each rater
picks at most three, so the shares of all candidates add up to at most 3. The unweighted figures
are the plain count of picks and its share of all raters. A group without raters takes no part
(its weight is left out of the denominator), as a short group in the scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["MAX_CANDIDATES", "MAX_PICKS", "PriorityTally", "clean_picks", "tally_priorities"]

MAX_CANDIDATES = 10
MAX_PICKS = 3


def clean_picks(raw: object, allowed: set[int]) -> list[int] | str:
    """The distinct candidate ids of a rater's answer, or a Chinese error message.

    None (or an absent field) is no pick; otherwise a list of 0-3 distinct integers (not
    booleans), each a candidate of this campaign.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        return "须为候选事项编号的列表"
    if len(raw) > MAX_PICKS:
        return f"最多选择 {MAX_PICKS} 项"
    if any(isinstance(x, bool) or not isinstance(x, int) for x in raw):
        return "须为候选事项编号（整数）"
    if len(set(raw)) != len(raw):
        return "不能重复选择同一事项"
    if any(x not in allowed for x in raw):
        return "所选事项不在本问卷中"
    return list(raw)


@dataclass(frozen=True)
class PriorityTally:
    """One candidate's tally: picks, share of all raters, group-weighted share."""

    candidate: int
    picks: int
    share: float | None
    weighted_share: float | None


def tally_priorities(
    candidates: Sequence[int],
    picks: Mapping[tuple[int, int], int],
    groups: Mapping[int, tuple[float, int]],
) -> list[PriorityTally]:
    """Tally per candidate, highest weighted share first (then picks, then candidate order).

    ``picks``: (group, candidate) -> number of picks; ``groups``: group -> (weight, raters).
    """
    counted = {g: (w, n) for g, (w, n) in groups.items() if n > 0 and w > 0}
    total_weight = sum(w for w, _ in counted.values())
    raters = sum(n for _, n in groups.values() if n > 0)
    out = []
    for candidate in candidates:
        count = sum(v for (_, c), v in picks.items() if c == candidate)
        weighted = (
            sum(w * picks.get((g, candidate), 0) / n for g, (w, n) in counted.items())
            / total_weight
            if total_weight > 0
            else None
        )
        out.append(PriorityTally(candidate, count, count / raters if raters else None, weighted))
    order = {c: i for i, c in enumerate(candidates)}
    return sorted(out, key=lambda t: (-(t.weighted_share or 0.0), -t.picks, order[t.candidate]))
