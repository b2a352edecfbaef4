"""The appraisal: periods and their index settings, computing, publishing and verifying results.

The formulas live in citizenvoice.domain.scoring; this module gathers the raw rows with SQL
GROUP BY into ``DepartmentCounts``, stores results, and checks that a published period can be
recomputed exactly from the raw rows (``verify``). Every change to settings, results and
publication is written to the hash-chained audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Numeric, and_, case, cast, func, select

from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring import (
    ALGORITHM_VERSION,
    BEIJING_12345_PERIOD,
    HANGZHOU_PERIOD,
    DepartmentCounts,
    Dimension,
    IndexSystem,
    MomentSums,
    PeriodInput,
    PeriodResult,
    PeriodSettings,
    ScoringSettings,
    canonical_sha256,
    compute_period,
    verify_period,
)
from citizenvoice.domain.scoring.indicators import INSUFFICIENT_LABEL
from citizenvoice.domain.scoring.settings import CitizenWeights, Indicator
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    CaseReply,
    Department,
    DimensionScore,
    FollowUp,
    Period,
    RatingReview,
    Submission,
)
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import chain_head, record

__all__ = [
    "PRESETS",
    "AppraisalError",
    "PublishSummary",
    "build_input",
    "compute",
    "current_month_code",
    "ensure_periods",
    "explain_department",
    "gather_counts",
    "period_by_code",
    "period_settings",
    "publish",
    "publish_summary",
    "result_rows",
    "result_table",
    "settings_json",
    "update_settings",
    "verify",
]

PRESETS: dict[str, tuple[str, PeriodSettings]] = {
    "hangzhou": (
        "杭州综合考评式（社会评价 50 / 目标考核 45 / 领导考评 5 + 创新创优）",
        HANGZHOU_PERIOD,
    ),
    "beijing12345": ("北京12345接诉即办式（响应 10% / 解决 50% / 满意 40%）", BEIJING_12345_PERIOD),
}
DEFAULT_PRESET = "hangzhou"


class AppraisalError(ValueError):
    """An appraisal action that cannot be done (message in Chinese)."""


# --------------------------------------------------------------------------- settings


def settings_json(settings: PeriodSettings, preset: str) -> dict[str, Any]:
    """The JSON form of a period's settings (what is stored, edited and audited)."""
    return {
        "preset": preset,
        "citizen_weights": {
            indicator.value: weight for indicator, weight in settings.scoring.weights.weights
        },
        "basic_satisfied_credit": settings.scoring.basic_satisfied_credit,
        "min_n": settings.scoring.min_n,
        "rating_prior_weight": settings.scoring.rating_prior_weight,
        "dimensions": [[d.code, d.name, d.weight] for d in settings.index.dimensions],
        "bonus_name": settings.index.bonus_name,
        "bonus_cap": settings.index.bonus_cap,
    }


def period_settings(period: Period) -> PeriodSettings:
    """Rebuild the domain settings from the stored JSON (raises AppraisalError if invalid)."""
    raw = period.settings or settings_json(PRESETS[DEFAULT_PRESET][1], DEFAULT_PRESET)
    try:
        weights = CitizenWeights.of(
            {Indicator(k): float(v) for k, v in raw["citizen_weights"].items()}
        )
        scoring = ScoringSettings(
            weights=weights,
            basic_satisfied_credit=float(raw["basic_satisfied_credit"]),
            min_n=int(raw["min_n"]),
            rating_prior_weight=float(raw["rating_prior_weight"]),
        )
        index = IndexSystem(
            dimensions=tuple(Dimension(str(c), str(n), float(w)) for c, n, w in raw["dimensions"]),
            bonus_name=str(raw["bonus_name"]),
            bonus_cap=float(raw["bonus_cap"]),
        )
    except (KeyError, TypeError) as exc:
        raise AppraisalError(f"考核设置不完整：{exc}") from exc
    except ValueError as exc:
        raise AppraisalError(str(exc)) from exc
    return PeriodSettings(scoring, index)


def update_settings(period: Period, new: dict[str, Any], actor: str) -> None:
    """Replace a period's settings after validating them; refused once published. Audited."""
    if period.status == PeriodStatus.PUBLISHED:
        raise AppraisalError("该周期已发布，考核设置已冻结")
    before = period.settings
    period.settings = new
    period_settings(period)  # validates; raises AppraisalError
    period.settings_version = (period.settings_version or 0) + 1
    if period.status == PeriodStatus.COMPUTED:
        # New inputs make the draft result stale: back to open, to be computed again.
        period.status = PeriodStatus.OPEN.value
        period.result_json, period.result_sha256 = None, None
    record(
        actor,
        "period_settings",
        "period",
        period.code,
        {"before": before, "after": new, "version": period.settings_version},
    )
    db.session.flush()


