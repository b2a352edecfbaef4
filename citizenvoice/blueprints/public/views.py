"""Views of the residents' site. Thin: parse, call a service, commit, render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from citizenvoice.blueprints.public.forms import FeedbackForm, FollowUpForm, SelectChoice, TrackForm
from citizenvoice.blueprints.security import LOOKUP_LIMIT_SCOPE, lookup_limit, no_store
from citizenvoice.domain.cases import CaseStatus, Satisfaction
from citizenvoice.domain.feedback import (
    Channel,
    FeedbackKind,
    FeedbackValidationError,
    validate_feedback,
)
from citizenvoice.domain.workflow import FollowUp, WorkflowError
from citizenvoice.extensions import db, limiter
from citizenvoice.jobs import request_analysis
from citizenvoice.services.cases import case_replies
from citizenvoice.services.departments import active_departments
from citizenvoice.services.feedback import (
    public_timeline,
    submission_by_tracking_code,
    submit_feedback,
)
from citizenvoice.services.follow_up import FollowUpError, follow_up_of, record_follow_up

__all__ = ["public_blueprint"]

public_blueprint = Blueprint("public", __name__)

# Pages reached by a tracking code (a bearer secret) show a case: no cache may keep them.
_CASE_PAGES = frozenset({"public.submitted", "public.track", "public.follow_up"})

UNSURE = ""  # the department choice "不确定": the classifier routes it later

# Times are stored in UTC; residents read them in China Standard Time (UTC+8, no DST).
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


@public_blueprint.after_request
def _no_store_on_case_pages(response: Response) -> Response:
    """Cache-Control: no-store on the confirmation and tracking pages (see _CASE_PAGES)."""
    return no_store(response) if request.endpoint in _CASE_PAGES else response


@public_blueprint.app_template_filter("local_time")
def local_time(value: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a stored time in China Standard Time (naive values, as SQLite gives, are UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_STANDARD_TIME).strftime(fmt)


def _submission_limit() -> str:
    return str(current_app.config["SUBMISSION_RATE_LIMIT"])


@public_blueprint.get("/")
def home() -> str:
    """Choose what to file: 我要投诉 / 我要评价 / 我要建议, or look up a case."""
    return render_template("public/home.html", kinds=list(FeedbackKind), track_form=TrackForm())


@public_blueprint.route("/submit/<kind>", methods=["GET", "POST"])
@limiter.limit(_submission_limit, methods=["POST"])
def submit(kind: str) -> Any:
    """Show and accept the feedback form for one kind."""
    try:
        feedback_kind = FeedbackKind(kind)
    except ValueError:
        abort(404)
    departments = active_departments()
    form = FeedbackForm()
    form.department.choices = [SelectChoice(UNSURE, "不确定（由系统分派）")] + [
        SelectChoice(d.code, d.name, optgroup=d.group) for d in departments
    ]
    if request.method == "POST" and form.validate_on_submit():
        raw = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
        raw["kind"] = feedback_kind.value
        try:
            feedback = validate_feedback(raw)
            submission = submit_feedback(
                feedback, channel=Channel.WEB, pii=current_app.extensions["citizenvoice.pii"]
            )
        except FeedbackValidationError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors = [*form[name].errors, message]
        else:
            db.session.commit()
            request_analysis(submission.id)
            return redirect(url_for("public.submitted", code=submission.tracking_code), code=303)
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "public/submit.html", form=form, kind=feedback_kind, departments=departments
        ),
        status,
    )


@public_blueprint.get("/submitted/<code>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def submitted(code: str) -> str:
    """Confirmation with the tracking code to keep."""
    submission = submission_by_tracking_code(code)
    if submission is None:
        abort(404)
    return render_template("public/submitted.html", submission=submission)


@public_blueprint.get("/track")
def track_lookup() -> Response | str:
    """Look up a case by the code typed in."""
    form = TrackForm(request.args)
    code = (form.code.data or "").strip()
    if code:
        return redirect(url_for("public.track", code=code))
    return render_template("public/track_lookup.html", form=form)


def _render_track(submission: Any, form: FollowUpForm | None = None, status: int = 200) -> Any:
    """The tracking page: public timeline, replies, and the follow-up form when it is due."""
    existing = follow_up_of(submission.id)
    can_follow_up = submission.status == CaseStatus.REPLIED.value and existing is None
    return (
        render_template(
            "public/track.html",
            submission=submission,
            events=public_timeline(submission),
            replies=case_replies(submission.id),
            follow_up=existing,
            form=form or (FollowUpForm() if can_follow_up else None),
        ),
        status,
    )


@public_blueprint.get("/track/<code>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def track(code: str) -> Any:
    """Kind, department, status, timeline, replies; never personal data."""
    submission = submission_by_tracking_code(code)
    if submission is None:
        abort(404)
    return _render_track(submission)


@public_blueprint.post("/track/<code>/follow-up")
@limiter.limit(_submission_limit)
def follow_up(code: str) -> Any:
    """Record the resident's follow-up, once per case."""
    submission = submission_by_tracking_code(code)
    if submission is None:
        abort(404)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _render_track(submission, form, 400)
    errors = {}
    for name in ("contacted", "resolved"):
        if form[name].data not in ("yes", "no"):
            errors[name] = "请选择是或否"
    try:
        satisfaction = Satisfaction(form.satisfaction.data or "")
    except ValueError:
        errors["satisfaction"] = "请选择满意程度"
    rating = None
    if form.rating.data not in (None, "", "None"):
        if str(form.rating.data) in {"1", "2", "3", "4", "5"}:
            rating = int(form.rating.data)
        else:
            errors["rating"] = "服务评分须为 1 到 5 分"
    if errors:
        for name, message in errors.items():
            form[name].errors = [message]
        return _render_track(submission, form, 400)
    try:
        answers = FollowUp(
            contacted=form.contacted.data == "yes",
            resolved=form.resolved.data == "yes",
            satisfaction=satisfaction,
            wants_redo=bool(form.wants_redo.data),
            comment=form.comment.data or "",
        )
        pii = current_app.extensions["citizenvoice.pii"]
        record_follow_up(submission.id, answers, pii.fingerprint(request.remote_addr or ""), rating)
    except (WorkflowError, FollowUpError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", str(exc)), "warning")
        return redirect(url_for("public.track", code=code), code=303)
    db.session.commit()
    flash("感谢您的评价！", "success")
    return redirect(url_for("public.track", code=code), code=303)
