"""Views of the residents' site. Thin: parse, call a service, commit, render."""

from __future__ import annotations

import time
from datetime import timedelta, timezone
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from citizenvoice.blueprints.errors import database_unavailable, error_page, is_database_outage
from citizenvoice.blueprints.feedback import file_and_queue, submission_limit
from citizenvoice.blueprints.inputs import accepts_upload
from citizenvoice.blueprints.photos import FORM_BODY_LIMIT, FORM_FIELD_LIMIT, read_form_photos
from citizenvoice.blueprints.public.forms import (
    FeedbackForm,
    FollowUpForm,
    SelectChoice,
    TrackForm,
    UnsubscribeForm,
)
from citizenvoice.blueprints.security import LOOKUP_LIMIT_SCOPE, lookup_limit, no_store
from citizenvoice.domain.cases import CaseStatus, PendingKind, Satisfaction
from citizenvoice.domain.feedback import (
    MAX_TEXT_LENGTH,
    RATING_LABELS,
    Channel,
    FeedbackKind,
    FeedbackValidationError,
    validate_feedback,
)
from citizenvoice.domain.notifications import verify_token
from citizenvoice.domain.progress import REDO_EXPLANATION, current_deadline, next_step
from citizenvoice.domain.workflow import FollowUp, WorkflowError
from citizenvoice.extensions import db, limiter
from citizenvoice.jobs.notifications import FOLLOW_UP_PURPOSE, UNSUBSCRIBE_PURPOSE
from citizenvoice.models import Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.cases import case_replies
from citizenvoice.services.departments import active_departments
from citizenvoice.services.feedback import public_timeline, submission_by_tracking_code
from citizenvoice.services.follow_up import (
    FollowUpError,
    answerable,
    follow_up_of,
    record_follow_up,
)
from citizenvoice.services.media import photos_of
from citizenvoice.services.notifications import opt_out

__all__ = ["public_blueprint"]

public_blueprint = Blueprint("public", __name__)

# Pages reached by a tracking code (a bearer secret) show a case: no cache may keep them.
_CASE_PAGES = frozenset(
    {"public.submitted", "public.track", "public.follow_up", "public.follow_up_link"}
)

# Form fields that are not feedback fields: the CSRF token, the photos (read as files).
_NOT_FIELDS = frozenset({"csrf_token", "photos"})

UNSURE = ""  # the department choice "不确定": the classifier routes it later

# Times are stored in UTC; residents read them in China Standard Time (UTC+8, no DST).
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


@public_blueprint.after_request
def _no_store_on_case_pages(response: Response) -> Response:
    """Cache-Control: no-store on the confirmation and tracking pages (see _CASE_PAGES)."""
    return no_store(response) if request.endpoint in _CASE_PAGES else response


def _accepted(response: Response) -> bool:
    """Whether a POST counts toward the submission limit: only a stored submission does.

    A form sent back for correction (400) must not use up the resident's tries.
    """
    return response.status_code == 303


def _feedback_form(kind: FeedbackKind, *, read_request: bool = True) -> FeedbackForm:
    """The form for ``kind`` with the department choices (a rating must name one).

    ``read_request=False`` leaves the posted body unread (it is too large to read).
    """
    form = FeedbackForm() if read_request else FeedbackForm(formdata=None)
    first = "请选择被评价的部门" if kind is FeedbackKind.RATING else "不确定（由系统分派）"
    form.department.choices = [SelectChoice(UNSURE, first)] + [
        SelectChoice(d.code, d.name, optgroup=d.group) for d in active_departments()
    ]
    return form


def _render_submit(
    kind: FeedbackKind,
    form: FeedbackForm,
    status: int,
    *,
    notice: str | None = None,
    restore_draft: bool = False,
) -> Any:
    departments = active_departments()
    picker = [
        {"code": d.code, "name": d.name, "aliases": list(d.aliases or [])} for d in departments
    ]
    return (
        render_template(
            "public/submit.html",
            form=form,
            kind=kind,
            departments=departments,
            picker=picker,
            max_text_length=MAX_TEXT_LENGTH,
            rating_labels=RATING_LABELS,
            notice=notice,
            restore_draft=restore_draft,
        ),
        status,
    )


