"""Anomaly checks of survey answers, from aggregates only (answers are not linked to raters).

- a group that rates a department far from every other group (``group_outliers``);
- bursts: an hour with many times a group's usual number of answers (``bursts``).

Raised by ``flask appraisal check`` for the office to look at; never while answering or
computing, and nothing is excluded automatically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from statistics import median

__all__ = ["DEFAULT_BURST_FACTOR", "DEFAULT_OUTLIER_GAP", "SurveyFlag", "bursts", "group_outliers"]

# Points on the 0-100 scale between a group's score and the mean of the other groups: 25 is more
# than one whole judgement step (满意 100 / 比较满意 80 / 基本满意 60) plus the usual interval.
DEFAULT_OUTLIER_GAP = 25.0
# An hour with five times the group's median hourly answers (and at least 20) is a burst.
DEFAULT_BURST_FACTOR = 5.0
MIN_BURST = 20


@dataclass(frozen=True)
class SurveyFlag:
    """One finding for the office: kind, group, department (or hour) and a Chinese message."""

    kind: str
    group: str
    subject: str
    message: str


def group_outliers(
    department: str,
    scores: Mapping[str, tuple[float | None, int, int]],
    gap: float = DEFAULT_OUTLIER_GAP,
) -> list[SurveyFlag]:
    """Groups (score, n, min_n) whose score is ``gap`` or more from every other group's.

    Only groups with enough answers take part, and at least two others are needed to compare.
    """
    usable = {g: s for g, (s, n, min_n) in scores.items() if s is not None and n >= min_n}
    flags = []
    for group, score in sorted(usable.items()):
        others = [s for g, s in usable.items() if g != group]
        if len(others) < 2:
            continue
        mean = sum(others) / len(others)
        # Far from every other group, not merely from their mean (one odd group would
        # otherwise drag the mean and flag the groups that agree with each other).
        if min(abs(score - other) for other in others) >= gap:
            flags.append(
                SurveyFlag(
                    "group_outlier",
                    group,
                    department,
                    f"{group} 对 {department} 的评分 {score:.1f}"
                    f" 与其他群体均值 {mean:.1f} 相差过大",
                )
            )
    return flags


def bursts(
    group: str, per_hour: Mapping[str, int], factor: float = DEFAULT_BURST_FACTOR
) -> list[SurveyFlag]:
    """Hours (label -> raters answering) with ``factor`` times the group's median or more."""
    if len(per_hour) < 3:
        return []
    usual = median(per_hour.values())
    return [
        SurveyFlag(
            "burst", group, hour, f"{group} 在 {hour} 提交 {count} 份，远高于通常的 {usual:g} 份"
        )
        for hour, count in sorted(per_hour.items())
        if count >= MIN_BURST and count >= factor * usual
    ]
