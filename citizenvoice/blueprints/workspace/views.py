"""Workspace views. Every case lookup goes through services.cases (department isolation)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm

from citizenvoice.blueprints.auth import role_required
from citizenvoice.domain.accounts import Role
from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.extensions import db
from citizenvoice.services.cases import CaseNotVisible, InboxFilters, case_for, inbox
from citizenvoice.services.casework import CATEGORIES, CaseworkError, correct_category, reveal_phone
from citizenvoice.services.export import cases_to_csv, cases_to_xlsx

__all__ = ["workspace_blueprint"]

workspace_blueprint = Blueprint("workspace", __name__)
STAFF_ROLES = tuple(Role)
# An export holds at most this many cases (a month of a busy department); narrow the filters.
EXPORT_LIMIT = 10_000


class ActionForm(FlaskForm):  # type: ignore[misc]
    """CSRF for the action buttons."""


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters(per_page: int | None = None) -> InboxFilters:
    args = request.args
    urgent = {"1": True, "0": False}.get(args.get("urgent", ""))
    return InboxFilters(
        status=args.get("status") or None,
        kind=args.get("kind") or None,
        category=args.get("category") or None,
        sentiment=args.get("sentiment") or None,
        urgent=urgent,
        duplicate_group=args.get("group") or None,
        date_from=_date("from"),
        date_to=_date("to"),
        q=(args.get("q") or "").strip() or None,
        sort=args.get("sort", "newest"),
        page=args.get("page", 1, type=int) or 1,
        per_page=per_page or args.get("per_page", 30, type=int) or 30,
    )


def _case(case_id: int, purpose: str = "view") -> Any:
    try:
        return case_for(current_user._get_current_object(), case_id, purpose=purpose)
    except CaseNotVisible:
        db.session.commit()  # keep the audit row of a denied attempt
        abort(404)


@workspace_blueprint.get("/")
@role_required(*STAFF_ROLES)
def inbox_page() -> str:
    """The department's cases with filters, Chinese keyword search and pagination."""
    page = inbox(current_user._get_current_object(), _filters())
    return render_template(
        "workspace/inbox.html",
        page=page,
        statuses=list(CaseStatus),
        kinds=list(FeedbackKind),
        categories=CATEGORIES,
        args=request.args,
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


@workspace_blueprint.get("/cases/<int:case_id>")
@role_required(*STAFF_ROLES)
def case_page(case_id: int) -> str:
    """Masked text, analysis, similar cases, timeline."""
    case = _case(case_id)
    return render_template(
        "workspace/case.html", case=case, categories=CATEGORIES, form=ActionForm(), phone=None
    )


@workspace_blueprint.post("/cases/<int:case_id>/reveal-phone")
@role_required(*STAFF_ROLES)
def reveal_phone_page(case_id: int) -> Any:
    """Show the full phone number once, for users allowed to; the reveal is audited."""
    case = _case(case_id, purpose="reveal_phone")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        phone = reveal_phone(
            current_user._get_current_object(), case, current_app.extensions["citizenvoice.pii"]
        )
    except CaseworkError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("workspace.case_page", case_id=case_id), code=303)
    db.session.commit()
    response = Response(
        render_template(
            "workspace/case.html", case=case, categories=CATEGORIES, form=ActionForm(), phone=phone
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@workspace_blueprint.post("/cases/<int:case_id>/category")
@role_required(*STAFF_ROLES)
def correct_category_page(case_id: int) -> Any:
    """Correct the predicted category; stored as a training label."""
    case = _case(case_id, purpose="correct_category")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        correct_category(current_user._get_current_object(), case, request.form.get("category", ""))
    except CaseworkError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("类别已更正，并已记录为模型训练样本", "success")
    return redirect(url_for("workspace.case_page", case_id=case_id), code=303)


@workspace_blueprint.get("/export.<fmt>")
@role_required(*STAFF_ROLES)
def export(fmt: str) -> Response:
    """The filtered cases as CSV or XLSX, personal data masked."""
    if fmt not in {"csv", "xlsx"}:
        abort(404)
    page = inbox(current_user._get_current_object(), _filters(per_page=EXPORT_LIMIT), EXPORT_LIMIT)
    if fmt == "csv":
        body, mimetype = cases_to_csv(page.items), "text/csv; charset=utf-8"
    else:
        body, mimetype = (
            cases_to_xlsx(page.items),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=cases.{fmt}"
    return response