# --------------------------------------------------------------------------- periods


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def ensure_periods(today: date | None = None) -> list[Period]:
    """Create the current month, quarter and year (with the default preset) if missing."""
    today = today or utcnow().astimezone(SHANGHAI).date()
    quarter = (today.month - 1) // 3 + 1
    q_start = date(today.year, 3 * (quarter - 1) + 1, 1)
    q_end = _month_bounds(today.year, 3 * quarter)[1]
    wanted = [
        (
            f"{today.year}-{today.month:02d}",
            f"{today.year}年{today.month}月",
            "month",
            *_month_bounds(today.year, today.month),
        ),
        (f"{today.year}-Q{quarter}", f"{today.year}年第{quarter}季度", "quarter", q_start, q_end),
        (
            f"{today.year}",
            f"{today.year}年度",
            "year",
            date(today.year, 1, 1),
            date(today.year + 1, 1, 1),
        ),
    ]
    out = []
    for code, name, kind, start, end in wanted:
        period = db.session.scalar(select(Period).where(Period.code == code))
        if period is None:
            period = Period(
                code=code,
                name=name,
                kind=kind,
                starts_on=start,
                ends_on=end,
                status=PeriodStatus.OPEN.value,
                settings=settings_json(PRESETS[DEFAULT_PRESET][1], DEFAULT_PRESET),
                settings_version=1,
            )
            db.session.add(period)
        out.append(period)
    db.session.flush()
    return out


def current_month_code(today: date | None = None) -> str | None:
    """The code of the month period that contains today (Asia/Shanghai), if it exists."""
    today = today or _today()
    return db.session.scalar(
        select(Period.code).where(
            Period.kind == "month", Period.starts_on <= today, Period.ends_on > today
        )
    )


def period_by_code(code: str) -> Period:
    """The period with this code, or AppraisalError."""
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        raise AppraisalError(f"考核周期不存在：{code}")
    return period


