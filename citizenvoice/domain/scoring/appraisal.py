"""The appraisal index system: dimension weights, the capped bonus, totals and group ranks.

total = sum(dimension score x weight / 100) + min(bonus, cap); dimension scores are 0-100 and
the weights sum to 100, so the total lies in [0, 100 + cap]. Departments are ranked only
within their group (综合管理 / 执法监管 / 公共服务, as Hangzhou does) by standard competition
ranking ("1, 1, 3"): equal totals share the best rank and the next rank skips, so a rank
always says how many departments did strictly better. Totals are compared after rounding to
``rank_decimals`` so that two departments shown with the same total never get different ranks.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "BEIJING_12345_INDEX",
    "CITIZEN_DIMENSION",
    "DEFAULT_RANK_DECIMALS",
    "HANGZHOU_INDEX",
    "MAX_BONUS_CAP",
    "DepartmentTotal",
    "Dimension",
    "IndexSystem",
    "competition_ranks",
    "compute_totals",
    "groups_of",
]

#: Code of the dimension filled from the citizen score (the other dimensions are imported).
CITIZEN_DIMENSION = "citizen"

# "A few points": Hangzhou's 创新创优 is a bonus of a few points on top of 100. Above 5 a
# bonus could outweigh a whole dimension such as 领导考评 (5), so larger caps are refused.
MAX_BONUS_CAP = 5.0

# Totals are published with two decimals; ranks use the same precision (see module doc).
DEFAULT_RANK_DECIMALS = 2

# Weights are entered as percentages; this absorbs binary rounding of decimal input.
_WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Dimension:
    """One dimension of the index system with its weight in percent."""

    code: str
    name: str
    weight: float


@dataclass(frozen=True)
class IndexSystem:
    """A period's dimensions (weights summing to 100) and its optional capped bonus."""

    dimensions: tuple[Dimension, ...]
    bonus_name: str = "创新创优"
    bonus_cap: float = 0.0
    rank_decimals: int = DEFAULT_RANK_DECIMALS

    def __post_init__(self) -> None:
        """Validate with Chinese messages for the performance office."""
        if not self.dimensions:
            raise ValueError("指标体系至少需要一个维度")
        codes = [d.code for d in self.dimensions]
        if len(set(codes)) != len(codes):
            raise ValueError("维度代码不能重复")
        for d in self.dimensions:
            if not math.isfinite(d.weight) or d.weight < 0:
                raise ValueError(f"维度权重必须是非负数：{d.name} = {d.weight}")
        total = math.fsum(d.weight for d in self.dimensions)
        if abs(total - 100.0) > 100 * _WEIGHT_TOLERANCE:
            raise ValueError(f"维度权重之和必须为 100，当前为 {total:g}")
        if not 0.0 <= self.bonus_cap <= MAX_BONUS_CAP:
            raise ValueError(f"加分上限必须在 0 到 {MAX_BONUS_CAP:g} 分之间")
        if not 0 <= self.rank_decimals <= 6:
            raise ValueError("排名精度必须在 0 到 6 位小数之间")

    def dimension(self, code: str) -> Dimension:
        """The dimension with ``code`` (KeyError if absent)."""
        for d in self.dimensions:
            if d.code == code:
                return d
        raise KeyError(code)


# Hangzhou 综合考评: 社会评价 50, 目标考核 45, 领导考评 5, plus 创新创优 bonus (cap 3 points).
HANGZHOU_INDEX = IndexSystem(
    dimensions=(
        Dimension(CITIZEN_DIMENSION, "社会评价", 50.0),
        Dimension("goals", "目标考核", 45.0),
        Dimension("leadership", "领导考评", 5.0),
    ),
    bonus_cap=3.0,
)

# Beijing 12345 style: the ranking is the citizen dimension (三率) alone, no bonus.
BEIJING_12345_INDEX = IndexSystem(dimensions=(Dimension(CITIZEN_DIMENSION, "市民评价", 100.0),))


