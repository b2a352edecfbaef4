"""Security headers on every response (including error pages).

Also: ``no-store`` for responses with case data, and the rate limit that every lookup by
tracking code shares.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Flask, Response, current_app
from werkzeug.wrappers import Response as BaseResponse

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "LOOKUP_LIMIT_SCOPE",
    "NO_STORE",
    "init_app",
    "lookup_limit",
    "no_store",
]

# Only our own origin; no inline script or style anywhere (templates use static files).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Pages with case data (staff pages, exports, a case looked up by its tracking code): neither
# the browser nor a proxy may keep a copy, so the back button on a shared computer or a shared
# cache cannot show them to the next person.
NO_STORE = "no-store"

_R = TypeVar("_R", bound=BaseResponse)


def no_store(response: _R) -> _R:
    """Mark ``response`` as not to be stored by any cache (an after-request hook)."""
    response.headers["Cache-Control"] = NO_STORE
    return response


# One budget per client address for every lookup by tracking code (the API's case view, the
# tracking and confirmation pages): alternating between them must not multiply the number of
# codes a client can try.
LOOKUP_LIMIT_SCOPE = "tracking-code-lookup"


def lookup_limit() -> str:
    """The configured lookup limit (``CITIZENVOICE_LOOKUP_LIMIT``), read per request."""
    return str(current_app.config["LOOKUP_RATE_LIMIT"])


def init_app(app: Flask) -> None:
    """Register the after-request hook that sets the headers."""

    @app.after_request
    def _set_security_headers(response: Response) -> Response:
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
