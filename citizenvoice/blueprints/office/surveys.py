"""Office pages for 社会评价 surveys: campaigns, their groups and results, invitation CSVs.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.blueprints.security import no_store
from citizenvoice.extensions import db
from citizenvoice.models import Period, SurveyCampaign
from citizenvoice.services.audit import record
from citizenvoice.services.departments import active_departments
from citizenvoice.services.rectification import SOURCE_KINDS
from citizenvoice.services.survey import SurveyError, issue_invitations
from citizenvoice.services.survey_priority import campaign_tally, has_answers, hot_suggestions
from citizenvoice.services.survey_results import campaign_results, invitation_counts, result_bands

__all__: list[str] = []  # routes only: they register on office_blueprint

STATUS_LABELS = {"draft": "草稿", "open": "进行中", "closed": "已结束"}
MAX_DOWNLOAD = 20_000


@office_blueprint.get("/surveys")
@role_required(*OFFICE_ROLES)
def surveys() -> Any:
    """Every campaign with its period, dates and status."""
    campaigns = db.session.scalars(select(SurveyCampaign).order_by(SurveyCampaign.id.desc())).all()
    periods = {p.id: p for p in db.session.scalars(select(Period))}
    return render_template(
        "office/surveys.html", campaigns=campaigns, periods=periods, labels=STATUS_LABELS
    )


def _campaign(campaign_id: int) -> SurveyCampaign:
    campaign = db.session.get(SurveyCampaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@office_blueprint.get("/surveys/<int:campaign_id>")
@role_required(*OFFICE_ROLES)
def survey_page(campaign_id: int) -> Any:
    """A campaign: groups (weight, minimum n, scope, invitations) and results per department."""
    campaign = _campaign(campaign_id)
    results = campaign_results(campaign)
    tally = campaign_tally(campaign)
    frozen = has_answers(campaign.id)
    taken = {c.title for c, _ in tally.rows}
    return render_template(
        "office/survey.html",
        campaign=campaign,
        period=db.session.get(Period, campaign.period_id),
        invitations=invitation_counts(campaign),
        results=results,
        bands=result_bands(results),
        tally=tally,
        frozen=frozen,
        suggestions=[] if frozen else [s for s in hot_suggestions() if s["title"] not in taken],
        departments=active_departments(),
        source_kinds=SOURCE_KINDS,
        labels=STATUS_LABELS,
        form=ActionForm(),
        max_download=MAX_DOWNLOAD,
    )


@office_blueprint.post("/surveys/<int:campaign_id>/invitations")
@role_required(*OFFICE_ROLES)
def survey_invitations(campaign_id: int) -> Any:
    """Make N codes for a group and download them as CSV (``code,url``); audited (no codes)."""
    campaign = _campaign(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    group = request.form.get("group", "")
    try:
        count = int(request.form.get("count", ""))
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_DOWNLOAD or len(group) > 32:
        flash(f"数量须在 1 到 {MAX_DOWNLOAD} 之间", "danger")
        return redirect(url_for("office.survey_page", campaign_id=campaign.id))
    try:
        codes = issue_invitations(campaign, group, count)
    except SurveyError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("office.survey_page", campaign_id=campaign.id))
    record(
        current_user.username,
        "survey_invitations",
        "survey_campaign",
        campaign.id,
        {"group": group, "count": count},
    )
    db.session.commit()
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "url"])
    for code in codes:
        writer.writerow([code, f"{base}/survey/{code}"])
    response = Response(out.getvalue(), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="survey-{campaign.id}-{group}.csv"'
    )
    return no_store(response)