@dataclass(frozen=True)
class DepartmentTotal:
    """One department's appraisal result within its group."""

    department: str
    group: str
    dimension_scores: tuple[tuple[str, float | None], ...]
    bonus: float  # after the cap
    total: float | None
    rank: int | None
    reason: str | None  # Chinese, why the department is not ranked

    @property
    def ranked(self) -> bool:
        """Whether the department has a rank."""
        return self.rank is not None


def competition_ranks(values: Mapping[str, float], decimals: int) -> dict[str, int]:
    """Standard competition ranks (higher is better; ties share a rank: 1, 1, 3)."""
    rounded = {k: round(v, decimals) for k, v in values.items()}
    ordered = sorted(rounded.values(), reverse=True)
    first_position: dict[float, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return {k: first_position[v] for k, v in rounded.items()}


def compute_totals(
    index: IndexSystem,
    groups: Mapping[str, str],
    scores: Mapping[str, Mapping[str, float | None]],
    bonuses: Mapping[str, float] | None = None,
) -> tuple[DepartmentTotal, ...]:
    """Totals and ranks within groups for every department in ``groups`` (code -> group).

    ``scores[department][dimension code]`` is a 0-100 score or None (样本不足 / not imported);
    a department missing any weighted dimension gets no total and no rank. Bonuses must be
    non-negative and are capped at ``index.bonus_cap``. Output: by group, rank, code.
    """
    bonuses = bonuses or {}
    known = {d.code for d in index.dimensions}
    unknown_departments = (set(scores) | set(bonuses)) - set(groups)
    if unknown_departments:
        raise ValueError(f"未知部门：{'、'.join(sorted(unknown_departments))}")
    totals: dict[str, float] = {}
    rows: dict[str, tuple[tuple[tuple[str, float | None], ...], float, str | None]] = {}
    for department in sorted(groups):
        given = scores.get(department, {})
        extra = set(given) - known
        if extra:
            raise ValueError(f"{department}: 未知维度：{'、'.join(sorted(extra))}")
        bonus = bonuses.get(department, 0.0)
        if not math.isfinite(bonus) or bonus < 0:
            raise ValueError(f"{department}: 加分不能为负数")
        bonus = min(bonus, index.bonus_cap)
        dims, total, reason = _department_total(index, department, given, bonus)
        if total is not None:
            totals[department] = total
        rows[department] = (dims, bonus, reason)
    by_group: dict[str, dict[str, float]] = defaultdict(dict)
    for department, total in totals.items():
        by_group[groups[department]][department] = total
    ranks: dict[str, int] = {}
    for members in by_group.values():
        ranks.update(competition_ranks(members, index.rank_decimals))
    results = [
        DepartmentTotal(
            department,
            groups[department],
            dims,
            bonus,
            totals.get(department),
            ranks.get(department),
            reason,
        )
        for department, (dims, bonus, reason) in rows.items()
    ]
    results.sort(key=lambda r: (r.group, r.rank is None, r.rank or 0, r.department))
    return tuple(results)


def _department_total(
    index: IndexSystem, department: str, given: Mapping[str, float | None], bonus: float
) -> tuple[tuple[tuple[str, float | None], ...], float | None, str | None]:
    """(dimension scores, total or None, why there is no total) of one department.

    Raises ValueError for a score outside 0-100; a missing weighted dimension means no total.
    """
    dims: list[tuple[str, float | None]] = []
    missing: list[str] = []
    for d in index.dimensions:
        value = given.get(d.code)
        if value is not None and not (math.isfinite(value) and 0.0 <= value <= 100.0):
            raise ValueError(f"{department}: {d.name}得分必须在 0 到 100 之间：{value}")
        dims.append((d.code, value))
        if value is None and d.weight > 0:
            missing.append(d.name)
    if missing:
        return tuple(dims), None, f"缺少维度得分（{'、'.join(missing)}），不参与排名"
    weighted = (d.weight / 100.0 * (given.get(d.code) or 0.0) for d in index.dimensions)
    return tuple(dims), math.fsum(weighted) + bonus, None


def groups_of(departments: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Code -> group from (code, group) pairs, rejecting a code listed in two groups."""
    result: dict[str, str] = {}
    for code, group in departments:
        if result.setdefault(code, group) != group:
            raise ValueError(f"部门 {code} 同时属于两个分组")
    return result
