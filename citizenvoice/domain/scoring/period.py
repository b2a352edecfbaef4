"""A whole period: inputs (counts, imported dimensions, bonuses) -> citizen scores, totals, ranks.

``compute_period`` is what ``appraisal compute`` and ``appraisal verify`` call after the
database has aggregated the period's rows into ``DepartmentCounts``. The result carries
``ALGORITHM_VERSION`` and serialises canonically together with its inputs, so a published
period can be recomputed from the raw rows and compared byte for byte (``verify_period``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from citizenvoice.domain.scoring.appraisal import (
    BEIJING_12345_INDEX,
    CITIZEN_DIMENSION,
    HANGZHOU_INDEX,
    DepartmentTotal,
    IndexSystem,
    compute_totals,
)
from citizenvoice.domain.scoring.canonical import canonical_json, json_differences
from citizenvoice.domain.scoring.citizen import CitizenScore, citizen_score
from citizenvoice.domain.scoring.indicators import (
    CityRatingPrior,
    city_rating_prior,
    compute_indicators,
)
from citizenvoice.domain.scoring.records import DepartmentCounts
from citizenvoice.domain.scoring.settings import (
    BEIJING_12345_WEIGHTS,
    CITIZENVOICE_WEIGHTS,
    ScoringSettings,
)

__all__ = [
    "ALGORITHM_VERSION",
    "BEIJING_12345_PERIOD",
    "HANGZHOU_PERIOD",
    "PeriodInput",
    "PeriodResult",
    "PeriodSettings",
    "compute_period",
    "verify_period",
]

# Published with every result. Bump it whenever any formula, default or rounding here changes
# in a way that can change a published number, so old periods are recomputed with their rules.
ALGORITHM_VERSION = "cv-score-1"


@dataclass(frozen=True)
class PeriodSettings:
    """The citizen-dimension formulas and the index system of one period."""

    scoring: ScoringSettings
    index: IndexSystem


# Beijing 12345 style: 三率 (10/50/40, 基本满意 0.9) is the whole ranking.
BEIJING_12345_PERIOD = PeriodSettings(
    ScoringSettings(weights=BEIJING_12345_WEIGHTS), BEIJING_12345_INDEX
)
# Hangzhou style index (社会评价 50 / 目标考核 45 / 领导考评 5 + 创新创优 up to 3) with the
# fuller CitizenVoice citizen dimension as 社会评价.
HANGZHOU_PERIOD = PeriodSettings(ScoringSettings(weights=CITIZENVOICE_WEIGHTS), HANGZHOU_INDEX)


@dataclass(frozen=True)
class PeriodInput:
    """Everything a period's result depends on, in canonical (sorted) order.

    Build with ``PeriodInput.build``; the tuples are sorted so equal inputs are equal objects
    whatever order the database returned the rows in.
    """

    period: str
    settings: PeriodSettings
    groups: tuple[tuple[str, str], ...]
    counts: tuple[DepartmentCounts, ...]
    imported: tuple[tuple[str, str, float], ...]
    bonuses: tuple[tuple[str, float], ...]

    @classmethod
    def build(
        cls,
        period: str,
        settings: PeriodSettings,
        groups: Mapping[str, str],
        counts: Iterable[DepartmentCounts],
        imported: Mapping[str, Mapping[str, float]] | None = None,
        bonuses: Mapping[str, float] | None = None,
    ) -> PeriodInput:
        """Normalise the inputs; departments without counts get zero counts.

        Raises ``ValueError`` for counts of a department not in ``groups``, two counts for one
        department, or an imported score for the computed citizen dimension.
        """
        by_department: dict[str, DepartmentCounts] = {}
        for c in counts:
            if c.department not in groups:
                raise ValueError(f"未知部门：{c.department}")
            if by_department.setdefault(c.department, c) is not c:
                raise ValueError(f"部门计数重复：{c.department}")
        rows: list[tuple[str, str, float]] = []
        for department, dims in (imported or {}).items():
            for code, value in dims.items():
                if code == CITIZEN_DIMENSION:
                    raise ValueError("市民评价维度由系统计算，不能导入")
                rows.append((department, code, float(value)))
        return cls(
            period=period,
            settings=settings,
            groups=tuple(sorted(groups.items())),
            counts=tuple(by_department.get(d, DepartmentCounts(d)) for d in sorted(groups)),
            imported=tuple(sorted(rows)),
            bonuses=tuple(sorted((d, float(b)) for d, b in (bonuses or {}).items())),
        )


@dataclass(frozen=True)
class PeriodResult:
    """A computed period: version, inputs, city prior, citizen scores, totals and ranks."""

    algorithm_version: str
    input: PeriodInput
    city_rating_prior: CityRatingPrior
    citizen: tuple[CitizenScore, ...]
    totals: tuple[DepartmentTotal, ...]

    def canonical_json(self) -> str:
        """Canonical JSON of inputs and outputs (what is stored on publication)."""
        return canonical_json(self)


def compute_period(period_input: PeriodInput) -> PeriodResult:
    """Compute every department's indicators, citizen score, total and rank in its group."""
    settings = period_input.settings
    prior = city_rating_prior(period_input.counts, settings.scoring)
    citizen = tuple(
        citizen_score(
            c.department, compute_indicators(c, settings.scoring, prior), settings.scoring
        )
        for c in period_input.counts
    )
    scores: dict[str, dict[str, float | None]] = {d: {} for d, _ in period_input.groups}
    has_citizen = any(d.code == CITIZEN_DIMENSION for d in settings.index.dimensions)
    for result in citizen:
        if has_citizen:
            scores[result.department][CITIZEN_DIMENSION] = result.score
    for department, code, value in period_input.imported:
        if department not in scores:
            raise ValueError(f"未知部门：{department}")
        if not math.isfinite(value):
            raise ValueError(f"{department}: 导入得分无效")
        scores[department][code] = value
    totals = compute_totals(
        settings.index, dict(period_input.groups), scores, dict(period_input.bonuses)
    )
    if has_citizen:
        # Say why the citizen dimension is missing (样本不足 ...) rather than just "missing".
        why = {c.department: c.reason for c in citizen if c.score is None and c.reason}
        totals = tuple(
            replace(t, reason=why[t.department])
            if t.rank is None and t.department in why and t.total is None
            else t
            for t in totals
        )
    return PeriodResult(ALGORITHM_VERSION, period_input, prior, citizen, totals)


def verify_period(stored_canonical_json: str, recomputed: PeriodResult) -> list[str]:
    """Differences between a stored result and a recomputation (empty list: identical)."""
    current = recomputed.canonical_json()
    if current == stored_canonical_json:
        return []
    return json_differences(stored_canonical_json, current) or ["JSON 文本不同"]
