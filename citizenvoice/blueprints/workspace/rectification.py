"""Workspace pages for rectification (整改): a department's tasks and its progress reports.

Registered on the workspace blueprint (imported at the bottom of the package's ``__init__``).
Every task lookup goes through services.rectification.task_for (department isolation).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.rectification_charts import before_after_charts
from citizenvoice.blueprints.workspace.views import STAFF_ROLES, ActionForm, workspace_blueprint
from citizenvoice.extensions import db
from citizenvoice.models import RectificationTask
from citizenvoice.services.rectification import (
    SOURCE_KINDS,
    STATUS_LABELS,
    RectificationError,
    TaskNotVisible,
    before_after,
    progress_entries,
    report_progress,
    task_for,
    task_overdue,
    tasks_for,
)

__all__: list[str] = []  # routes only: they register on workspace_blueprint


def _task(task_id: int, purpose: str = "view") -> RectificationTask:
    try:
        return task_for(current_user._get_current_object(), task_id, purpose=purpose)
    except TaskNotVisible:
        db.session.commit()  # keep the audit row of a denied attempt
        abort(404)


@workspace_blueprint.get("/rectification")
@role_required(*STAFF_ROLES)
def rectification_list() -> str:
    """The department's rectification tasks (every task for the office)."""
    return render_template(
        "workspace/rectification.html",
        tasks=tasks_for(current_user._get_current_object()),
        source_kinds=SOURCE_KINDS,
        status_labels=STATUS_LABELS,
        task_overdue=task_overdue,
    )


@workspace_blueprint.get("/rectification/<int:task_id>")
@role_required(*STAFF_ROLES)
def rectification_detail(task_id: int) -> str:
    """A task with its target, deadline, reports so far, the report form and the effect."""
    return _render_detail(_task(task_id))


def _render_detail(
    task: RectificationTask, draft: str = "", errors: list[str] | None = None
) -> str:
    user = current_user._get_current_object()
    figures = before_after(task)
    return render_template(
        "workspace/rectification_detail.html",
        task=task,
        figures=figures,
        progress=progress_entries(task),
        charts=before_after_charts(figures),
        source_kinds=SOURCE_KINDS,
        status_labels=STATUS_LABELS,
        overdue=task_overdue(task),
        can_report=user.department_id == task.department_id and task.status != "closed",
        form=ActionForm(),
        draft=draft,
        errors=errors or [],
    )


@workspace_blueprint.post("/rectification/<int:task_id>/report")
@role_required(*STAFF_ROLES)
def rectification_report(task_id: int) -> Response | tuple[str, int]:
    """The department reports progress on its task; an invalid report keeps the typed text."""
    task = _task(task_id, purpose="report")
    if not ActionForm().validate_on_submit():
        abort(400)
    text = request.form.get("text", "")
    try:
        report_progress(current_user._get_current_object(), task_id, text)
    except RectificationError as exc:
        db.session.rollback()
        return _render_detail(task, draft=text, errors=exc.errors), 400
    db.session.commit()
    flash("整改进展已报告", "success")
    return redirect(url_for("workspace.rectification_detail", task_id=task_id), code=303)