@public_blueprint.get("/")
def home() -> str:
    """Choose what to file: 我要投诉 / 我要评价 / 我要建议, or look up a case."""
    return render_template("public/home.html", kinds=list(FeedbackKind), track_form=TrackForm())


@public_blueprint.route("/submit/<kind>", methods=["GET", "POST"])
@accepts_upload(FORM_BODY_LIMIT, anonymous=True, field_bytes=FORM_FIELD_LIMIT)
@limiter.limit(submission_limit, methods=["POST"], deduct_when=_accepted)
def submit(kind: str) -> Any:
    """Show and accept the feedback form for one kind (with up to three photos)."""
    try:
        feedback_kind = FeedbackKind(kind)
    except ValueError:
        abort(404)
    form = _feedback_form(feedback_kind)
    if request.method == "POST" and form.validate_on_submit():
        raw = {name: field.data for name, field in form._fields.items() if name not in _NOT_FIELDS}
        raw["kind"] = feedback_kind.value
        photos, photo_error = read_form_photos()
        try:
            if photo_error is not None:
                form.photos.errors = [photo_error]
                validate_feedback(dict(raw))  # the text's own problems, shown at once
                raise FeedbackValidationError({})
            submission = file_and_queue(raw, Channel.WEB, photos=photos)
        except FeedbackValidationError as exc:
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors = [*form[name].errors, message]
        else:
            return redirect(url_for("public.submitted", code=submission.tracking_code), code=303)
    return _render_submit(feedback_kind, form, 400 if request.method == "POST" else 200)


def _wait_text() -> str:
    """How long until the rate limit lets the resident submit again, in words."""
    limit = limiter.current_limit
    seconds = max(1, int(limit.reset_at - time.time())) if limit is not None else 60
    return f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"


@public_blueprint.errorhandler(413)
@public_blueprint.errorhandler(429)
def _form_kept(error: HTTPException) -> Any:
    """A refused form is shown again with what the resident wrote, not a bare error page.

    On 429 the server has the posted fields; on 413 it must not read the oversized body, so
    the page asks the browser to put back the draft it kept (static/js/feedback-form.js).
    """
    try:
        return _form_kept_page(error)
    except (DBAPIError, PoolTimeoutError) as exc:
        # Refused and the database is away too: the database's 503 page, text still kept.
        if is_database_outage(exc):
            return database_unavailable()
        raise


def _form_kept_page(error: HTTPException) -> Any:
    """The page of ``_form_kept``; it reads departments and cases from the database."""
    status = error.code or 400
    kind = (request.view_args or {}).get("kind", "")
    if (
        request.endpoint == "public.submit"
        and kind in set(FeedbackKind)
        and request.method == "POST"
    ):
        feedback_kind = FeedbackKind(kind)
        if status == 429:
            form = _feedback_form(feedback_kind)
            notice = f"提交过于频繁，请 {_wait_text()}后再点“提交”。您填写的内容已保留在下方。"
            return _render_submit(feedback_kind, form, 429, notice=notice)
        form = _feedback_form(feedback_kind, read_request=False)
        notice = (
            f"提交的内容过大，未能提交。内容请不要超过 {MAX_TEXT_LENGTH} 个字，"
            "照片最多 3 张、每张不超过 10 MB；"
            "您填写的内容已尽量恢复在下方，请删减后再提交。"
        )
        return _render_submit(feedback_kind, form, 413, notice=notice, restore_draft=True)
    if request.endpoint == "public.follow_up" and status == 429:
        submission = submission_by_tracking_code((request.view_args or {}).get("code", ""))
        if submission is not None:
            flash(f"提交过于频繁，请 {_wait_text()}后再提交评价。您填写的内容已保留。", "warning")
            return _render_track(submission, FollowUpForm(request.form), 429)
    return error_page(error)


