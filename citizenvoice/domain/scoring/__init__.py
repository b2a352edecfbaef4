"""Scoring rules of the appraisal, in one home: pure functions over counts and plain records.

Flow (what the services call, see each module for the formulas and their reasons):

1. ``records.aggregate`` (or a SQL GROUP BY) -> ``DepartmentCounts`` per department;
   ``integrity.detect_anomalies`` / ``select_scored`` decide which ratings count first.
2. ``PeriodInput.build(...)`` + ``compute_period`` -> indicators (0-100, n, 95% interval),
   citizen score (weighted sum), totals with the capped bonus, competition ranks per group.
3. ``PeriodResult.canonical_json()`` is stored on publication with ``ALGORITHM_VERSION``;
   ``verify_period`` compares a recomputation with it.

Decisions (reasons next to each constant):

* Intervals: Wilson for rates (基本满意 0.9 makes the satisfaction count fractional; the
  binomial variance bounds it, so it is conservative); Student t for mean sentiment and reply
  quality (computable from GROUP BY sums, reproducible, unlike a bootstrap); a normal credible
  interval for the Bayesian rating average. The citizen score carries the weighted sum of the
  indicator interval ends as a conservative band.
* Ratings: Bayesian average with m = 15 ratings at the city mean (``DEFAULT_RATING_PRIOR_WEIGHT``).
* 样本不足: below ``min_n`` (30) an indicator cannot carry a rank; by default a department
  with any weighted indicator short is not ranked (re-weighting is opt-in).
* Ranks: standard competition ranking (1, 1, 3) within groups on totals rounded to 2 decimals.
* Determinism: exactly rounded sums (``math.fsum``), sorted inputs and outputs, canonical JSON
  with floats rounded to 6 decimals.
"""

from citizenvoice.domain.scoring.appraisal import (
    BEIJING_12345_INDEX,
    CITIZEN_DIMENSION,
    HANGZHOU_INDEX,
    MAX_BONUS_CAP,
    DepartmentTotal,
    Dimension,
    IndexSystem,
    competition_ranks,
    compute_totals,
)
from citizenvoice.domain.scoring.canonical import (
    CANONICAL_DECIMALS,
    canonical_json,
    canonical_sha256,
    json_differences,
)
from citizenvoice.domain.scoring.citizen import CitizenScore, citizen_score
from citizenvoice.domain.scoring.indicators import (
    INSUFFICIENT_LABEL,
    CityRatingPrior,
    IndicatorResult,
    city_rating_prior,
    compute_indicators,
)
from citizenvoice.domain.scoring.integrity import (
    AnomalyFlag,
    AnomalyKind,
    IntegrityReport,
    IntegritySettings,
    detect_anomalies,
)
from citizenvoice.domain.scoring.period import (
    ALGORITHM_VERSION,
    BEIJING_12345_PERIOD,
    HANGZHOU_PERIOD,
    PeriodInput,
    PeriodResult,
    PeriodSettings,
    compute_period,
    verify_period,
)
from citizenvoice.domain.scoring.records import (
    CaseRecord,
    DepartmentCounts,
    FollowUpRecord,
    MomentSums,
    RatingRecord,
    SurveyGroupCounts,
    aggregate,
)
from citizenvoice.domain.scoring.review import Exclusion, ScoredSelection, select_scored
from citizenvoice.domain.scoring.settings import (
    BEIJING_12345_WEIGHTS,
    CITIZENVOICE_WEIGHTS,
    DEFAULT_BASIC_SATISFIED_CREDIT,
    DEFAULT_MIN_N,
    DEFAULT_RATING_PRIOR_WEIGHT,
    CitizenWeights,
    Indicator,
    InsufficientRule,
    Satisfaction,
    ScoringSettings,
    satisfaction_credit,
)
from citizenvoice.domain.scoring.stats import (
    Interval,
    bayesian_average,
    mean_interval,
    wilson_interval,
)

__all__ = [
    "ALGORITHM_VERSION",
    "BEIJING_12345_INDEX",
    "BEIJING_12345_PERIOD",
    "BEIJING_12345_WEIGHTS",
    "CANONICAL_DECIMALS",
    "CITIZENVOICE_WEIGHTS",
    "CITIZEN_DIMENSION",
    "DEFAULT_BASIC_SATISFIED_CREDIT",
    "DEFAULT_MIN_N",
    "DEFAULT_RATING_PRIOR_WEIGHT",
    "HANGZHOU_INDEX",
    "HANGZHOU_PERIOD",
    "INSUFFICIENT_LABEL",
    "MAX_BONUS_CAP",
    "AnomalyFlag",
    "AnomalyKind",
    "CaseRecord",
    "CitizenScore",
    "CitizenWeights",
    "CityRatingPrior",
    "DepartmentCounts",
    "DepartmentTotal",
    "Dimension",
    "Exclusion",
    "FollowUpRecord",
    "IndexSystem",
    "Indicator",
    "IndicatorResult",
    "InsufficientRule",
    "IntegrityReport",
    "IntegritySettings",
    "Interval",
    "MomentSums",
    "PeriodInput",
    "PeriodResult",
    "PeriodSettings",
    "RatingRecord",
    "Satisfaction",
    "ScoredSelection",
    "ScoringSettings",
    "SurveyGroupCounts",
    "aggregate",
    "bayesian_average",
    "canonical_json",
    "canonical_sha256",
    "citizen_score",
    "city_rating_prior",
    "competition_ranks",
    "compute_indicators",
    "compute_period",
    "compute_totals",
    "detect_anomalies",
    "json_differences",
    "mean_interval",
    "satisfaction_credit",
    "select_scored",
    "verify_period",
    "wilson_interval",
]
