"""Error responses: JSON errors under /api, the spec's errors under /open311, pages elsewhere.

Under /api the body is {"error": {code, message, fields}}; under /open311 the GeoReport v2
error list in JSON or XML (never HTML); everywhere else a Chinese page.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.services.media_storage import StorageUnavailable

__all__ = ["api_error", "database_unavailable", "error_page", "init_app", "is_database_outage"]

_MESSAGES = {
    400: "请求有误",
    403: "没有权限",
    404: "未找到",
    405: "不支持的请求方法",
    413: "提交的内容过大",
    415: "请求须为 JSON（Content-Type: application/json）",
    429: "提交过于频繁，请稍后再试",
    500: "服务器出错，请稍后再试",
    503: "服务暂时不可用，请稍后再试",
}
_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
# How long a client should wait before trying again while the database is unreachable.
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


def api_error(
    status: int,
    message: str | None = None,
    fields: dict[str, str] | None = None,
    code: str | None = None,
) -> tuple[Response, int]:
    """Build the API's JSON error body."""
    body: dict[str, Any] = {
        "error": {
            "code": code or _CODES.get(status, "error"),
            "message": message or _MESSAGES.get(status, "请求失败"),
            "fields": fields or {},
        }
    }
    return jsonify(body), status


def error_page(error: HTTPException) -> tuple[str, int]:
    """The Chinese HTML page for an HTTP error (for blueprints that handle some errors first)."""
    status = error.code or 500
    template = "errors/404.html" if status == 404 else "errors/error.html"
    return render_template(
        template, status=status, message=_MESSAGES.get(status, "请求失败")
    ), status


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached now (not a bug in a query).

    Refused or timed-out connections, a dropped connection, and no free connection in the pool
    within ``DB_POOL_TIMEOUT`` are outages; an integrity or programming error is not.
    """
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def database_unavailable() -> Any:
    """503 with Retry-After: JSON under /api, the resident's form kept on the submit page."""
    if _open311():
        from citizenvoice.blueprints.open311.render import error_response

        # Open311 clients parse every answer as the spec's error list, an outage included.
        response, status = error_response(503, "service unavailable, retry later"), 503
    elif _wants_json():
        response, status = api_error(503)
    elif request.endpoint == "public.submit" and request.method == "POST":
        kind = (request.view_args or {}).get("kind", "")
        page = render_template(
            "errors/unavailable_form.html",
            kind=FeedbackKind(kind) if kind in set(FeedbackKind) else None,
            posted=_posted_form(),
        )
        response, status = Response(page, mimetype="text/html"), 503
    else:
        page = render_template("errors/error.html", status=503, message=_MESSAGES[503])
        response, status = Response(page, mimetype="text/html"), 503
    response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"  # the page may hold what the resident typed
    return response, status


def _posted_form() -> Any:
    """The posted form fields, or none when the body is too large to read (413)."""
    try:
        return request.form
    except HTTPException:
        return {}


def _wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _open311() -> bool:
    from citizenvoice.blueprints.open311.render import open311_path

    return open311_path(request.path)


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, CSRF failures and unexpected exceptions."""
    from citizenvoice.blueprints.open311 import views as open311_views

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        if _wants_json():
            return api_error(400, "CSRF 校验失败", code="csrf_failed")
        return render_template(
            "errors/error.html", status=400, message="页面已过期或来源不明，请刷新后重新提交。"
        ), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if _open311():
            return open311_views.http_error(error)
        if _wants_json():
            response, status = api_error(status)
            if status == 405 and error.get_response().headers.get("Allow"):
                response.headers["Allow"] = error.get_response().headers["Allow"]
            return response, status
        template = "errors/404.html" if status == 404 else "errors/error.html"
        return render_template(
            template, status=status, message=_MESSAGES.get(status, "请求失败")
        ), status

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeoutError)
    def _database_error(error: Exception) -> Any:
        if not is_database_outage(error):
            return _unexpected(error)
        app.logger.warning(
            "database unavailable (%s) on %s %s",
            type(error).__name__,
            request.method,
            request.endpoint,
        )
        return database_unavailable()

    @app.errorhandler(StorageUnavailable)
    def _storage_error(error: StorageUnavailable) -> Any:
        # The message names the S3 error class or code only: no key, secret or photo.
        app.logger.warning(
            "media storage unavailable (%s) on %s %s", error, request.method, request.endpoint
        )
        return database_unavailable()

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http_error(error)
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _open311():
            return open311_views.server_error()
        if _wants_json():
            return api_error(500)
        return render_template(
            "errors/error.html", status=500, message=_MESSAGES[500]
        ), InternalServerError.code