@public_blueprint.get("/submitted/<code>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def submitted(code: str) -> str:
    """Confirmation with the tracking code to keep."""
    submission = submission_by_tracking_code(code)
    if submission is None:
        abort(404)
    return render_template("public/submitted.html", submission=submission)


@public_blueprint.get("/track")
def track_lookup() -> Any:
    """Look up a case by the code typed in (case, spaces and dashes do not matter)."""
    form = TrackForm(request.args)
    typed = (form.code.data or "").strip()
    if typed:
        submission = submission_by_tracking_code(typed)
        if submission is not None:
            return redirect(url_for("public.track", code=submission.tracking_code))
        form.code.errors = ["未找到该查询码对应的诉求，请核对后重新输入"]
        return render_template("public/track_lookup.html", form=form), 404
    return render_template("public/track_lookup.html", form=form)


def _render_track(submission: Any, form: FollowUpForm | None = None, status: int = 200) -> Any:
    """The tracking page of a case.

    It shows what the resident wrote, the deadline, who acts next, the timeline, replies, and
    the follow-up form when it is due.
    """
    existing = follow_up_of(submission.id)
    can_follow_up = answerable(submission)
    case_status = CaseStatus(submission.status)
    pending = (submission.pending or {}).get("kind")
    return (
        render_template(
            "public/track.html",
            submission=submission,
            events=public_timeline(submission),
            replies=case_replies(submission.id),
            follow_up=existing,
            form=form or (FollowUpForm() if can_follow_up else None),
            deadline=current_deadline(
                case_status,
                sign_due_at=submission.sign_due_at,
                reply_due_at=submission.reply_due_at,
                extensions_used=submission.extensions_used,
            ),
            next_step=next_step(
                case_status,
                department_name=submission.department.name if submission.department else None,
                redo_requested=submission.redo_requested,
                pending=PendingKind(pending) if pending in set(PendingKind) else None,
            ),
            redo_explanation=REDO_EXPLANATION,
            rating_labels=RATING_LABELS,
            photo_urls=[
                url_for("public.track_photo", code=submission.tracking_code, media_id=m.public_id)
                for m in photos_of(submission.id)
            ],
        ),
        status,
    )


@public_blueprint.get("/track/<code>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def track(code: str) -> Any:
    """What the resident wrote, kind, department, status, deadline, timeline, replies.

    A code typed in lower case or without dashes is sent on to its canonical address.
    """
    submission = submission_by_tracking_code(code)
    if submission is None:
        abort(404)
    if code != submission.tracking_code:
        return redirect(url_for("public.track", code=submission.tracking_code), code=301)
    return _render_track(submission)


@public_blueprint.post("/track/<code>/follow-up")
@limiter.limit(submission_limit, deduct_when=_accepted)
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


def _case_from_token(purpose: str, token: str) -> Any:
    """The case a message's signed link names, or 404 (forged, expired, unknown)."""
    case_id = verify_token(current_app.config["SECRET_KEY"], purpose, token, utcnow())
    case = db.session.get(Submission, case_id) if case_id is not None else None
    if case is None:
        abort(404)
    return case


@public_blueprint.get("/f/<token>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def follow_up_link(token: str) -> Any:
    """The reply message's link: the case page with its follow-up form, no code to type.

    The signed token expires when the follow-up window closes; the tracking code never
    appears in this address (nor in any log of it).
    """
    return _render_track(_case_from_token(FOLLOW_UP_PURPOSE, token))


@public_blueprint.route("/u/<token>", methods=["GET", "POST"])
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def unsubscribe(token: str) -> Any:
    """退订: a confirmation page (GET, safe for link scanners), the opt-out on POST."""
    case = _case_from_token(UNSUBSCRIBE_PURPOSE, token)
    form = UnsubscribeForm()
    done = False
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        opt_out(case)
        db.session.commit()
        done = True
    return render_template("public/unsubscribe.html", form=form, done=done)
