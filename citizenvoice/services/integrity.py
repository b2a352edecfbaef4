"""Integrity of scored judgements: anomalies hold follow-ups for review; exclusion needs a reason.

The checks are the domain's (``domain.scoring.detect_anomalies``): bursts from one client
fingerprint, runs of identical top scores, a second judgement of one case, and a department's
volume far above its past periods. Held follow-ups do not count until the office releases
them; excluded ones never count. Nothing is deleted; every decision is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring import IntegrityReport, RatingRecord, detect_anomalies
from citizenvoice.domain.scoring.review import Exclusion
from citizenvoice.extensions import db
from citizenvoice.models import Department, FollowUp, Period, RatingReview
from citizenvoice.models.base import utcnow
from citizenvoice.services.appraisal import AppraisalError
from citizenvoice.services.audit import record

__all__ = ["HISTORY_PERIODS", "IntegrityOutcome", "check_period", "decide"]

# Past periods of the same length the volume check compares a department with.
HISTORY_PERIODS = 6
# A follow-up without a star rating still has a satisfaction answer; map it for the top-run check.
_STARS_FROM_SATISFACTION = {"satisfied": 5, "basic": 4, "dissatisfied": 1}


@dataclass(frozen=True)
class IntegrityOutcome:
    """What a check found: follow-ups checked, newly held, and the reasons by follow-up id."""

    checked: int
    newly_held: int
    reasons: dict[int, tuple[str, ...]]


def check_period(period: Period, actor: str) -> IntegrityOutcome:
    """Run the anomaly checks over the period's follow-ups and hold the flagged ones. Audited."""
    if period.status == PeriodStatus.PUBLISHED:
        raise AppraisalError("该周期已发布，不能再调整计分数据")
    start, end = local_midnight(period.starts_on), local_midnight(period.ends_on)
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    rows = list(
        db.session.scalars(
            select(FollowUp).where(
                FollowUp.created_at >= start,
                FollowUp.created_at < end,
                FollowUp.no_response.is_(False),
                FollowUp.department_id.is_not(None),
            )
        )
    )
    records = [
        RatingRecord(
            rating_id=row.id,
            case_id=row.submission_id,
            department=codes[int(row.department_id or 0)],
            stars=row.rating or _STARS_FROM_SATISFACTION.get(row.satisfaction or "", 3),
            submitted_at=row.created_at,
            ip_hash=row.client_fingerprint,
        )
        for row in rows
    ]
    report = detect_anomalies(records, _earlier_counts(start, end, codes))
    newly, reasons = _hold_flagged(rows, report, _near_duplicate_comments(rows))
    record(
        actor,
        "integrity_check",
        "period",
        period.code,
        {"checked": len(records), "newly_held": newly},
    )
    db.session.flush()
    return IntegrityOutcome(len(records), newly, reasons)


def _earlier_counts(start: datetime, end: datetime, codes: dict[int, str]) -> dict[str, list[int]]:
    """Follow-ups per department in each of the ``HISTORY_PERIODS`` spans before the period."""
    span = end - start
    history: dict[str, list[int]] = {}
    for back in range(1, HISTORY_PERIODS + 1):
        lo, hi = start - span * back, start - span * (back - 1)
        for dept, n in db.session.execute(
            select(FollowUp.department_id, func.count())
            .where(
                FollowUp.created_at >= lo,
                FollowUp.created_at < hi,
                FollowUp.department_id.is_not(None),
            )
            .group_by(FollowUp.department_id)
        ).tuples():
            history.setdefault(codes[int(dept or 0)], []).append(int(n))
    return history


def _hold_flagged(
    rows: list[FollowUp], report: IntegrityReport, similar: dict[int, str]
) -> tuple[int, dict[int, tuple[str, ...]]]:
    """Hold every flagged follow-up not already under review: (newly held, reasons by id)."""
    by_id = {row.id: row for row in rows}
    flagged = {int(r) for r in report.held}
    newly = 0
    reasons: dict[int, tuple[str, ...]] = {}
    for follow_up_id in sorted(flagged | set(similar)):
        row = by_id[follow_up_id]
        found = report.reasons(follow_up_id) if follow_up_id in flagged else ()
        reasons[row.id] = tuple(found) + (
            (similar[follow_up_id],) if follow_up_id in similar else ()
        )
        if db.session.scalar(
            select(RatingReview).where(RatingReview.submission_id == row.submission_id)
        ):
            continue
        db.session.add(
            RatingReview(
                submission_id=row.submission_id, status="held", flags=list(reasons[row.id])
            )
        )
        newly += 1
    return newly, reasons


# Comments this similar (Jaccard of character 3-grams) read as one text pasted many times.
COMMENT_SIMILARITY = 0.8
# A group of at least this many near-identical comments is held (two can be coincidence).
MIN_SIMILAR_COMMENTS = 3
MIN_COMMENT_LENGTH = 8


def _near_duplicate_comments(rows: list[FollowUp]) -> dict[int, str]:
    """Follow-ups whose comments nearly repeat at least two others (copy-paste campaigns)."""
    from nlp import NearDuplicateIndex

    index = NearDuplicateIndex(threshold=COMMENT_SIMILARITY)
    groups: dict[str, list[int]] = {}
    for row in rows:
        comment = (row.comment or "").strip()
        if len(comment) >= MIN_COMMENT_LENGTH:
            groups.setdefault(index.add(str(row.id), comment), []).append(row.id)
    flagged: dict[int, str] = {}
    for members in groups.values():
        if len(members) >= MIN_SIMILAR_COMMENTS:
            for member in members:
                flagged[member] = f"评价意见与本期另外 {len(members) - 1} 条高度相似，疑似批量提交"
    return flagged


def decide(review_id: int, decision: str, reason: str, actor: str) -> RatingReview:
    """Release a held follow-up (it counts again) or exclude it (a reason is required). Audited."""
    review = db.session.get(RatingReview, review_id)
    if review is None:
        raise AppraisalError("待核实记录不存在")
    if decision == "exclude":
        try:
            Exclusion(rating_id=review.submission_id, reason=reason)
        except ValueError as exc:
            raise AppraisalError(str(exc)) from exc
        review.status = "excluded"
    elif decision == "release":
        review.status = "released"
    else:
        raise AppraisalError("未知的处理方式")
    review.reason = reason.strip()
    review.decided_by, review.decided_at = actor, utcnow()
    record(
        actor,
        f"integrity_{decision}",
        "submission",
        review.submission_id,
        {"reason": review.reason, "flags": review.flags},
    )
    db.session.flush()
    return review
