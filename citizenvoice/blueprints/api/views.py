"""JSON API v1 views. Errors are ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from sqlalchemy import select

from citizenvoice.blueprints.errors import api_error
from citizenvoice.blueprints.feedback import file_and_queue, submission_limit
from citizenvoice.blueprints.security import LOOKUP_LIMIT_SCOPE, lookup_limit, no_store
from citizenvoice.domain.feedback import Channel, FeedbackValidationError
from citizenvoice.domain.feedback_fields import FEEDBACK_FIELDS
from citizenvoice.domain.localtime import iso_local
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.extensions import db, limiter
from citizenvoice.models import Period, Submission
from citizenvoice.services.appraisal import result_rows
from citizenvoice.services.departments import active_departments
from citizenvoice.services.feedback import public_timeline, submission_by_tracking_code
from citizenvoice.services.media import media_ids_from
from citizenvoice.services.portal import add_survey_grades

__all__ = [
    "CREATED_SCHEMA",
    "DEPARTMENTS_SCHEMA",
    "ERROR_SCHEMA",
    "PERIODS_SCHEMA",
    "PERIOD_SCORES_SCHEMA",
    "PUBLIC_CASE_SCHEMA",
    "api_blueprint",
    "public_case_view",
]

api_blueprint = Blueprint("api", __name__)

# The OpenAPI request body renders the same table (and media, see blueprints.api.openapi).
# Exactly the declared fields, and the ids of photos uploaded before (POST /api/v1/media).
_ACCEPTED_FIELDS = frozenset(FEEDBACK_FIELDS) | {"media"}


def _public_url(path: str) -> str:
    """An address residents can open: PUBLIC_BASE_URL + path, or the path alone.

    Not ``url_for(_external=True)``: that follows the request's Host header, so a client could
    make the answer point anywhere.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    return f"{base}{path}" if base else path


