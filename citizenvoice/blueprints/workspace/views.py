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

from citizenvoice.blueprints.actions import commit_or_flash
from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.inputs import InvalidInput
from citizenvoice.blueprints.photos import photo_response
from citizenvoice.blueprints.security import no_store
from citizenvoice.charts import bar_chart, line_chart
from citizenvoice.domain.accounts import Role
from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.inputs import DateOutOfRange, parse_filter_date
from citizenvoice.domain.timelimits import DEFAULT_SETTINGS, due_at, is_overdue
from citizenvoice.domain.workflow import (
    NOTE_REQUIRED,
    Action,
    WorkflowError,
    action_availability,
    allowed_actions,
)
from citizenvoice.extensions import db
from citizenvoice.models.base import utcnow
from citizenvoice.services.cases import (
    CaseNotVisible,
    InboxFilters,
    case_for,
    case_replies,
    duplicate_group_size,
    inbox,
)
from citizenvoice.services.casework import (
    CaseworkError,
    category_choices,
    correct_category,
    reveal_phone,
)
from citizenvoice.services.dashboard import dashboard_for
from citizenvoice.services.departments import active_departments
from citizenvoice.services.export import cases_to_csv, cases_to_xlsx
from citizenvoice.services.media import first_photo_ids, photo_of_case, photos_of
from citizenvoice.services.redaction import redact_for_staff
from citizenvoice.services.replies import (
    MAX_REPLY_LENGTH,
    MIN_REPLY_LENGTH,
    TemplateError,
    check_reply,
    create_template,
    delete_template,
    templates_for,
)
from citizenvoice.services.workflow import actor_for, perform, snapshot_of

__all__ = ["workspace_blueprint"]

workspace_blueprint = Blueprint("workspace", __name__)
workspace_blueprint.after_request(no_store)  # every page and export holds case data
STAFF_ROLES = tuple(Role)
# An export holds at most this many cases (a month of a busy department); narrow the filters.
EXPORT_LIMIT = 10_000
# Actions whose form needs a target department.
DEPARTMENT_ACTIONS = frozenset({Action.ASSIGN, Action.REQUEST_TRANSFER})


# Every free text a resident or a colleague typed (title, location, notes, reasons) is shown
# to staff through this filter: personal data masked, a phone's last four digits kept.
workspace_blueprint.add_app_template_filter(redact_for_staff, "staff_text")


class ActionForm(FlaskForm):  # type: ignore[misc]
    """CSRF for the action buttons."""


def _date(name: str) -> date | None:
    try:
        return parse_filter_date(request.args.get(name))
    except DateOutOfRange as exc:
        raise InvalidInput(str(exc)) from exc


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
        overdue={"1": True, "0": False}.get(args.get("overdue", "")),
        sort=args.get("sort", "newest"),
        page=args.get("page", 1, type=int) or 1,
        per_page=per_page or args.get("per_page", 30, type=int) or 30,
    )


