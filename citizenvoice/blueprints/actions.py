"""The one shape of a staff form action: run the service, commit or roll back, flash, redirect.

Services flush and never commit; the request commits once. A refused action (the service's
own error type) rolls back whatever it flushed and shows its message; every outcome answers
303 so a reload does not post the form again.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from werkzeug.wrappers import Response

from citizenvoice.extensions import db

__all__ = ["commit_or_flash"]


def commit_or_flash(
    action: Callable[[], object],
    *,
    refused: type[Exception] | tuple[type[Exception], ...],
    done: str | None,
    then: str,
    reason: Callable[[Exception], str] = str,
) -> Response:
    """Run ``action``; commit and flash ``done``, or roll back and flash why it was refused.

    ``refused`` are the exceptions that mean "not allowed / invalid" (anything else is a bug
    and propagates); ``reason`` turns one into the message shown (default ``str``); ``done``
    None flashes nothing on success (the action flashed its own outcome); ``then`` is the URL
    to redirect to with 303 either way.
    """
    try:
        action()
    except refused as exc:
        db.session.rollback()
        flash(reason(exc), "danger")
    else:
        db.session.commit()
        if done is not None:
            flash(done, "success")
    return redirect(then, code=303)
