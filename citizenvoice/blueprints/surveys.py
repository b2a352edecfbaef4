"""社会评价 questionnaires: the JSON API (``/api/v1/surveys/<code>``) and the mobile page.

Both take the invitation code from the URL. One rate-limit budget per client address covers
both, and only refused codes (unknown 404, used 409) count toward it: a community service centre
helping many residents answer is never slowed. Logs never carry the code.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, make_response, render_template, request

from citizenvoice.blueprints.errors import api_error
from citizenvoice.blueprints.security import no_store
from citizenvoice.domain.survey import Rating, format_code, normalise_code
from citizenvoice.extensions import db, limiter
from citizenvoice.services.survey import SurveyError, questionnaire, submit_answers

__all__ = ["SURVEY_LIMIT_SCOPE", "survey_api_blueprint", "survey_blueprint", "survey_limit"]

log = logging.getLogger(__name__)

survey_api_blueprint = Blueprint("survey_api", __name__)
survey_blueprint = Blueprint("survey", __name__)

SURVEY_LIMIT_SCOPE = "survey-code"
_REFUSED = {404, 409}


def survey_limit() -> str:
    """The configured limit (``CITIZENVOICE_SURVEY_LIMIT``), read per request."""
    return str(current_app.config["SURVEY_RATE_LIMIT"])


def _refused(response: Any) -> bool:
    """Only an unknown or used code counts toward the limit."""
    refused = response.status_code in _REFUSED
    if refused:
        log.info("survey code refused with status %s", response.status_code)
    return bool(refused)


def _error(exc: SurveyError) -> Any:
    return api_error(exc.status, exc.message, fields=exc.fields or None, code=_CODES[exc.status])


_CODES = {
    400: "validation_error",
    404: "not_found",
    409: "already_used",
    410: "outside_dates",
}


@survey_api_blueprint.get("/surveys/<code>")
@limiter.shared_limit(survey_limit, scope=SURVEY_LIMIT_SCOPE, deduct_when=_refused)
def survey_show(code: str) -> Any:
    """The questionnaire of an invitation code: campaign, group, departments, ratings."""
    try:
        form = questionnaire(normalise_code(code))
    except SurveyError as exc:
        return _error(exc)
    return no_store(jsonify(form.as_json()))


def _json_body() -> dict[str, Any] | SurveyError:
    try:
        payload = request.get_json(silent=True)
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (RecursionError, UnicodeEncodeError):
        payload = None
    if not isinstance(payload, dict):
        return SurveyError(400, "请求体须为 JSON 对象", {"body": "须为 JSON 对象"})
    unknown = sorted(set(payload) - {"answers", "priority"})
    if unknown:
        return SurveyError(400, "包含不支持的字段", dict.fromkeys(unknown, "不支持的字段"))
    return payload


@survey_api_blueprint.post("/surveys/<code>")
@limiter.shared_limit(survey_limit, scope=SURVEY_LIMIT_SCOPE, deduct_when=_refused)
def survey_answer(code: str) -> Any:
    """Store one rater's answers: 201, 400 field errors, 404 unknown, 409 used, 410 dates."""
    canonical = normalise_code(code)
    try:
        form = questionnaire(canonical)  # the code's status comes before anything in the body
        if not request.is_json:
            abort(415)
        payload = _json_body()
        if isinstance(payload, SurveyError):
            raise payload
        stored = submit_answers(
            canonical, payload.get("answers"), form, priority=payload.get("priority")
        )
    except SurveyError as exc:
        db.session.rollback()
        return _error(exc)
    db.session.commit()
    return no_store(jsonify({"stored": stored, "message": "提交成功，感谢您的参与"})), 201


def _page_error(exc: SurveyError) -> tuple[str, int]:
    return render_template("survey/closed.html", message=exc.message), exc.status


@survey_blueprint.route("/survey/<code>", methods=["GET", "POST"])
@limiter.shared_limit(survey_limit, scope=SURVEY_LIMIT_SCOPE, deduct_when=_refused)
def survey_page(code: str) -> Any:
    """The mobile questionnaire; a plain form that works without JavaScript."""
    canonical = normalise_code(code)
    try:
        form = questionnaire(canonical)
    except SurveyError as exc:
        return _page_error(exc)
    chosen: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers = []
        picked = request.form.getlist("priority")[:20]
        # Digits become candidate ids; anything else stays a string and is refused as such.
        priority = [int(p) if p.isascii() and p.isdigit() and len(p) < 10 else p for p in picked]
        for department in form.departments:
            rating = request.form.get(f"rating-{department.code}", "")
            comment = request.form.get(f"comment-{department.code}", "")
            if rating:
                chosen[department.code] = rating
                entry: dict[str, Any] = {"department": department.code, "rating": rating}
                if comment.strip():
                    entry["comment"] = comment
                answers.append(entry)
        try:
            submit_answers(canonical, answers, form, priority=priority or None)
        except SurveyError as exc:
            db.session.rollback()
            if exc.status != 400:
                return _page_error(exc)
            errors = exc.fields or {"answers": exc.message}
        else:
            db.session.commit()
            return no_store(make_response(render_template("survey/thanks.html")))
    page = render_template(
        "survey/form.html",
        form=form,
        ratings=list(Rating),
        chosen=chosen,
        picked=set(request.form.getlist("priority")) if request.method == "POST" else set(),
        errors=errors,
        shown_code=format_code(canonical or ""),
        storage_key=f"survey-{canonical}",
    )
    return no_store(make_response(page, 400 if errors else 200))
