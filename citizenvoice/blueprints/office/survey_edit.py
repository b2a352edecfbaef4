"""Office pages that change a survey campaign, and printable invitation sheets with QR codes.

Create a draft, edit it, open and close it; print N new invitations, one QR code each.

Thin: the rules (draft only, validation, the conditional UPDATEs, the audit) are in
``citizenvoice.services.survey_admin``. A refusal re-renders the campaign page with the
Chinese message and field errors (400 or 409), never a server error.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.surveys import (
    MAX_SHEET,
    STATUS_LABELS,
    campaign_or_404,
    render_campaign,
)
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.domain.survey import format_code
from citizenvoice.domain.survey_edit import parse_int_field
from citizenvoice.domain.survey_sheet import qr_svg
from citizenvoice.extensions import db
from citizenvoice.models import Period, SurveyCampaign
from citizenvoice.services.appraisal.periods import beijing_today
from citizenvoice.services.audit import record
from citizenvoice.services.survey import SurveyError, issue_invitations
from citizenvoice.services.survey_admin import (
    close_campaign,
    create_draft,
    edit_campaign,
    edit_group,
    open_campaign,
)
from citizenvoice.services.survey_review import decide_hold, hold_batch

__all__: list[str] = []  # routes only: they register on office_blueprint


def _csrf_or_400() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _refused(campaign: SurveyCampaign, exc: SurveyError) -> Any:
    """The campaign page again with the refusal and its field errors."""
    db.session.rollback()
    return render_campaign(campaign, message=exc.message, errors=exc.fields), exc.status


@office_blueprint.post("/surveys")
@role_required(*OFFICE_ROLES)
def survey_create() -> Any:
    """A draft campaign for a period from a preset; then the office edits and opens it."""
    _csrf_or_400()
    try:
        campaign = create_draft(
            request.form.get("period"), request.form.get("preset"), current_user.username
        )
    except SurveyError as exc:
        db.session.rollback()
        campaigns = db.session.scalars(select(SurveyCampaign).order_by(SurveyCampaign.id.desc()))
        periods = {p.id: p for p in db.session.scalars(select(Period))}
        page = render_template(
            "office/surveys.html",
            campaigns=campaigns.all(),
            periods=periods,
            labels=STATUS_LABELS,
            form=ActionForm(),
            message=exc.message,
            errors=exc.fields,
        )
        return page, exc.status
    db.session.commit()
    flash("问卷草稿已创建，请检查群体、权重和日期后开始问卷", "success")
    return redirect(url_for("office.survey_page", campaign_id=campaign.id), 303)


@office_blueprint.post("/surveys/<int:campaign_id>/settings")
@role_required(*OFFICE_ROLES)
def survey_settings(campaign_id: int) -> Any:
    """A draft's dates and score values."""
    campaign = campaign_or_404(campaign_id)
    _csrf_or_400()
    try:
        edit_campaign(campaign, request.form, current_user.username)
    except SurveyError as exc:
        return _refused(campaign, exc)
    db.session.commit()
    flash("日期和分值已保存", "success")
    return redirect(url_for("office.survey_page", campaign_id=campaign.id), 303)


@office_blueprint.post("/surveys/<int:campaign_id>/groups/<int:group_id>")
@role_required(*OFFICE_ROLES)
def survey_group_update(campaign_id: int, group_id: int) -> Any:
    """A draft group's name, weight, minimum n and departments in scope."""
    campaign = campaign_or_404(campaign_id)
    _csrf_or_400()
    departments = request.form.getlist("departments")
    try:
        group = edit_group(campaign, group_id, request.form, departments, current_user.username)
    except SurveyError as exc:
        return _refused(campaign, exc)
    db.session.commit()
    flash(f"评价群体“{group.name}”已保存", "success")
    return redirect(url_for("office.survey_page", campaign_id=campaign.id), 303)


@office_blueprint.post("/surveys/<int:campaign_id>/status")
@role_required(*OFFICE_ROLES)
def survey_status(campaign_id: int) -> Any:
    """Open a draft (it is frozen from then on) or close an open campaign."""
    campaign = campaign_or_404(campaign_id)
    _csrf_or_400()
    action = request.form.get("action")
    try:
        if action == "open":
            open_campaign(campaign, current_user.username, beijing_today())
        elif action == "close":
            close_campaign(campaign, current_user.username, beijing_today())
        else:
            raise SurveyError(400, "未知的操作")
    except SurveyError as exc:
        return _refused(campaign, exc)
    db.session.commit()
    flash("问卷已开始，内容已冻结" if action == "open" else "问卷已结束", "success")
    return redirect(url_for("office.survey_page", campaign_id=campaign.id), 303)


@office_blueprint.post("/surveys/<int:campaign_id>/sheet")
@role_required(*OFFICE_ROLES)
def survey_invitation_sheet(campaign_id: int) -> Any:
    """A printable page of N new invitations, one QR code each and the code in groups of four.

    The codes exist in clear only in this response; the audit records group and count.
    """
    campaign = campaign_or_404(campaign_id)
    _csrf_or_400()
    group_code = request.form.get("group", "")
    count = parse_int_field(request.form.get("count"), 1, MAX_SHEET)
    if count is None or len(group_code) > 32:
        exc = SurveyError(400, f"打印数量须为 1 到 {MAX_SHEET} 的整数", {"count": "数量有误"})
        return _refused(campaign, exc)
    try:
        codes = issue_invitations(campaign, group_code, count)
    except SurveyError as exc:
        return _refused(campaign, exc)
    group = next(g for g in campaign.groups if g.code == group_code)
    details = {"group": group_code, "count": count, "format": "sheet"}
    record(current_user.username, "survey_invitations", "survey_campaign", campaign.id, details)
    db.session.commit()
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    cards = [{"code": format_code(code), "qr": qr_svg(f"{base}/survey/{code}")} for code in codes]
    return render_template(
        "office/survey_sheet.html", campaign=campaign, group=group, cards=cards, base=base
    )


@office_blueprint.post("/surveys/<int:campaign_id>/holds")
@role_required(*OFFICE_ROLES)
def survey_hold(campaign_id: int) -> Any:
    """Hold a flagged batch (a group's answers for a department or an hour) for review."""
    campaign = campaign_or_404(campaign_id)
    _csrf_or_400()
    form = request.form
    try:
        hold_batch(
            campaign,
            form.get("group"),
            form.get("department"),
            form.get("hour"),
            current_user.username,
        )
    except SurveyError as exc:
        return _refused(campaign, exc)
    db.session.commit()
    flash("这批答卷已暂停计入，请复核后排除（须填写理由）或恢复", "success")
    return redirect(url_for("office.survey_page", campaign_id=campaign.id), 303)


@office_blueprint.post("/surveys/<int:campaign_id>/holds/<int:hold_id>")
@role_required(*OFFICE_ROLES)
def survey_hold_decide(campaign_id: int, hold_id: int) -> Any:
    """Exclude a held batch (reason required) or release it back into the figures."""
    campaign = campaign_or_404(campaign_id)
    _csrf_or_400()
    action = request.form.get("action")
    try:
        decide_hold(campaign, hold_id, action, request.form.get("reason"), current_user.username)
    except SurveyError as exc:
        return _refused(campaign, exc)
    db.session.commit()
    flash("已排除这批答卷" if action == "exclude" else "这批答卷已恢复计入", "success")
    return redirect(url_for("office.survey_page", campaign_id=campaign.id), 303)