def _instant(day: date) -> datetime:
    """Midnight Beijing time of ``day``, as an aware datetime (periods are local calendar days)."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


# --------------------------------------------------------------------------- counts


def _moments(value: Any) -> tuple[Any, Any, Any]:
    """count, sum and sum of squares in exact NUMERIC arithmetic.

    Float sums depend on the order PostgreSQL (parallel workers included) adds the rows in, so
    a recomputation could differ in the last bits from the published result; NUMERIC sums are
    exact, whatever the order.
    """
    exact = cast(value, Numeric(38, 12))
    return (
        func.count(value),
        func.coalesce(func.sum(exact), 0),
        func.coalesce(func.sum(exact * exact), 0),
    )


def gather_counts(period: Period) -> list[DepartmentCounts]:
    """Every department's sufficient statistics for the period, by SQL GROUP BY on raw rows.

    Follow-ups (三率 and the 1-5 service rating given with them through the tracking code: one
    scored judgement per case) count by when they were given; text signals, repeat complaints
    and timeliness by when the case came in. Follow-ups held for review or excluded do not
    count; open 评价 submissions are shown to departments but never scored.
    """
    start, end = _instant(period.starts_on), _instant(period.ends_on)
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    acc: dict[int, dict[str, Any]] = {}

    def slot(department_id: int) -> dict[str, Any]:
        return acc.setdefault(department_id, {})

    held = select(RatingReview.submission_id).where(RatingReview.status.in_(("held", "excluded")))
    scored_follow_ups = (
        FollowUp.created_at >= start,
        FollowUp.created_at < end,
        FollowUp.no_response.is_(False),
        FollowUp.department_id.is_not(None),
        FollowUp.submission_id.not_in(held),
    )
    follow = db.session.execute(
        select(
            FollowUp.department_id,
            func.count(),
            func.sum(case((FollowUp.contacted.is_(True), 1), else_=0)),
            func.sum(case((FollowUp.resolved.is_(True), 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "satisfied", 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "basic", 1), else_=0)),
            func.sum(case((FollowUp.satisfaction == "dissatisfied", 1), else_=0)),
        )
        .where(*scored_follow_ups)
        .group_by(FollowUp.department_id)
    ).all()
    for dept, n, contacted, resolved, sat, basic, dis in follow:
        slot(dept).update(
            follow_ups=n,
            contacted=int(contacted or 0),
            resolved=int(resolved or 0),
            satisfied=int(sat or 0),
            basically_satisfied=int(basic or 0),
            dissatisfied=int(dis or 0),
        )

    in_period = and_(
        Submission.created_at >= start,
        Submission.created_at < end,
        Submission.department_id.is_not(None),
    )
    for dept, n, total, total_sq in db.session.execute(
        select(FollowUp.department_id, *_moments(FollowUp.rating))
        .where(*scored_follow_ups, FollowUp.rating.is_not(None))
        .group_by(FollowUp.department_id)
    ).all():
        slot(dept)["ratings"] = MomentSums(int(n), float(total), float(total_sq))

    for dept, n, total, total_sq in db.session.execute(
        select(Submission.department_id, *_moments(Analysis.sentiment))
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(in_period, Analysis.sentiment.is_not(None))
        .group_by(Submission.department_id)
    ).all():
        slot(dept)["sentiment"] = MomentSums(int(n), float(total), float(total_sq))

    for dept, n, total, total_sq in db.session.execute(
        select(Submission.department_id, *_moments(CaseReply.quality_score))
        .join(CaseReply, CaseReply.submission_id == Submission.id)
        .where(in_period, CaseReply.quality_score.is_not(None))
        .group_by(Submission.department_id)
    ).all():
        slot(dept)["reply_quality"] = MomentSums(int(n), float(total), float(total_sq))

    group_sizes = (
        select(Analysis.duplicate_group.label("grp"), func.count().label("size"))
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.duplicate_group.is_not(None),
        )
        .group_by(Analysis.duplicate_group)
        .subquery()
    )
    period_end = end
    for dept, cases, repeats, due, on_time in db.session.execute(
        select(
            Submission.department_id,
            func.count(),
            func.sum(case((group_sizes.c.size >= 2, 1), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            Submission.reply_due_at.is_not(None), Submission.replied_at.is_not(None)
                        ),
                        1,
                    ),
                    (
                        and_(
                            Submission.reply_due_at.is_not(None),
                            Submission.reply_due_at < period_end,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (
                        and_(
                            Submission.replied_at.is_not(None),
                            Submission.replied_at <= Submission.reply_due_at,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .outerjoin(Analysis, Analysis.submission_id == Submission.id)
        .outerjoin(group_sizes, group_sizes.c.grp == Analysis.duplicate_group)
        .where(in_period)
        .group_by(Submission.department_id)
    ).all():
        slot(dept).update(
            cases=int(cases),
            repeat_cases=int(repeats or 0),
            due_cases=int(due or 0),
            on_time_cases=int(on_time or 0),
        )

    return [
        DepartmentCounts(department=codes[dept], **values)
        for dept, values in acc.items()
        if dept in codes
    ]


def _imported(period: Period) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    bonus_name = (period.settings or {}).get("bonus_name", "bonus")
    imported: dict[str, dict[str, float]] = {}
    bonuses: dict[str, float] = {}
    for row in db.session.scalars(
        select(DimensionScore).where(DimensionScore.period_id == period.id)
    ):
        code = codes[row.department_id]
        if row.dimension in ("bonus", bonus_name):
            bonuses[code] = row.score
        else:
            imported.setdefault(code, {})[row.dimension] = row.score
    return imported, bonuses


def build_input(period: Period) -> PeriodInput:
    """Everything the period's result depends on, read from the raw rows now."""
    groups = dict(
        db.session.execute(
            select(Department.code, Department.group).where(Department.active.is_(True))
        )
        .tuples()
        .all()
    )
    imported, bonuses = _imported(period)
    counts = [c for c in gather_counts(period) if c.department in groups]
    try:
        return PeriodInput.build(
            period.code, period_settings(period), groups, counts, imported, bonuses
        )
    except ValueError as exc:
        raise AppraisalError(str(exc)) from exc


# --------------------------------------------------------------------------- results


