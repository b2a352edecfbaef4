"""Plain input records and their per-department sufficient statistics.

The scoring needs only counts, sums and sums of squares per department (``DepartmentCounts``).
The database computes them with one GROUP BY per table and hands them in; tests and the
benchmark build them from plain records with ``aggregate``. Sums use ``math.fsum`` (exactly
rounded), so the result does not depend on the order of the records.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from citizenvoice.domain.scoring.settings import Satisfaction

__all__ = [
    "RATING_MAX",
    "RATING_MIN",
    "REPEAT_MIN_GROUP_SIZE",
    "CaseRecord",
    "DepartmentCounts",
    "FollowUpRecord",
    "MomentSums",
    "RatingRecord",
    "RecordId",
    "SurveyGroupCounts",
    "aggregate",
]

#: Ids of records: database primary keys or codes. Within one kind of record use one type
#: (all int or all str): records are ordered by (time, id) to break ties deterministically.
RecordId = int | str

#: Service ratings are whole stars from 1 to 5.
RATING_MIN = 1
RATING_MAX = 5

# A case is a repeat complaint when its duplicate group (near-duplicate texts, see
# services.duplicates) holds at least two cases in the period: one more resident had to ask.
REPEAT_MIN_GROUP_SIZE = 2


@dataclass(frozen=True, slots=True)
class FollowUpRecord:
    """One follow-up (回访) of a case: reached, resolved, how satisfied (None: no answer)."""

    case_id: Hashable
    department: str
    contacted: bool
    resolved: bool
    satisfaction: Satisfaction | None


@dataclass(frozen=True, slots=True)
class RatingRecord:
    """One 1-5 service rating given through a case's tracking code."""

    rating_id: RecordId
    case_id: RecordId
    department: str
    stars: int
    submitted_at: datetime
    ip_hash: str | None = None
    device_hash: str | None = None

    def __post_init__(self) -> None:
        """Ratings outside 1-5 are a bug upstream, not data."""
        if not RATING_MIN <= self.stars <= RATING_MAX:
            raise ValueError(f"评分必须在 {RATING_MIN} 到 {RATING_MAX} 之间：{self.stars}")


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What the case itself says: timeliness, text signals and its duplicate group.

    ``on_time`` is the verdict of ``timelimits.replied_on_time`` at the period end (None while
    undecided); ``sentiment`` (0 negative .. 1 positive) and ``reply_quality`` (0..1,
    nlp.reply_quality) are None when not analysed or not replied.
    """

    case_id: Hashable
    department: str
    on_time: bool | None = None
    sentiment: float | None = None
    reply_quality: float | None = None
    duplicate_group: Hashable | None = None

    def __post_init__(self) -> None:
        """Model outputs outside [0, 1] are a bug upstream, not data."""
        for name in ("sentiment", "reply_quality"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]: {value}")


@dataclass(frozen=True, slots=True)
class MomentSums:
    """n, sum and sum of squares of some values: enough for a mean and its t interval."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def __post_init__(self) -> None:
        """Reject impossible sums (negative n, n = 0 with a non-zero sum)."""
        if self.n < 0 or (self.n == 0 and (self.total or self.total_sq)):
            raise ValueError("invalid moment sums")

    @classmethod
    def of(cls, values: Iterable[float]) -> MomentSums:
        """Exactly rounded, order-independent sums of ``values``."""
        items = list(values)
        return cls(len(items), math.fsum(items), math.fsum(v * v for v in items))

    def merge(self, other: MomentSums) -> MomentSums:
        """The sums over both sets of values."""
        return MomentSums(
            self.n + other.n,
            math.fsum((self.total, other.total)),
            math.fsum((self.total_sq, other.total_sq)),
        )


@dataclass(frozen=True, slots=True)
class SurveyGroupCounts:
    """One rater group's answers about one department (社会评价问卷), with its settings."""

    group: str
    weight: float
    min_n: int
    # Score values of 满意 / 比较满意 / 基本满意 / 不满意 in the campaign.
    scores: tuple[float, float, float, float] = (100.0, 80.0, 60.0, 0.0)
    satisfied: int = 0
    fairly: int = 0
    basic: int = 0
    dissatisfied: int = 0
    unknown: int = 0


