"""Office pages for 社会评价 surveys: campaigns, their groups and results, invitation CSVs.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
The pages that change a campaign are in ``survey_edit``.
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
from citizenvoice.domain.survey import Rating
from citizenvoice.extensions import db
from citizenvoice.models import Period, SurveyCampaign
from citizenvoice.services.audit import record
from citizenvoice.services.departments import active_departments
from citizenvoice.services.rectification import SOURCE_KINDS
from citizenvoice.services.survey import SurveyError, issue_invitations
from citizenvoice.services.survey_comment_tasks import comment_tasks
from citizenvoice.services.survey_comments import comment_groups, pending_comments
from citizenvoice.services.survey_priority import campaign_tally, has_answers, hot_suggestions
from citizenvoice.services.survey_results import (
    campaign_flags,
    campaign_results,
    invitation_counts,
    result_bands,
)
from citizenvoice.services.survey_review import holds_of

__all__: list[str] = []  # routes only: they register on office_blueprint

STATUS_LABELS = {"draft": "草稿", "open": "进行中", "closed": "已结束"}
MAX_DOWNLOAD = 20_000
MAX_SHEET = 500  # QR codes per printed sheet request (about 4 KB of SVG and 4-13 ms each)


@office_blueprint.get("/surveys")
@role_required(*OFFICE_ROLES)
def surveys() -> Any:
    """Every campaign with its period, dates and status."""
    campaigns = db.session.scalars(select(SurveyCampaign).order_by(SurveyCampaign.id.desc())).all()
    periods = {p.id: p for p in db.session.scalars(select(Period).order_by(Period.starts_on))}
    return render_template(
        "office/surveys.html",
        campaigns=campaigns,
        periods=periods,
        labels=STATUS_LABELS,
        form=ActionForm(),
        errors={},
    )


def campaign_or_404(campaign_id: int) -> SurveyCampaign:
    """The campaign, or a 404 page."""
    campaign = db.session.get(SurveyCampaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def render_campaign(
    campaign: SurveyCampaign, message: str | None = None, errors: dict[str, str] | None = None
) -> str:
    """The campaign page, with a refusal ``message`` and field ``errors`` when an edit failed."""
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
        source_kinds=SOURCE_KINDS,
        comment_groups=comment_groups(campaign.id),
        comment_tasks=comment_tasks(campaign.id),
        pending=pending_comments(campaign.id),
        flags=campaign_flags(campaign),
        holds=holds_of(campaign),
        labels=STATUS_LABELS,
        form=ActionForm(),
        max_download=MAX_DOWNLOAD,
        max_sheet=MAX_SHEET,
        departments=active_departments(),
        ratings=[r for r in Rating if r is not Rating.UNKNOWN],
        message=message,
        errors=errors or {},
    )


@office_blueprint.get("/surveys/<int:campaign_id>")
@role_required(*OFFICE_ROLES)
def survey_page(campaign_id: int) -> Any:
    """A campaign: groups, invitations, results per department; a draft's edit forms."""
    return render_campaign(campaign_or_404(campaign_id))


@office_blueprint.post("/surveys/<int:campaign_id>/invitations")
@role_required(*OFFICE_ROLES)
def survey_invitations(campaign_id: int) -> Any:
    """Make N codes for a group and download them as CSV (``code,url``); audited (no codes)."""
    campaign = campaign_or_404(campaign_id)
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
        {"group": group, "count": count, "format": "csv"},
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