def compute(period: Period, actor: str) -> PeriodResult:
    """Compute the period from the raw rows and store the (draft) result. Audited. Flushes."""
    if period.status == PeriodStatus.PUBLISHED:
        raise AppraisalError("该周期已发布，结果已冻结；请用 appraisal verify 复核")
    result = compute_period(build_input(period))
    period.result_json = result.canonical_json()
    period.result_sha256 = canonical_sha256(result)
    period.algorithm_version = result.algorithm_version
    period.computed_at = utcnow()
    period.status = PeriodStatus.COMPUTED.value
    record(
        actor,
        "period_compute",
        "period",
        period.code,
        {"sha256": period.result_sha256, "settings_version": period.settings_version},
    )
    db.session.flush()
    return result


@dataclass(frozen=True)
class PublishSummary:
    """What publishing a period would freeze: shown before the office confirms."""

    departments: int
    ranked: int
    insufficient: int  # departments not ranked because of 样本不足
    ended: bool  # the period's last day is before today (Asia/Shanghai)


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def publish_summary(period: Period, today: date | None = None) -> PublishSummary:
    """How many departments the stored result ranks, how many are 样本不足, and if it ended."""
    rows = result_rows(period)
    return PublishSummary(
        departments=len(rows),
        ranked=sum(1 for r in rows if r["rank"] is not None),
        insufficient=sum(
            1 for r in rows if r["rank"] is None and INSUFFICIENT_LABEL in (r["reason"] or "")
        ),
        # ends_on is exclusive (the first day after the period), so it ended once today reaches it
        ended=(today or _today()) >= period.ends_on,
    )


def publish(
    period: Period,
    actor: str,
    *,
    force: bool = False,
    reason: str | None = None,
    today: date | None = None,
) -> PublishSummary:
    """Freeze a computed period: settings and result no longer change. Audited. Flushes.

    A period that has not ended yet is refused: cases still arrive and follow-ups are still
    given, so its figures would be frozen half-way. ``force`` publishes it anyway, only with a
    reason, and the audit entry records both.
    """
    if period.status == PeriodStatus.PUBLISHED:
        raise AppraisalError("该周期已发布")
    if period.status != PeriodStatus.COMPUTED or not period.result_json:
        raise AppraisalError("请先计算该周期的结果")
    summary = publish_summary(period, today)
    reason = (reason or "").strip()
    if not summary.ended:
        if not force:
            raise AppraisalError(
                f"该周期尚未结束（截至 {period.ends_on - timedelta(days=1):%Y-%m-%d}），"
                "不能发布；如确需提前发布，请选择强制发布并填写原因"
            )
        if not reason:
            raise AppraisalError("强制发布未结束的周期须填写原因")
    differences = verify(period)
    if differences:
        raise AppraisalError(
            "数据在计算后已变化，请重新计算后再发布：" + "；".join(differences[:3])
        )
    period.status = PeriodStatus.PUBLISHED.value
    period.published_at = utcnow()
    details: dict[str, Any] = {
        "sha256": period.result_sha256,
        "algorithm": period.algorithm_version,
        "ranked": summary.ranked,
        "insufficient": summary.insufficient,
    }
    if not summary.ended:
        details.update(forced=True, reason=reason)
    entry = record(actor, "period_publish", "period", period.code, details)
    # The head including this publication, frozen with the result (checked by audit verify).
    period.audit_head = chain_head(entry)
    db.session.flush()
    return summary


def verify(period: Period) -> list[str]:
    """Recompute from the raw rows and list every difference from the stored result."""
    if not period.result_json:
        raise AppraisalError("该周期还没有结果")
    if period.algorithm_version and period.algorithm_version != ALGORITHM_VERSION:
        return [f"算法版本不同：存档 {period.algorithm_version}，当前 {ALGORITHM_VERSION}"]
    return verify_period(period.result_json, compute_period(build_input(period)))


def result_rows(period: Period) -> list[dict[str, Any]]:
    """The stored result as public rows: department, group, dimensions, indicators, total, rank."""
    import json

    if not period.result_json:
        return []
    data = json.loads(period.result_json)
    names = dict(db.session.execute(select(Department.code, Department.name)).tuples().all())
    citizen = {c["department"]: c for c in data.get("citizen", [])}
    rows = []
    for total in data.get("totals", []):
        code = total["department"]
        score = citizen.get(code, {})
        rows.append(
            {
                "department": code,
                "department_name": names.get(code, code),
                "group": total["group"],
                "dimensions": dict(total["dimension_scores"]),
                "bonus": total.get("bonus"),
                "citizen": {
                    "score": score.get("score"),
                    "low": score.get("low"),
                    "high": score.get("high"),
                    "indicators": [
                        {
                            "indicator": ind["indicator"],
                            "label": Indicator(ind["indicator"]).label,
                            "score": ind["score"],
                            "n": ind["n"],
                            "low": ind["low"],
                            "high": ind["high"],
                            "sufficient": ind["sufficient"],
                        }
                        for ind in score.get("indicators", [])
                    ],
                },
                "total": total["total"],
                "rank": total["rank"],
                "reason": total.get("reason"),
            }
        )
    rows.sort(key=lambda r: (r["group"], r["rank"] is None, r["rank"] or 0, r["department"]))
    return rows