def _workflow_message(exc: Exception) -> str:
    """The message a refused workflow action shows (WorkflowError carries it)."""
    return exc.message if isinstance(exc, WorkflowError) else str(exc)


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
    now = utcnow()
    # The deadline running now and whether it has passed, by the same rules as the case page.
    deadlines = {}
    for case in page.items:
        snapshot = snapshot_of(case)
        deadlines[case.id] = (due_at(snapshot), is_overdue(snapshot, now))
    return render_template(
        "workspace/inbox.html",
        page=page,
        deadlines=deadlines,
        statuses=list(CaseStatus),
        kinds=list(FeedbackKind),
        categories=category_choices(),
        args=request.args,
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


def _render_case(
    case: Any, *, phone: str | None = None, draft: str = "", quality: dict[str, Any] | None = None
) -> str:
    """The case page with the actions this user may take now."""
    user = current_user._get_current_object()
    now = utcnow()
    snapshot = snapshot_of(case)
    actions = allowed_actions(snapshot, actor_for(user), now)
    buttons = [
        (action, reason)
        for action, reason in action_availability(snapshot, actor_for(user), now)
        if action is not Action.ADD_NOTE or reason is None
    ]
    templates = templates_for(user)
    template_id = request.args.get("template", type=int)
    if not draft and template_id:
        draft = next((t.body for t in templates if t.id == template_id), "")
    similar = []
    group_size = 0
    if case.analysis and case.analysis.duplicate_group:
        # Every case starts a group of its own: only a group with other members is one.
        group_size = duplicate_group_size(user, case.analysis.duplicate_group)
        if group_size > 1:
            group = InboxFilters(duplicate_group=case.analysis.duplicate_group, per_page=10)
            similar = [c for c in inbox(user, group).items if c.id != case.id]
    return render_template(
        "workspace/case.html",
        case=case,
        categories=category_choices(),
        form=ActionForm(),
        phone=phone,
        actions=buttons,
        can_reply=Action.REPLY in actions,
        note_required=NOTE_REQUIRED,
        department_actions=DEPARTMENT_ACTIONS,
        extension_days=DEFAULT_SETTINGS.extension_working_days,
        departments=active_departments(),
        templates=templates,
        draft=draft,
        quality=quality,
        overdue=is_overdue(snapshot, now),
        due=due_at(snapshot),
        replies=case_replies(case.id),
        similar=similar,
        group_size=group_size,
        photo_urls=[
            url_for("workspace.case_photo", case_id=case.id, media_id=m.public_id)
            for m in photos_of(case.id)
        ],
        # The similar cases come from the user's own inbox: their photos are theirs to see.
        similar_photos={
            case_id: url_for("workspace.case_photo", case_id=case_id, media_id=media_id)
            for case_id, media_id in first_photo_ids([c.id for c in similar]).items()
        },
    )


@workspace_blueprint.get("/cases/<int:case_id>")
@role_required(*STAFF_ROLES)
def case_page(case_id: int) -> str:
    """Masked text, analysis, similar cases, timeline, due times and the allowed actions."""
    return _render_case(_case(case_id))


@workspace_blueprint.get("/cases/<int:case_id>/photos/<media_id>")
@role_required(*STAFF_ROLES)
def case_photo(case_id: int, media_id: str) -> Any:
    """A photo of a case this user may see (the case page's rule; ``?size=thumb``)."""
    return photo_response(photo_of_case(_case(case_id).id, media_id))


@workspace_blueprint.post("/cases/<int:case_id>/action")
@role_required(*STAFF_ROLES)
def case_action(case_id: int) -> Any:
    """Take one workflow action (签收, 办理说明, 退单, 转办, 延期, 审批, 督办, 重办, 办结)."""
    case = _case(case_id, purpose="action")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action = Action(request.form.get("action", ""))
    except ValueError:
        abort(400)
    if action in (Action.REPLY, Action.FOLLOW_UP):
        abort(400)  # replies go through the quality check; follow-ups come from residents
    return commit_or_flash(
        lambda: perform(
            case,
            action,
            actor_for(current_user._get_current_object()),
            note=request.form.get("note", ""),
            department=request.form.get("department") or None,
            days=request.form.get("days", type=int) if action is Action.REQUEST_EXTENSION else None,
        ),
        refused=WorkflowError,
        reason=_workflow_message,
        done=f"已{action.label}",
        then=url_for("workspace.case_page", case_id=case_id),
    )


@workspace_blueprint.post("/cases/<int:case_id>/reply")
@role_required(*STAFF_ROLES)
def case_reply(case_id: int) -> Any:
    """Send a reply; the nlp quality check warns first, and the sender may confirm anyway."""
    case = _case(case_id, purpose="reply")
    if not ActionForm().validate_on_submit():
        abort(400)
    body = (request.form.get("body") or "").strip()
    if len(body) < MIN_REPLY_LENGTH or len(body) > MAX_REPLY_LENGTH:
        flash(f"答复内容须为 {MIN_REPLY_LENGTH} 到 {MAX_REPLY_LENGTH} 个字", "danger")
        return _render_case(case, draft=body), 400
    quality = check_reply(case, body)
    # Unfilled template blanks are a hard warning: no "send anyway" until they are filled.
    if quality["placeholders"]:
        return _render_case(case, draft=body, quality=quality), 422
    if quality["warnings"] and request.form.get("confirm") != "1":
        return _render_case(case, draft=body, quality=quality)
    user = current_user._get_current_object()
    return commit_or_flash(
        lambda: perform(
            case, Action.REPLY, actor_for(user), reply_body=body, author=user, reply_quality=quality
        ),
        refused=WorkflowError,
        reason=_workflow_message,
        done="答复已发送，等待市民回访",
        then=url_for("workspace.case_page", case_id=case_id),
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
    response = Response(_render_case(case, phone=phone))
    response.headers["Cache-Control"] = "no-store"
    return response


@workspace_blueprint.post("/cases/<int:case_id>/category")
@role_required(*STAFF_ROLES)
def correct_category_page(case_id: int) -> Any:
    """Correct the predicted category; stored as a training label."""
    case = _case(case_id, purpose="correct_category")
    if not ActionForm().validate_on_submit():
        abort(400)
    return commit_or_flash(
        lambda: correct_category(
            current_user._get_current_object(), case, request.form.get("category", "")
        ),
        refused=CaseworkError,
        done="类别已更正，并已记录为模型训练样本",
        then=url_for("workspace.case_page", case_id=case_id),
    )


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


@workspace_blueprint.get("/dashboard")
@role_required(*STAFF_ROLES)
def dashboard() -> str:
    """Counts by state and category, overdue cases, rates with their n, duplicates, trends."""
    figures = dashboard_for(current_user._get_current_object())
    statuses = {s.value: s.label for s in CaseStatus}
    rates = [(r.label, r.value) for r in figures.rates if r.value is not None]
    return render_template(
        "workspace/dashboard.html",
        figures=figures,
        status_chart=bar_chart(
            [(statuses.get(k, k), v) for k, v in sorted(figures.by_status.items())]
        ),
        category_chart=bar_chart([(k, float(v)) for k, v in figures.by_category]),
        rate_chart=bar_chart(rates, max_value=100, unit="%"),
        volume_chart=line_chart(figures.trend_labels, [("诉求量", figures.trend_counts)]),
        satisfaction_chart=line_chart(
            figures.trend_labels, [("满意率", figures.trend_satisfaction)], max_value=100
        ),
    )


@workspace_blueprint.route("/templates", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def templates_page() -> Any:
    """Reply templates of the department (the department admin maintains them)."""
    user = current_user._get_current_object()
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)

        def save() -> None:
            if request.form.get("delete"):
                delete_template(user, int(request.form["delete"]))
            else:
                create_template(user, request.form.get("title", ""), request.form.get("body", ""))

        return commit_or_flash(
            save,
            refused=(TemplateError, ValueError),
            done="已保存",
            then=url_for("workspace.templates_page"),
        )
    return render_template(
        "workspace/templates.html", templates=templates_for(user), form=ActionForm()
    )
