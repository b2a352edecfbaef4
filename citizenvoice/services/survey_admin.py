"""The office's editing of survey campaigns: create a draft, edit it, open it, close it.

A campaign is editable only while it is a draft; the rule lives here, not in the views. Each
edit first runs ``UPDATE survey_campaign SET status = 'draft' WHERE id = ? AND status =
'draft'``: on PostgreSQL that takes the row lock, so an edit racing an "open" waits for it and
then matches no row (refused); on SQLite the write lock serialises them the same way. Opening
and closing are conditional UPDATEs too, so of two racing requests exactly one changes the
status. Every change is audited in the hash chain with the actor; the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select, update

from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.survey_edit import EditInvalid, parse_campaign_edit, parse_group_edit
from citizenvoice.extensions import db
from citizenvoice.models import Department, Period, SurveyCampaign, SurveyGroup
from citizenvoice.services.audit import record
from citizenvoice.services.survey import SurveyError, create_campaign

__all__ = [
    "FROZEN_MESSAGE",
    "active_department_codes",
    "begin_write",
    "close_campaign",
    "create_draft",
    "edit_campaign",
    "edit_group",
    "open_campaign",
]

FROZEN_MESSAGE = "问卷已开始或已结束，内容已冻结，不能再修改"
_TRANSITIONS = {"open": ("draft", "open"), "close": ("open", "closed")}


def active_department_codes() -> list[str]:
    """Codes of the active departments, the ones a group may be narrowed to."""
    return list(
        db.session.scalars(
            select(Department.code).where(Department.active.is_(True)).order_by(Department.code)
        )
    )


def create_draft(period_code: object, preset: object, actor: str) -> SurveyCampaign:
    """A draft campaign for a period from a preset (hangzhou|beijing), audited."""
    fields: dict[str, str] = {}
    period = None
    if isinstance(period_code, str) and len(period_code) <= 16:
        period = db.session.scalar(select(Period).where(Period.code == period_code))
    if period is None:
        fields["period"] = "请选择考核周期"
    elif period.status == PeriodStatus.PUBLISHED:
        fields["period"] = "该考核周期已发布，请选择其他周期"
    if preset not in ("hangzhou", "beijing"):
        fields["preset"] = "请选择预设：杭州（九类群体）或北京（市民）"
    if fields or period is None:
        raise SurveyError(400, "输入有误", fields)
    campaign = create_campaign(period, str(preset), status="draft")
    record(actor, "survey_create", "survey_campaign", campaign.id, {"preset": preset})
    return campaign


def begin_write() -> None:
    """On SQLite, take the write lock now (waiting on the busy timeout) if none is held.

    A deferred transaction's UPDATE could otherwise fail at once on a racing writer.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lock_draft(campaign: SurveyCampaign) -> None:
    """Lock the campaign's row while it is a draft, or refuse with 409 (see module docstring)."""
    begin_write()
    changed = db.session.execute(
        update(SurveyCampaign)
        .where(SurveyCampaign.id == campaign.id, SurveyCampaign.status == "draft")
        .values(status="draft")
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        db.session.rollback()
        raise SurveyError(409, FROZEN_MESSAGE)
    db.session.refresh(campaign)


def _refused(exc: EditInvalid) -> SurveyError:
    return SurveyError(400, "输入有误，请按提示修改", exc.fields)


def edit_campaign(campaign: SurveyCampaign, raw: Mapping[str, object], actor: str) -> None:
    """New dates and score values of a draft; 400 with field errors, 409 once it opened."""
    try:
        edit = parse_campaign_edit(raw)
    except EditInvalid as exc:
        raise _refused(exc) from exc
    _lock_draft(campaign)
    campaign.starts_on, campaign.ends_on = edit.starts_on, edit.ends_on
    campaign.scores = dict(edit.scores)
    record(
        actor,
        "survey_edit",
        "survey_campaign",
        campaign.id,
        {
            "starts_on": edit.starts_on.isoformat(),
            "ends_on": edit.ends_on.isoformat(),
            "scores": edit.scores,
        },
    )
    db.session.flush()


def edit_group(
    campaign: SurveyCampaign,
    group_id: int,
    raw: Mapping[str, object],
    departments: Collection[object],
    actor: str,
) -> SurveyGroup:
    """New name, weight, minimum n and scope of a draft's group; 400, 404 or 409 refused."""
    group = db.session.get(SurveyGroup, group_id)
    if group is None or group.campaign_id != campaign.id:
        raise SurveyError(404, "该问卷没有此评价群体")
    try:
        edit = parse_group_edit(raw, departments, set(active_department_codes()))
    except EditInvalid as exc:
        raise _refused(exc) from exc
    _lock_draft(campaign)
    group.name, group.weight, group.min_n = edit.name, edit.weight, edit.min_n
    group.departments = edit.departments
    details: dict[str, Any] = {
        "group": group.code,
        "name": edit.name,
        "weight": edit.weight,
        "min_n": edit.min_n,
        "departments": edit.departments,
    }
    record(actor, "survey_group_edit", "survey_campaign", campaign.id, details)
    db.session.flush()
    return group


def _transition(campaign: SurveyCampaign, action: str, actor: str, today: date) -> None:
    before, after = _TRANSITIONS[action]
    if action == "open" and not today < campaign.ends_on:
        raise SurveyError(409, "问卷结束日期已过，请先修改日期再开始")
    begin_write()
    changed = db.session.execute(
        update(SurveyCampaign)
        .where(SurveyCampaign.id == campaign.id, SurveyCampaign.status == before)
        .values(status=after)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        db.session.rollback()
        message = "问卷不是草稿，不能开始" if action == "open" else "问卷不在进行中，不能结束"
        raise SurveyError(409, message)
    db.session.refresh(campaign)
    record(actor, f"survey_{action}", "survey_campaign", campaign.id, {"status": after})


def open_campaign(campaign: SurveyCampaign, actor: str, today: date) -> None:
    """Draft -> open (then frozen); exactly one of racing requests succeeds, the others 409."""
    if not campaign.groups:
        raise SurveyError(409, "问卷没有评价群体，不能开始")
    _transition(campaign, "open", actor, today)


def close_campaign(campaign: SurveyCampaign, actor: str, today: date) -> None:
    """Open -> closed: no more answers and no more invitations."""
    _transition(campaign, "close", actor, today)