def explain_department(period: Period, department_code: str, examples: int = 3) -> dict[str, Any]:
    """Why a department scored as it did.

    Its weakest indicators, and the categories and topics of its dissatisfied or negative cases
    in the period, with redacted example messages.
    """
    rows = {r["department"]: r for r in result_rows(period)}
    row = rows.get(department_code)
    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if row is None or department is None:
        raise AppraisalError("该部门没有本期结果")
    start, end = _instant(period.starts_on), _instant(period.ends_on)
    indicators = [i for i in row["citizen"]["indicators"] if i["score"] is not None]
    # "Weakest" is relative to the department itself: an indicator at or above its own mean is
    # not a weakness, even if it is the lowest of three strong ones.
    mean = sum(i["score"] for i in indicators) / len(indicators) if indicators else None
    weakest = sorted(
        (i for i in indicators if mean is not None and i["score"] < mean),
        key=lambda i: i["score"],
    )[:3]
    unhappy = (
        select(Submission.id)
        .join(FollowUp, FollowUp.submission_id == Submission.id)
        .where(
            Submission.department_id == department.id,
            FollowUp.created_at >= start,
            FollowUp.created_at < end,
            FollowUp.satisfaction == "dissatisfied",
        )
    )
    negative = (
        select(Analysis.submission_id)
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.department_id == department.id,
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.sentiment_label == "negative",
            # Only complaints: the sentiment model leans negative on texts unlike its training
            # data, and a suggestion or a rating (praise) is not a resident's dissatisfaction.
            Submission.kind == FeedbackKind.COMPLAINT.value,
        )
    )
    concern_ids = set(db.session.scalars(unhappy.union(negative)))
    concerns = list(
        db.session.scalars(
            select(Analysis)
            .where(Analysis.submission_id.in_(concern_ids))
            .order_by(Analysis.submission_id.desc())
            .limit(2000)
        )
    )
    categories: dict[str, int] = {}
    topics: dict[str, int] = {}
    for analysis in concerns:
        if analysis.category:
            categories[analysis.category] = categories.get(analysis.category, 0) + 1
        if analysis.topic_label:
            topics[analysis.topic_label] = topics.get(analysis.topic_label, 0) + 1
    return {
        "row": row,
        "weakest": weakest,
        "indicator_mean": mean,
        "categories": sorted(categories.items(), key=lambda kv: -kv[1])[:5],
        "topics": sorted(topics.items(), key=lambda kv: -kv[1])[:5],
        "examples": [a.redacted_text[:200] for a in concerns[:examples] if a.redacted_text],
        "concern_cases": len(concern_ids),
    }


def result_table(period: Period) -> tuple[list[str], list[list[Any]]]:
    """The results as a table (header, rows) for CSV/XLSX export: dimensions and indicators."""
    settings = period_settings(period)
    dimensions = list(settings.index.dimensions)
    indicator_codes = [i for i, _ in settings.scoring.weights.weights]
    header = ["组别", "排名", "部门代码", "部门", "总分", "加分"]
    header += [d.name for d in dimensions]
    header += (
        [f"{i.label}" for i in indicator_codes]
        + [f"{i.label} n" for i in indicator_codes]
        + ["说明"]
    )
    rows = []
    for r in result_rows(period):
        by_indicator = {i["indicator"]: i for i in r["citizen"]["indicators"]}
        rows.append(
            [
                r["group"],
                r["rank"] or "",
                r["department"],
                r["department_name"],
                r["total"],
                r["bonus"],
            ]
            + [r["dimensions"].get(d.code) for d in dimensions]
            + [by_indicator.get(i.value, {}).get("score") for i in indicator_codes]
            + [by_indicator.get(i.value, {}).get("n") for i in indicator_codes]
            + [r["reason"] or ""]
        )
    return header, rows
