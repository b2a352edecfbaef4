"""Computing, publishing (frozen, audited) and verifying a period's result from the raw rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.scoring import (
    ALGORITHM_VERSION,
    PeriodResult,
    canonical_sha256,
    compute_period,
    verify_period,
)
from citizenvoice.domain.scoring.indicators import INSUFFICIENT_LABEL
from citizenvoice.extensions import db
from citizenvoice.models import Period
from citizenvoice.models.base import utcnow
from citizenvoice.services.appraisal.counts import build_input
from citizenvoice.services.appraisal.periods import AppraisalError, beijing_today
from citizenvoice.services.appraisal.reports import result_rows
from citizenvoice.services.audit import chain_head, record

__all__ = ["PublishSummary", "compute", "publish", "publish_summary", "verify"]


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
        ended=(today or beijing_today()) >= period.ends_on,
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
