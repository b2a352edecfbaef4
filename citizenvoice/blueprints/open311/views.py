"""Open311 GeoReport v2 endpoints (wiki.open311.org/GeoReport_v2), JSON and XML.

Reads are open to anyone (public-consented cases only in listings); ``POST requests`` needs an
API key (``flask --app wsgi open311 keys create``). Every answer under /open311, errors
included, is in the spec's JSON or XML form, never an HTML page (see ``errors`` below and
citizenvoice.blueprints.errors). Rate limits are per API key, or per client address without one.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from citizenvoice.blueprints.feedback import file_and_queue
from citizenvoice.blueprints.open311.render import error_response, render
from citizenvoice.domain.feedback import Channel, FeedbackValidationError
from citizenvoice.domain.open311 import (
    PUBLIC_NUMBER_PATTERN,
    Open311Error,
    parse_filters,
    parse_ids,
)
from citizenvoice.extensions import db, limiter
from citizenvoice.models.base import utcnow
from citizenvoice.services.open311.catalogue import service_definition, service_list, service_of
from citizenvoice.services.open311.intake import feedback_fields
from citizenvoice.services.open311.keys import hash_key, valid_key
from citizenvoice.services.open311.requests import list_requests, requests_by_numbers

__all__ = ["open311_blueprint"]

open311_blueprint = Blueprint("open311", __name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this implementation's behaviour last changed (discovery's changeset).
CHANGESET = "2026-12-04T00:00:00+08:00"
FORMATS = {"json", "xml"}
# Site field names -> the Open311 parameter that carried them, for validation messages.
_PARAM_NAMES = {
    "text": "description",
    "location": "address_string",
    "contact_phone": "phone",
    "contact_email": "email",
    "department": "service_code",
}


def _limit_key() -> str:
    """A client's rate-limit bucket: its API key (hashed) if it sent one, else its address."""
    key = request.values.get("api_key", "")
    if key and len(key) <= 200:
        return "open311-key:" + hash_key(key)[:32]
    return "open311-addr:" + (request.remote_addr or "unknown")


def _read_limit() -> str:
    return str(current_app.config["OPEN311_READ_LIMIT"])


def _post_limit() -> str:
    return str(current_app.config["OPEN311_POST_LIMIT"])


def _media_url(public_id: str) -> str:
    """A public case photo's address: PUBLIC_BASE_URL + path (never the Host header)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    return f"{base}{url_for('open.public_case_photo', media_id=public_id)}"


def _split(name: str) -> tuple[str, str]:
    """``2026-000123.json`` -> (``2026-000123``, ``json``); an unknown format is a 404."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt not in FORMATS:
        raise Open311Error(404, "not found: use .json or .xml")
    return stem, fmt


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Open311Error(404, "not found: use .json or .xml")


@open311_blueprint.errorhandler(Open311Error)
def _open311_error(error: Open311Error) -> Response:
    return error_response(error.code, error.description)


@open311_blueprint.after_request
def _cors(response: Response) -> Response:
    """Reads are public data: any web page may fetch them."""
    if request.method == "GET":
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@open311_blueprint.get("/discovery.<fmt>")
@limiter.limit(_read_limit, key_func=_limit_key)
def discovery(fmt: str) -> Response:
    """Where the endpoint is and what it speaks."""
    _check_format(fmt)
    # PUBLIC_BASE_URL, not the request's Host header (a client could make it point anywhere).
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    payload = {
        "changeset": CHANGESET,
        "contact": "市民之声（CitizenVoice）开放接口",
        "key_service": f"{base}/open311/v2/services.json",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(fmt, payload, "discovery", None)


@open311_blueprint.get("/v2/services.<fmt>")
@limiter.limit(_read_limit, key_func=_limit_key)
def services(fmt: str) -> Response:
    """Every service (department) a request may be posted to."""
    _check_format(fmt)
    return render(fmt, service_list(), "services", "service")


@open311_blueprint.get("/v2/services/<path:name>")
@limiter.limit(_read_limit, key_func=_limit_key)
def service(name: str) -> Response:
    """One service's definition: its attributes."""
    code, fmt = _split(name)
    if service_of(code) is None:
        raise Open311Error(404, "service_code not found")
    return render(fmt, service_definition(code), "service_definition", None)


@open311_blueprint.route("/v2/requests.<fmt>", methods=["GET", "POST"])
@limiter.limit(_read_limit, key_func=_limit_key, methods=["GET"])
@limiter.limit(_post_limit, key_func=_limit_key, methods=["POST"])
def requests_endpoint(fmt: str) -> Response:
    """GET: requests by id, or the public listing; POST: file a new request."""
    _check_format(fmt)
    if request.method == "POST":
        return _post_request(fmt)
    if "service_request_id" in request.args:
        found = requests_by_numbers(
            parse_ids(request.args.get("service_request_id", "")), _media_url
        )
        return render(fmt, found, "service_requests", "request")
    filters = parse_filters(request.args, utcnow())
    return render(fmt, list_requests(filters, _media_url), "service_requests", "request")


def _post_request(fmt: str) -> Response:
    if valid_key(request.values.get("api_key")) is None:
        raise Open311Error(403, "api_key is missing or invalid")
    data = feedback_fields(request.form)
    try:
        case = file_and_queue(data, Channel.OPEN311)
    except FeedbackValidationError as exc:
        problems = "; ".join(f"{_PARAM_NAMES.get(k, k)}: {v}" for k, v in exc.fields.items())
        raise Open311Error(400, problems or "invalid request") from None
    answer = [
        {
            "service_request_id": case.public_number,
            "service_notice": "已受理，承办部门将按时限签收办理",
            "account_id": None,
        }
    ]
    return render(fmt, answer, "service_requests", "request")


@open311_blueprint.get("/v2/requests/<path:name>")
@limiter.limit(_read_limit, key_func=_limit_key)
def request_by_id(name: str) -> Response:
    """One request, as a list of one; 404 for a number that matches no case (malformed too)."""
    number, fmt = _split(name)
    found = (
        requests_by_numbers([number], _media_url) if PUBLIC_NUMBER_PATTERN.fullmatch(number) else []
    )
    if not found:
        raise Open311Error(404, "service_request_id not found")
    return render(fmt, found, "service_requests", "request")


@open311_blueprint.get("/v2/tokens/<path:name>")
@limiter.limit(_read_limit, key_func=_limit_key)
def token(name: str) -> Response:
    """Requests are filed at once, so a token is the request's number itself."""
    number, fmt = _split(name)
    found = requests_by_numbers([number]) if PUBLIC_NUMBER_PATTERN.fullmatch(number) else []
    if not found:
        raise Open311Error(404, "token not found")
    answer = [{"service_request_id": number, "token": number}]
    return render(fmt, answer, "service_requests", "request")


def http_error(error: HTTPException) -> Response:
    """Any HTTP error under /open311 (unknown path, 405, 413, 429 ...) in the spec's form."""
    code = error.code or 500
    headers = {}
    if code == 405:
        allow = error.get_response().headers.get("Allow")
        if allow:
            headers["Allow"] = allow
    description = {
        404: "not found",
        405: "method not allowed",
        413: "request too large",
        429: "rate limit exceeded, retry later",
    }.get(code, error.name.lower() if error.name else "error")
    db.session.rollback()
    return error_response(code, description, headers)


def server_error() -> Response:
    """An unexpected failure under /open311: a 500 in the spec's form (logged by the caller)."""
    db.session.rollback()
    return error_response(500, "internal server error")
