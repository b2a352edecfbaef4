"""Office actions on a campaign's priority question: candidates and 整改 tasks from them.

Propose and withdraw candidates, turn a candidate into a 整改 task; the tally and the forms are
shown on the campaign page.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from citizenvoice.blueprints.actions import commit_or_flash
from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.surveys import campaign_or_404
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.extensions import db
from citizenvoice.models import SurveyCampaign, SurveyPriority
from citizenvoice.services.rectification import RectificationError
from citizenvoice.services.survey import SurveyError
from citizenvoice.services.survey_priority import (
    add_candidate,
    remove_candidate,
    task_from_candidate,
)

__all__: list[str] = []  # routes only: they register on office_blueprint


def _back(campaign: SurveyCampaign) -> str:
    return url_for("office.survey_page", campaign_id=campaign.id) + "#priorities"


def _reason(exc: Exception) -> str:
    if isinstance(exc, RectificationError):
        return "；".join(exc.errors)
    return exc.message if isinstance(exc, SurveyError) else str(exc)


def _field(name: str, limit: int = 2000) -> str:
    return (request.form.get(name) or "")[:limit]


@office_blueprint.post("/surveys/<int:campaign_id>/priorities")
@role_required(*OFFICE_ROLES)
def survey_priority_add(campaign_id: int) -> Response:
    """Propose a candidate (typed, or a hot issue's one-click suggestion); audited."""
    campaign = campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    source = (_field("source_kind", 16), _field("source_value", 100))
    return commit_or_flash(
        lambda: add_candidate(
            campaign, _field("title"), _field("description"), source, current_user.username
        ),
        refused=SurveyError,
        done="候选事项已添加",
        then=_back(campaign),
        reason=_reason,
    )


@office_blueprint.post("/surveys/<int:campaign_id>/priorities/<int:candidate_id>/remove")
@role_required(*OFFICE_ROLES)
def survey_priority_remove(campaign_id: int, candidate_id: int) -> Response:
    """Withdraw a candidate before the first answer; audited."""
    campaign = campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return commit_or_flash(
        lambda: remove_candidate(campaign, candidate_id, current_user.username),
        refused=SurveyError,
        done="候选事项已删除",
        then=_back(campaign),
        reason=_reason,
    )


@office_blueprint.post("/surveys/<int:campaign_id>/priorities/<int:candidate_id>/task")
@role_required(*OFFICE_ROLES)
def survey_priority_task(campaign_id: int, candidate_id: int) -> Any:
    """转为整改任务: open the candidate's task for the chosen department (once); audited."""
    campaign = campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    candidate = db.session.get(SurveyPriority, candidate_id)
    if candidate is None or candidate.campaign_id != campaign.id:
        # As a withdrawn candidate's remove button: said on the page, not a bare 404.
        flash("候选事项不存在", "danger")
        return redirect(_back(campaign), code=303)
    try:
        deadline: date | None = date.fromisoformat(_field("deadline", 10))
    except ValueError:
        deadline = None
    form = {
        "department": _field("department", 32),
        "target": _field("target"),
        "source_kind": _field("source_kind", 16),
        "source_value": _field("source_value", 100),
        "deadline": deadline,
    }
    try:
        task = task_from_candidate(current_user._get_current_object(), candidate, form)
    except (SurveyError, RectificationError) as exc:
        db.session.rollback()
        flash(_reason(exc), "danger")
        return redirect(_back(campaign), code=303)
    db.session.commit()
    flash("已转为整改任务", "success")
    return redirect(url_for("office.rectification_detail", task_id=task.id), code=303)
