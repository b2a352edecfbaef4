"""Office pages over survey comments: explanation, opinion report, 整改 task from a group.

Also the button that starts the comment analysis.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.surveys import STATUS_LABELS, campaign_or_404
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.extensions import db
from citizenvoice.jobs.survey_comments import request_comment_analysis
from citizenvoice.models import Period
from citizenvoice.services.departments import department_by_code
from citizenvoice.services.rectification import RectificationError
from citizenvoice.services.survey_comment_tasks import comment_tasks, open_comment_task
from citizenvoice.services.survey_comments import explain_department, pending_comments
from citizenvoice.services.survey_report import opinion_report

__all__: list[str] = []  # routes only: they register on office_blueprint

# Field bounds: a department code and an nlp category are short; anything longer is refused.
MAX_FIELD = 64


@office_blueprint.get("/surveys/<int:campaign_id>/departments/<department>")
@role_required(*OFFICE_ROLES)
def survey_department(campaign_id: int, department: str) -> Any:
    """Why a department's survey score is where it is: low rater groups, negative comments."""
    campaign = campaign_or_404(campaign_id)
    found = department_by_code(department[:MAX_FIELD])
    if found is None:
        abort(404)
    explanation = explain_department(campaign, found.id, found.code)
    if explanation is None:
        abort(404)
    period = db.session.get(Period, campaign.period_id)
    return render_template(
        "office/survey_department.html",
        campaign=campaign,
        period=period,
        department=found,
        explanation=explanation,
        tasks=comment_tasks(campaign.id),
        form=ActionForm(),
    )


@office_blueprint.get("/surveys/<int:campaign_id>/report")
@role_required(*OFFICE_ROLES)
def survey_report(campaign_id: int) -> Any:
    """The printable opinion report (民意报告) of a campaign."""
    campaign = campaign_or_404(campaign_id)
    return render_template(
        "office/survey_report.html",
        campaign=campaign,
        period=db.session.get(Period, campaign.period_id),
        report=opinion_report(campaign),
        labels=STATUS_LABELS,
    )


def _back(campaign_id: int) -> Any:
    """Back to the page the button was on (a department's page or the campaign's)."""
    department = request.form.get("back", "")
    if department and len(department) <= MAX_FIELD and department_by_code(department):
        return redirect(
            url_for("office.survey_department", campaign_id=campaign_id, department=department)
        )
    return redirect(url_for("office.survey_page", campaign_id=campaign_id) + "#comment-groups")


@office_blueprint.post("/surveys/<int:campaign_id>/comment-tasks")
@role_required(*OFFICE_ROLES)
def survey_comment_task(campaign_id: int) -> Any:
    """转为整改任务: open the comment group's task for its department (once per group)."""
    campaign = campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    department = request.form.get("department", "")
    category = request.form.get("category", "")
    if not department or not category or max(len(department), len(category)) > MAX_FIELD:
        flash("请选择一组意见", "danger")
        return _back(campaign.id)
    try:
        task, created = open_comment_task(current_user, campaign, department, category)
    except RectificationError as exc:
        db.session.rollback()
        flash("；".join(exc.errors), "danger")
        return _back(campaign.id)
    flash(
        f"已生成整改任务 #{task.id}" if created else f"该组意见已有整改任务 #{task.id}",
        "success" if created else "info",
    )
    return _back(campaign.id)


@office_blueprint.post("/surveys/<int:campaign_id>/analyse-comments")
@role_required(*OFFICE_ROLES)
def survey_analyse_comments(campaign_id: int) -> Any:
    """Start the analysis of the campaign's new comments (in-process or on the batch queue)."""
    campaign = campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    pending = pending_comments(campaign.id)
    if not pending:
        flash("没有待分析的意见", "info")
    elif request_comment_analysis(campaign.id):
        flash(f"已开始分析 {pending} 条意见，稍后刷新本页查看", "success")
    else:
        flash("分析队列暂不可用，请稍后再试或使用命令行 survey analyse-comments", "danger")
    return _back(campaign.id)
