"""Office pages: what waits for the office, the analysis queue monitor, and manual routing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from citizenvoice.blueprints.actions import commit_or_flash
from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.security import no_store
from citizenvoice.domain.accounts import Role
from citizenvoice.domain.analysis import AnalysisStatus
from citizenvoice.extensions import db
from citizenvoice.jobs import (
    FailedJob,
    QueueCounts,
    WorkerBeat,
    batch_progress,
    enqueue_reanalyse_all,
    queue_overview,
    relay_connection,
    relay_outbox,
    requeue_failed_job,
    web_redis,
)
from citizenvoice.models import Submission
from citizenvoice.services.analysis import reset_failed_analysis
from citizenvoice.services.appraisal import current_month_code
from citizenvoice.services.departments import active_departments
from citizenvoice.services.office_work import office_counts, office_queue, routing_cards
from citizenvoice.services.outbox import outbox_backlog
from citizenvoice.services.routing import RoutingError, assign_department

__all__ = ["office_blueprint"]

office_blueprint = Blueprint("office", __name__)
office_blueprint.after_request(no_store)  # every office page holds case or appraisal data
OFFICE_ROLES = (Role.OFFICE, Role.SYSTEM_ADMIN)
_STAFF_BLUEPRINTS = frozenset({"office", "workspace", "auth"})


class ActionForm(FlaskForm):  # type: ignore[misc]
    """An empty form: CSRF for the action buttons."""


def _monitor_connection() -> Any:
    """Redis for the queue page, None in the embedded default (as ``relay_connection``).

    With the web process's short timeouts rather than the relay's patient ones: a Redis that
    stops answering costs the page half a second and a notice, not a hung request.
    """
    url = current_app.config.get("REDIS_URL")
    if current_app.config.get("ANALYSIS_IN_PROCESS") or not url:
        return None
    return web_redis(url)


@office_blueprint.get("/queue")
@role_required(*OFFICE_ROLES)
def queue() -> str:
    """Queued, started and failed jobs, outbox backlog, worker heartbeats, failed analyses."""
    connection = _monitor_connection()
    counts: list[QueueCounts] = []
    workers: list[WorkerBeat] = []
    failed_jobs: list[FailedJob] = []
    redis_error: str | None = None
    batches: list[dict[str, Any]] = []
    if connection is not None:
        try:
            counts, workers, failed_jobs = queue_overview(connection)
            batches = batch_progress(connection)
        except Exception as exc:  # Redis down: the page still shows what the database knows
            redis_error = str(exc)
    failed_analyses = list(
        db.session.scalars(
            select(Submission)
            .where(Submission.analysis_status == AnalysisStatus.FAILED.value)
            .order_by(Submission.id.desc())
            .limit(100)
        )
    )
    by_status: dict[str, int] = {
        str(status): int(count)
        for status, count in db.session.execute(
            select(Submission.analysis_status, func.count()).group_by(Submission.analysis_status)
        )
    }
    return render_template(
        "office/queue.html",
        in_process=connection is None,
        counts=counts,
        workers=workers,
        failed_jobs=failed_jobs,
        batches=batches,
        redis_error=redis_error,
        backlog=outbox_backlog(),
        analysis_counts=by_status,
        failed_analyses=failed_analyses,
        form=ActionForm(),
    )


@office_blueprint.post("/queue/retry-analyses")
@role_required(*OFFICE_ROLES)
def retry_analyses() -> Response:
    """Reset failed analyses (one, or all) to pending and relay them now."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash("页面已过期，请重试", "danger")
        return redirect(url_for("office.queue"), code=303)
    submission_id = request.form.get("submission_id", type=int)
    ids = reset_failed_analysis([submission_id] if submission_id else None)
    db.session.commit()
    try:
        relay_outbox(relay_connection())
    except Exception as exc:
        current_app.logger.warning(
            "relay after retry failed, the periodic relay will retry: %s", exc
        )
    flash(f"已重新提交 {len(ids)} 条分析", "success")
    return redirect(url_for("office.queue"), code=303)


@office_blueprint.post("/queue/reanalyse")
@role_required(*OFFICE_ROLES)
def reanalyse() -> Response:
    """Start the batch re-analysis of every submission (after a model update)."""
    form = ActionForm()
    connection = _monitor_connection()
    if form.validate_on_submit() and connection is not None:
        enqueue_reanalyse_all(connection)
        flash("已开始重新分析全部诉求，进度见下方", "success")
    return redirect(url_for("office.queue"), code=303)


@office_blueprint.post("/queue/requeue-job")
@role_required(*OFFICE_ROLES)
def requeue_job() -> Response:
    """Requeue one failed RQ job by id."""
    form = ActionForm()
    connection = _monitor_connection()
    if form.validate_on_submit() and connection is not None:
        ok = requeue_failed_job(connection, request.form.get("job_id", ""))
        flash("已重新排队" if ok else "该任务不存在或未失败", "success" if ok else "warning")
    return redirect(url_for("office.queue"), code=303)


@office_blueprint.app_context_processor
def _office_counts() -> dict[str, Any]:
    """The counts of what waits for the office, for the navigation of office users only."""
    # Staff pages only (not the residents' pages or the API), and never at the cost of the page:
    # an error page rendered after a failed query must still render.
    if request.blueprint not in _STAFF_BLUEPRINTS or not getattr(
        current_user, "is_authenticated", False
    ):
        return {}
    if not current_user.role_enum.is_office:
        return {}
    try:
        return {"office_counts": office_counts()}
    except SQLAlchemyError:
        db.session.rollback()
        return {}


@office_blueprint.get("/inbox")
@role_required(*OFFICE_ROLES)
def inbox() -> str:
    """One list of everything waiting for the office, each item linked to where it is decided."""
    return render_template(
        "office/inbox.html",
        queue=office_queue(),
        current_month=current_month_code(),
    )


@office_blueprint.get("/routing")
@role_required(*OFFICE_ROLES)
def routing() -> str:
    """Cases the classifier could not route with confidence, and returned (退单) cases."""
    return render_template(
        "office/routing.html",
        cards=routing_cards(),
        departments=active_departments(),
        form=ActionForm(),
    )


@office_blueprint.post("/routing/<int:submission_id>")
@role_required(*OFFICE_ROLES)
def route_case(submission_id: int) -> Response:
    """Assign a department to one case."""
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("office.routing"), code=303)
    return commit_or_flash(
        lambda: assign_department(
            submission_id,
            request.form.get("department", ""),
            current_user._get_current_object(),
        ),
        refused=RoutingError,
        done="已分派",
        then=url_for("office.routing"),
    )