# Response schemas (JSON Schema 2020-12, as OpenAPI 3.1 embeds it), each beside the view that
# builds the answer. blueprints.api.openapi publishes them; the API tests validate real answers
# against them, so a serialiser that changes without its schema fails a test.
_TEXT = {"type": "string"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_MOMENT = {"type": "string", "format": "date-time", "description": "ISO 8601, +08:00, seconds"}
_DAY = {"type": "string", "format": "date"}
_NUMBER_OR_NULL = {"type": ["number", "null"]}


def _closed(**properties: Any) -> dict[str, Any]:
    """An object with exactly these properties, all present."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


ERROR_SCHEMA = _closed(
    error=_closed(
        code=_TEXT,
        message={**_TEXT, "minLength": 1},
        fields={"type": "object", "additionalProperties": _TEXT},
    )
)

DEPARTMENTS_SCHEMA = {
    "type": "array",
    "items": _closed(
        code=_TEXT, name=_TEXT, group=_TEXT, aliases={"type": "array", "items": _TEXT}
    ),
}


@api_blueprint.get("/departments")
def departments() -> Any:
    """List active departments: [{code, name, group, aliases}]."""
    return jsonify(
        [
            {"code": d.code, "name": d.name, "group": d.group, "aliases": list(d.aliases or [])}
            for d in active_departments()
        ]
    )


CREATED_SCHEMA = _closed(
    tracking_code={**_TEXT, "description": "查询码（保密，仅提交人持有）/ secret tracking code"},
    public_number={**_TEXT_OR_NULL, "description": "公开编号 / public case number"},
    status=_TEXT,
    url={**_TEXT, "description": "查询页面地址 / tracking page"},
)


def _created(response: Any) -> bool:
    """Only a stored submission counts toward the limit, not a request refused as invalid."""
    return bool(response.status_code == 201)


@api_blueprint.post("/feedback")
@limiter.limit(submission_limit, deduct_when=_created)
def create_feedback() -> Any:
    """Accept a complaint, rating or suggestion; answer 201 with the tracking code."""
    if not request.is_json:
        abort(415)
    try:
        payload = request.get_json(silent=True)
        # "\ud800" is valid JSON but not text PostgreSQL (or our own answer) can encode.
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except RecursionError:  # deeply nested arrays: not a ValueError, so "silent" lets it out
        payload = None
    except UnicodeEncodeError:
        return api_error(400, "请求体包含无效的字符", code="invalid_json")
    if payload is None:
        return api_error(400, "请求体不是有效的 JSON", code="invalid_json")
    if not isinstance(payload, dict):
        return api_error(400, "请求体须为 JSON 对象", code="invalid_json")
    unknown = sorted(set(payload) - _ACCEPTED_FIELDS)
    if unknown:
        return api_error(
            400,
            "包含不支持的字段",
            fields=dict.fromkeys(unknown, "不支持的字段"),
            code="validation_error",
        )
    # Coordinates are JSON numbers here (the form and Open311 send text, read by the domain).
    not_numbers = {
        name: "须为数字"
        for name in ("lat", "long")
        if payload.get(name) is not None
        and (isinstance(payload[name], bool) or not isinstance(payload[name], int | float))
    }
    if not_numbers:
        return api_error(400, "提交内容有误", fields=not_numbers, code="validation_error")
    try:
        media_ids = media_ids_from(payload.pop("media", None))
        submission = file_and_queue(payload, Channel.API, media_ids=media_ids)
    except FeedbackValidationError as exc:
        return api_error(400, "提交内容有误", fields=exc.fields, code="validation_error")
    url = _public_url(url_for("public.track", code=submission.tracking_code))
    response = jsonify(
        {
            "tracking_code": submission.tracking_code,
            "public_number": submission.public_number,
            "status": submission.status,
            "url": url,
        }
    )
    response.headers["Location"] = url_for("api.feedback_status", code=submission.tracking_code)
    return no_store(response), 201  # it carries the tracking code


@api_blueprint.get("/feedback/<code>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def feedback_status(code: str) -> Any:
    """The public view of a case: kind, status, department, category, timeline. No personal data."""
    submission = submission_by_tracking_code(code)
    if submission is None:
        return api_error(404, "未找到该查询码对应的诉求")
    return no_store(jsonify(public_case_view(submission)))


PUBLIC_CASE_SCHEMA = _closed(
    tracking_code=_TEXT,
    public_number=_TEXT_OR_NULL,
    kind={"type": "string", "enum": list(FEEDBACK_FIELDS["kind"].enum or ())},
    kind_label=_TEXT,
    status=_TEXT,
    status_label=_TEXT,
    department=_TEXT_OR_NULL,
    department_name=_TEXT_OR_NULL,
    category=_TEXT_OR_NULL,
    created_at=_MOMENT,
    events={
        "type": "array",
        "items": _closed(status=_TEXT, label=_TEXT, note=_TEXT_OR_NULL, at=_MOMENT),
    },
)


def public_case_view(submission: Submission) -> dict[str, Any]:
    """What anyone holding the tracking code may see."""
    department = submission.department
    return {
        "tracking_code": submission.tracking_code,
        "public_number": submission.public_number,
        "kind": submission.kind,
        "kind_label": submission.kind_label,
        "status": submission.status,
        "status_label": submission.status_label,
        "department": department.code if department else None,
        "department_name": department.name if department else None,
        # Only the category of the analysis is public; never its text, keywords or scores.
        "category": submission.analysis.category if submission.analysis else None,
        "created_at": iso_local(submission.created_at),
        # The same public-event rule and masking as the tracking page (services.feedback).
        "events": [
            {
                "status": event.status,
                "label": event.status_label,
                "note": event.note,
                "at": iso_local(event.created_at),
            }
            for event in public_timeline(submission)
        ],
    }


PERIODS_SCHEMA = {
    "type": "array",
    "items": _closed(code=_TEXT, name=_TEXT, kind=_TEXT, start=_DAY, end=_DAY, status=_TEXT),
}


@api_blueprint.get("/periods")
def periods() -> Any:
    """Appraisal periods: [{code, name, start, end, status}] (end is exclusive)."""
    rows = db.session.scalars(select(Period).order_by(Period.starts_on.desc(), Period.code))
    return jsonify(
        [
            {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "start": p.starts_on.isoformat(),
                "end": p.ends_on.isoformat(),
                "status": p.status,
            }
            for p in rows
        ]
    )


_INDICATOR = _closed(
    indicator=_TEXT,
    label=_TEXT,
    score=_NUMBER_OR_NULL,
    n={"type": "integer", "minimum": 0},
    low=_NUMBER_OR_NULL,
    high=_NUMBER_OR_NULL,
    sufficient={"type": "boolean"},
)
# Only the ``survey`` entry carries ``grade`` (优胜 / 先进 / 达标 / 未达标 / 末位, derived from the
# stored score at read time): null without a sufficient score or while a campaign is open.
_INDICATOR["properties"]["grade"] = _TEXT_OR_NULL
PERIOD_SCORES_SCHEMA = _closed(
    period=_TEXT,
    name=_TEXT,
    algorithm_version=_TEXT_OR_NULL,
    result_sha256=_TEXT_OR_NULL,
    published_at={"type": ["string", "null"], "format": "date-time"},
    rows={
        "type": "array",
        "items": _closed(
            department=_TEXT,
            department_name=_TEXT,
            group=_TEXT,
            dimensions={"type": "object", "additionalProperties": _NUMBER_OR_NULL},
            bonus=_NUMBER_OR_NULL,
            citizen=_closed(
                score=_NUMBER_OR_NULL,
                low=_NUMBER_OR_NULL,
                high=_NUMBER_OR_NULL,
                indicators={"type": "array", "items": _INDICATOR},
            ),
            total=_NUMBER_OR_NULL,
            rank={"type": ["integer", "null"]},
            reason=_TEXT_OR_NULL,
        ),
    },
)


@api_blueprint.get("/periods/<code>/scores")
def period_scores(code: str) -> Any:
    """Published results of a period: per department dimensions, indicators with n, total, rank."""
    period = db.session.scalar(select(Period).where(Period.code == code))
    if period is None:
        return api_error(404, "考核周期不存在")
    if period.status != PeriodStatus.PUBLISHED:
        return api_error(404, "该周期的结果尚未发布", code="not_published")
    return jsonify(
        {
            "period": period.code,
            "name": period.name,
            "algorithm_version": period.algorithm_version,
            "result_sha256": period.result_sha256,
            "published_at": iso_local(period.published_at) if period.published_at else None,
            "rows": add_survey_grades(period, result_rows(period)),
        }
    )