@dataclass(frozen=True, slots=True)
class DepartmentCounts:
    """A department's sufficient statistics for one period (what a GROUP BY returns).

    ``cases`` counts cases considered for repeat complaints and ``repeat_cases`` those in a
    duplicate group of size >= 2; ``due_cases`` those with a time limit that applied.
    """

    department: str
    follow_ups: int = 0
    contacted: int = 0
    resolved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    ratings: MomentSums = field(default_factory=MomentSums)
    sentiment: MomentSums = field(default_factory=MomentSums)
    reply_quality: MomentSums = field(default_factory=MomentSums)
    cases: int = 0
    repeat_cases: int = 0
    due_cases: int = 0
    on_time_cases: int = 0
    # Left out of the canonical JSON while empty, so results computed before surveys existed
    # recompute byte for byte.
    survey: tuple[SurveyGroupCounts, ...] = field(
        default=(), metadata={"canonical_omit_empty": True}
    )

    def __post_init__(self) -> None:
        """Counts that contradict each other mean a wrong query: fail loudly."""
        counts = (
            self.follow_ups,
            self.contacted,
            self.resolved,
            self.satisfied,
            self.basically_satisfied,
            self.dissatisfied,
            self.cases,
            self.repeat_cases,
            self.due_cases,
            self.on_time_cases,
        )
        if min(counts) < 0:
            raise ValueError(f"{self.department}: 计数不能为负")
        answered = self.satisfied + self.basically_satisfied + self.dissatisfied
        if max(self.contacted, self.resolved, answered) > self.follow_ups:
            raise ValueError(f"{self.department}: 联系、解决或满意度回答数超过回访数")
        if self.repeat_cases > self.cases or self.on_time_cases > self.due_cases:
            raise ValueError(f"{self.department}: 重复件或按时件超过案件数")

    @property
    def satisfaction_answers(self) -> int:
        """Follow-ups with a satisfaction answer (the satisfaction rate's denominator)."""
        return self.satisfied + self.basically_satisfied + self.dissatisfied


def aggregate(
    follow_ups: Iterable[FollowUpRecord] = (),
    ratings: Iterable[RatingRecord] = (),
    cases: Iterable[CaseRecord] = (),
    departments: Iterable[str] = (),
) -> dict[str, DepartmentCounts]:
    """Per-department counts from plain records (the pure-Python twin of the SQL GROUP BY).

    Duplicate-group sizes are counted over all ``cases`` given, across departments. Every
    department in ``departments`` appears in the result, with zero counts if it has no data.
    The result is keyed and ordered by department code.
    """
    fu: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    satisfaction_slot = {Satisfaction.SATISFIED: 3, Satisfaction.BASIC: 4}
    for f in follow_ups:
        row = fu[f.department]
        row[0] += 1
        row[1] += f.contacted
        row[2] += f.resolved
        if f.satisfaction is not None:
            row[satisfaction_slot.get(f.satisfaction, 5)] += 1
    stars: dict[str, list[int]] = defaultdict(list)
    for r in ratings:
        stars[r.department].append(r.stars)
    case_list = list(cases)
    group_sizes = Counter(c.duplicate_group for c in case_list if c.duplicate_group is not None)
    cs: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    sentiment: dict[str, list[float]] = defaultdict(list)
    quality: dict[str, list[float]] = defaultdict(list)
    for c in case_list:
        row = cs[c.department]
        row[0] += 1
        if c.duplicate_group is not None:
            row[1] += group_sizes[c.duplicate_group] >= REPEAT_MIN_GROUP_SIZE
        if c.on_time is not None:
            row[2] += 1
            row[3] += c.on_time
        if c.sentiment is not None:
            sentiment[c.department].append(c.sentiment)
        if c.reply_quality is not None:
            quality[c.department].append(c.reply_quality)
    codes = sorted(set(departments) | fu.keys() | stars.keys() | cs.keys())
    result: dict[str, DepartmentCounts] = {}
    for code in codes:
        f_row = fu.get(code, [0] * 6)
        c_row = cs.get(code, [0] * 4)
        result[code] = DepartmentCounts(
            department=code,
            follow_ups=f_row[0],
            contacted=f_row[1],
            resolved=f_row[2],
            satisfied=f_row[3],
            basically_satisfied=f_row[4],
            dissatisfied=f_row[5],
            ratings=MomentSums.of(stars.get(code, ())),
            sentiment=MomentSums.of(sentiment.get(code, ())),
            reply_quality=MomentSums.of(quality.get(code, ())),
            cases=c_row[0],
            repeat_cases=c_row[1],
            due_cases=c_row[2],
            on_time_cases=c_row[3],
        )
    return result
