"""Office pages for rectification (整改): the task list, opening a task, details and closing.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from citizenvoice.blueprints.actions import commit_or_flash
from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.views import OFFICE_ROLES, ActionForm, office_blueprint
from citizenvoice.blueprints.rectification_charts import before_after_charts
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import RectificationTask, utcnow
from citizenvoice.services.departments import active_departments
from citizenvoice.services.rectification import (
    SOURCE_KINDS,
    STATUS_LABELS,
    RectificationError,
    TaskNotVisible,
    before_after,
    close_task,
    open_task,
    progress_entries,
    suggest_department,
    task_for,
    task_overdue,
    tasks_for,
)

__all__: list[str] = []  # routes only: they register on office_blueprint

FORM_FIELDS = ("department", "title", "target", "source_kind", "source_value", "deadline")


def _list_page(values: dict[str, str], errors: list[str], status: int = 200) -> Any:
    return (
        render_template(
            "office/rectification.html",
            tasks=tasks_for(current_user._get_current_object()),
            departments=active_departments(),
            source_kinds=SOURCE_KINDS,
            status_labels=STATUS_LABELS,
            task_overdue=task_overdue,
            values=values,
            errors=errors,
            today=utcnow().astimezone(SHANGHAI).date().isoformat(),
            form=ActionForm(),
        ),
        status,
    )


@office_blueprint.get("/rectification")
@role_required(*OFFICE_ROLES)
def rectification_list() -> Any:
    """Every task, and the form to open one (prefilled from ?kind=&value= links)."""
    kind = request.args.get("kind", "")
    value = (request.args.get("value") or "").strip()
    values = {"source_kind": kind if kind in SOURCE_KINDS else "duplicate_group"}
    if value:
        values["source_value"] = value
        values["title"] = f"关于“{value}”的整改"
        values["department"] = suggest_department(kind, value) or ""
    return _list_page(values, [])


@office_blueprint.post("/rectification")
@role_required(*OFFICE_ROLES)
def rectification_open() -> Any:
    """Open a task; on invalid input show the form again with every error."""
    values = {name: (request.form.get(name) or "").strip() for name in FORM_FIELDS}
    if not ActionForm().validate_on_submit():
        return _list_page(values, ["页面已过期，请重试"], 400)
    try:
        deadline: date | None = date.fromisoformat(values["deadline"])
    except ValueError:
        deadline = None
    try:
        task = open_task(
            current_user._get_current_object(),
            values["department"],
            values["title"],
            values["target"],
            values["source_kind"],
            values["source_value"],
            deadline,
        )
    except RectificationError as exc:
        db.session.rollback()
        return _list_page(values, exc.errors, 400)
    db.session.commit()
    flash("整改任务已开具", "success")
    return redirect(url_for("office.rectification_detail", task_id=task.id), code=303)


def _task(task_id: int, purpose: str = "view") -> RectificationTask:
    try:
        return task_for(current_user._get_current_object(), task_id, purpose=purpose)
    except TaskNotVisible:
        abort(404)


@office_blueprint.get("/rectification/<int:task_id>")
@role_required(*OFFICE_ROLES)
def rectification_detail(task_id: int) -> str:
    """A task: target, progress reports, the close form, the topic before and after."""
    task = _task(task_id)
    figures = before_after(task)
    return render_template(
        "office/rectification_detail.html",
        task=task,
        figures=figures,
        progress=progress_entries(task),
        charts=before_after_charts(figures),
        source_kinds=SOURCE_KINDS,
        status_labels=STATUS_LABELS,
        overdue=task_overdue(task),
        form=ActionForm(),
    )


@office_blueprint.post("/rectification/<int:task_id>/close")
@role_required(*OFFICE_ROLES)
def rectification_close(task_id: int) -> Response:
    """Close a task with a note."""
    _task(task_id, purpose="close")
    if not ActionForm().validate_on_submit():
        abort(400)
    return commit_or_flash(
        lambda: close_task(
            current_user._get_current_object(), task_id, request.form.get("note", "")
        ),
        refused=RectificationError,
        done="整改任务已办结",
        then=url_for("office.rectification_detail", task_id=task_id),
    )
