"""社会评价 surveys: ratings, score values, invitation codes, group presets and the score maths.

Pure rules, no database: the services store campaigns and answers and call these functions.
A rating is one of four judgements or 不了解 (unknown); 不了解 is left out of the score's
denominator and reported as its own share. The satisfaction rate, as Hangzhou publishes it, is
the share of the first three judgements among the known ones.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "DEFAULT_MIN_N",
    "DEFAULT_SCORES",
    "PRESETS",
    "CombinedScore",
    "GroupPreset",
    "GroupScore",
    "Rating",
    "combine_groups",
    "format_code",
    "generate_code",
    "group_score",
    "normalise_code",
    "satisfaction_rate",
    "weighted_score",
]


class Rating(StrEnum):
    """One rater's overall judgement of one department."""

    SATISFIED = "satisfied"
    FAIRLY = "fairly"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The Chinese label shown on the questionnaire."""
        return _LABELS[self]


_LABELS = {
    Rating.SATISFIED: "满意",
    Rating.FAIRLY: "比较满意",
    Rating.BASIC: "基本满意",
    Rating.DISSATISFIED: "不满意",
    Rating.UNKNOWN: "不了解",
}

# Score values of the four judgements (configurable per campaign); 不了解 has none.
DEFAULT_SCORES: dict[str, float] = {
    Rating.SATISFIED.value: 100.0,
    Rating.FAIRLY.value: 80.0,
    Rating.BASIC.value: 60.0,
    Rating.DISSATISFIED.value: 0.0,
}
SATISFIED_RATINGS = (Rating.SATISFIED, Rating.FAIRLY, Rating.BASIC)
DEFAULT_MIN_N = 30

# Crockford base32 (no I, L, O, U); typed look-alikes are mapped back (O -> 0, I/L -> 1).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 bits: guessing one of 100,000 live codes takes ~10^13 tries
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_]+")
GROUP_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def generate_code() -> str:
    """A new random invitation code: 12 Crockford base32 characters, ungrouped."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def format_code(code: str) -> str:
    """The code in groups of four for letters (``ABCD-EFGH-JKMN``)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: object) -> str | None:
    """The canonical code from what a rater typed, or None if it is not a code at all.

    Any case, hyphens or spaces, and the look-alikes O, I and L are accepted.
    """
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    code = _SEPARATORS.sub("", typed).upper().translate(_LOOK_ALIKES)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


@dataclass(frozen=True)
class GroupPreset:
    """A rater group a preset creates (weights editable afterwards)."""

    code: str
    name: str
    weight: float


# Hangzhou 综合考评 社会评价: nine rater groups. Weights sum to 1 and are the office's to edit.
PRESETS: dict[str, tuple[GroupPreset, ...]] = {
    "hangzhou": (
        GroupPreset("residents", "市民代表", 0.25),
        GroupPreset("enterprises", "企业代表", 0.15),
        GroupPreset("npc_deputies", "人大代表", 0.10),
        GroupPreset("cppcc_members", "政协委员", 0.10),
        GroupPreset("party_representatives", "党代表", 0.10),
        GroupPreset("experts", "专家学者", 0.05),
        GroupPreset("grassroots_cadres", "基层干部", 0.10),
        GroupPreset("media", "新闻媒体", 0.05),
        GroupPreset("service_recipients", "服务对象", 0.10),
    ),
    "beijing": (GroupPreset("residents", "市民", 1.0),),
}


@dataclass(frozen=True)
class GroupScore:
    """One group's result for one department."""

    n: int  # known answers (不了解 excluded)
    unknown: int
    score: float | None  # mean score value, None when n == 0
    low: float | None  # 95% interval
    high: float | None
    satisfaction_rate: float | None
    se: float | None = None  # standard error of the score (unclipped)

    @property
    def unknown_share(self) -> float | None:
        """Share of 不了解 among all answers."""
        total = self.n + self.unknown
        return self.unknown / total if total else None


def satisfaction_rate(counts: Mapping[str, int]) -> float | None:
    """Share of 满意 + 比较满意 + 基本满意 among the known answers; None without any."""
    known = sum(counts.get(r.value, 0) for r in Rating if r is not Rating.UNKNOWN)
    if not known:
        return None
    return sum(counts.get(r.value, 0) for r in SATISFIED_RATINGS) / known


def group_score(counts: Mapping[str, int], scores: Mapping[str, float] | None = None) -> GroupScore:
    """Mean score, its 95% interval and the satisfaction rate from the rating counts.

    The interval is the normal one for a mean (1.96 standard errors, sample variance) clipped to
    the scale's range; with one answer or no spread it is the point itself.
    """
    values = dict(DEFAULT_SCORES if scores is None else scores)
    known = [(float(values[r]), counts.get(r, 0)) for r in values]
    n = sum(k for _, k in known)
    unknown = counts.get(Rating.UNKNOWN.value, 0)
    if n == 0:
        return GroupScore(0, unknown, None, None, None, None)
    mean = sum(v * k for v, k in known) / n
    low_bound, high_bound = min(values.values()), max(values.values())
    if n > 1:
        variance = sum(k * (v - mean) ** 2 for v, k in known) / (n - 1)
        half = 1.96 * math.sqrt(variance / n)
    else:
        half = 0.0
    return GroupScore(
        n=n,
        unknown=unknown,
        score=mean,
        low=max(low_bound, mean - half),
        high=min(high_bound, mean + half),
        satisfaction_rate=satisfaction_rate(counts),
        se=half / 1.96,
    )


def weighted_score(parts: Iterable[tuple[float, float | None, bool]]) -> float | None:
    """The group-weighted mean of (weight, score, enough_n) over groups with enough answers.

    Weights are renormalised over the groups that count; None when none counts.
    """
    counted: Sequence[tuple[float, float]] = [
        (w, s) for w, s, enough in parts if enough and s is not None and w > 0
    ]
    total = sum(w for w, _ in counted)
    if not counted or total <= 0:
        return None
    return sum(w * s for w, s in counted) / total


@dataclass(frozen=True)
class CombinedScore:
    """A department's survey score over its rater groups (the ``survey`` indicator)."""

    score: float | None
    low: float | None
    high: float | None
    n: int  # known answers of the groups that count (of all groups when none counts)
    sufficient: bool
    short_groups: tuple[str, ...]  # groups left out for too few answers


def combine_groups(
    parts: Sequence[tuple[str, float, int, GroupScore]],
    low_bound: float = 0.0,
    high_bound: float = 100.0,
) -> CombinedScore:
    """Group-weighted score of (group, weight, min_n, GroupScore) with its 95% interval.

    Groups under their minimum n are left out (and named); the weights are renormalised over
    the rest. The interval treats groups as independent samples: the standard error of the
    weighted mean is sqrt(sum((w_i / W)^2 se_i^2)), clipped to the scale.
    """
    counted = [(w, g) for _, w, min_n, g in parts if g.n >= min_n and g.score is not None and w > 0]
    short = tuple(code for code, w, min_n, g in parts if g.n < min_n and w > 0)
    score = weighted_score((w, g.score, True) for w, g in counted)
    if score is None:
        return CombinedScore(None, None, None, sum(g.n for *_, g in parts), False, short)
    total = sum(w for w, _ in counted)
    se = math.sqrt(sum((w / total) ** 2 * (g.se or 0.0) ** 2 for w, g in counted))
    return CombinedScore(
        score,
        max(low_bound, score - 1.96 * se),
        min(high_bound, score + 1.96 * se),
        sum(g.n for _, g in counted),
        True,
        short,
    )
