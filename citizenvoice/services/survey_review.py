"""The office's review of flagged survey answers: hold, exclude (with a reason) or release.

A batch is one rater group's answers for one department (a ``group_outlier`` finding) or
within one hour (a ``burst``): answers are not linked to raters, so scope is all there is to
hold. ``counted()`` (services.survey_counted) is the SQL condition every survey figure
applies: answers of a held or excluded batch are left out of the office's results, the
departments' view and the appraisal's ``survey`` indicator. Every step is audited in the hash
chain; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import (
    Department,
    Period,
    SurveyAnswer,
    SurveyCampaign,
    SurveyGroup,
    SurveyHold,
)
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.survey import SurveyError
from citizenvoice.services.survey_admin import begin_write
from citizenvoice.services.survey_counted import ACTIVE, counted

__all__ = ["ACTIVE", "REASON_MAX", "HoldRow", "counted", "decide_hold", "hold_batch", "holds_of"]

REASON_MAX = 500
_HOUR = "%Y-%m-%d %H:00"  # the hour labels of the burst findings (Beijing time)


def _not_published(campaign: SurveyCampaign) -> None:
    """A published period's scores are final: what they counted may no longer change."""
    period = db.session.get(Period, campaign.period_id)
    if period is not None and period.status == PeriodStatus.PUBLISHED.value:
        raise SurveyError(409, "考核周期已发布，不能再更改计入的答卷")


def _hour_window(label: object) -> tuple[datetime, datetime]:
    if not isinstance(label, str) or len(label) != 16:
        raise SurveyError(400, "时段有误", {"hour": "时段须为 YYYY-MM-DD HH:00"})
    try:
        start = datetime.strptime(label, _HOUR).replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise SurveyError(400, "时段有误", {"hour": "时段须为 YYYY-MM-DD HH:00"}) from exc
    start = start.astimezone(UTC)
    return start, start + timedelta(hours=1)


def _scope(
    campaign: SurveyCampaign, group_code: object, department_code: object, hour: object
) -> tuple[SurveyGroup, Department | None, tuple[datetime, datetime] | None]:
    if not isinstance(group_code, str) or not group_code:
        raise SurveyError(400, "请选择评价群体", {"group": "须选择评价群体"})
    group = next((g for g in campaign.groups if g.code == group_code), None)
    if group is None:
        raise SurveyError(404, "该问卷没有此评价群体")
    department = None
    if department_code:
        if not isinstance(department_code, str) or len(department_code) > 32:
            raise SurveyError(400, "部门有误", {"department": "部门不存在"})
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise SurveyError(400, "部门有误", {"department": "部门不存在"})
    window = _hour_window(hour) if hour else None
    if department is None and window is None:
        raise SurveyError(400, "请指定部门或时段", {"scope": "须指定部门或时段"})
    return group, department, window


def hold_batch(
    campaign: SurveyCampaign, group_code: object, department_code: object, hour: object, actor: str
) -> SurveyHold:
    """Hold a group's answers for a department and/or an hour; 409 if that batch is held already."""
    group, department, window = _scope(campaign, group_code, department_code, hour)
    _not_published(campaign)
    starts_at, ends_at = window or (None, None)
    # Serialise holds of one campaign, so two racing requests cannot both hold one batch.
    begin_write()
    db.session.execute(
        select(SurveyCampaign.id).where(SurveyCampaign.id == campaign.id).with_for_update()
    )
    same = select(SurveyHold.id).where(
        SurveyHold.group_id == group.id, SurveyHold.status.in_(ACTIVE)
    )
    same = same.where(
        SurveyHold.department_id == department.id
        if department
        else SurveyHold.department_id.is_(None)
    )
    same = same.where(
        SurveyHold.starts_at == starts_at if starts_at else SurveyHold.starts_at.is_(None)
    )
    if db.session.scalar(same) is not None:
        raise SurveyError(409, "这批答卷已在复核中")
    hold = SurveyHold(
        campaign_id=campaign.id,
        group_id=group.id,
        department_id=department.id if department else None,
        starts_at=starts_at,
        ends_at=ends_at,
        kind="burst" if window else "group_outlier",
        status="held",
        created_by=actor,
    )
    db.session.add(hold)
    db.session.flush()
    details = {"hold": hold.id, "group": group.code, "answers": _size(hold)}
    details |= {"department": department.code} if department else {}
    details |= {"hour": str(hour)} if window else {}
    record(actor, "survey_hold", "survey_campaign", campaign.id, details)
    return hold


def _size(hold: SurveyHold) -> int:
    """The number of answer rows in a batch."""
    query = select(func.count()).where(
        SurveyAnswer.campaign_id == hold.campaign_id, SurveyAnswer.group_id == hold.group_id
    )
    if hold.department_id is not None:
        query = query.where(SurveyAnswer.department_id == hold.department_id)
    if hold.starts_at is not None and hold.ends_at is not None:
        query = query.where(
            SurveyAnswer.created_at >= hold.starts_at, SurveyAnswer.created_at < hold.ends_at
        )
    return int(db.session.scalar(query) or 0)


def _reason(raw: object) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > REASON_MAX or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise SurveyError(400, "请填写理由", {"reason": f"理由为必填，不超过 {REASON_MAX} 字"})
    return text


def decide_hold(
    campaign: SurveyCampaign, hold_id: int, action: object, reason: object, actor: str
) -> SurveyHold:
    """``exclude`` a held batch (reason required) or ``release`` a held or excluded one.

    A conditional UPDATE: of two racing decisions only one applies, the other gets 409.
    """
    hold = db.session.get(SurveyHold, hold_id)
    if hold is None or hold.campaign_id != campaign.id:
        raise SurveyError(404, "复核记录不存在")
    _not_published(campaign)
    if action == "exclude":
        text: str | None = _reason(reason)
        before: tuple[str, ...] = ("held",)
        after = "excluded"
    elif action == "release":
        text = reason.strip()[:REASON_MAX] if isinstance(reason, str) and reason.strip() else None
        before, after = ACTIVE, "released"
    else:
        raise SurveyError(400, "未知的操作")
    changed = db.session.execute(
        update(SurveyHold)
        .where(SurveyHold.id == hold.id, SurveyHold.status.in_(before))
        .values(status=after, reason=text, decided_by=actor, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        db.session.rollback()
        raise SurveyError(409, "这批答卷的状态已改变，请刷新页面")
    db.session.refresh(hold)
    details = {"hold": hold.id, "status": after, "answers": _size(hold), "reason": text}
    record(actor, f"survey_{action}", "survey_campaign", campaign.id, details)
    return hold


@dataclass(frozen=True)
class HoldRow:
    """A batch for the campaign page: the hold, its group and department codes, its size."""

    hold: SurveyHold
    group: str
    department: str | None
    hour: str | None
    answers: int


def holds_of(campaign: SurveyCampaign) -> list[HoldRow]:
    """The campaign's batches under review or decided, newest first."""
    groups = {g.id: g.code for g in campaign.groups}
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    rows = []
    for hold in db.session.scalars(
        select(SurveyHold)
        .where(SurveyHold.campaign_id == campaign.id)
        .order_by(SurveyHold.id.desc())
    ):
        hour = hold.starts_at.astimezone(SHANGHAI).strftime(_HOUR) if hold.starts_at else None
        department = codes.get(hold.department_id) if hold.department_id else None
        rows.append(HoldRow(hold, groups.get(hold.group_id, ""), department, hour, _size(hold)))
    return rows
