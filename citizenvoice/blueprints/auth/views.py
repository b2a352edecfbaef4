"""Login (rate limited, generic errors, new session id) and logout (ends the session for good)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from citizenvoice.blueprints.auth import throttle
from citizenvoice.domain.accounts import Role
from citizenvoice.domain.inputs import safe_redirect_path
from citizenvoice.extensions import db, limiter, login_manager
from citizenvoice.models import User
from citizenvoice.services.accounts import authenticate, end_sessions, load_session_user

__all__ = ["auth_blueprint", "home_for", "role_required"]

auth_blueprint = Blueprint("auth", __name__)

# Five failed sign-ins a minute from one address, then 429 (successful ones do not count).
LOGIN_FAILURE_LIMIT = "5/minute"
F = TypeVar("F", bound=Callable[..., Any])


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired(message="请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码")])


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    return load_session_user(session_id)


def role_required(*roles: Role) -> Callable[[F], F]:
    """Allow only signed-in users with one of ``roles`` (403 for other staff)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role_enum not in roles:
                current_app.logger.warning(
                    "forbidden: user=%s role=%s path=%s",
                    current_user.username,
                    current_user.role,
                    request.path,
                )
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def home_for(user: User) -> str:
    """Where a user lands after sign-in when no ``next`` was asked for: their work queue.

    The office (and system administrators, who see across departments) start on the analysis
    queue; department roles on their inbox, where their cases wait.
    """
    if user.role_enum.is_office:
        return url_for("office.queue")
    return url_for("workspace.inbox_page")


def _safe_next(target: str | None) -> str | None:
    """``target`` when it is a local path to a page of this app (GET), else None."""
    path = safe_redirect_path(target)
    if path is None:
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(urlsplit(path).path, method="GET")
    except RequestRedirect:
        return path  # a known page that only wants a trailing slash
    except HTTPException:
        return None
    return path


@auth_blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(
    LOGIN_FAILURE_LIMIT, methods=["POST"], deduct_when=lambda response: response.status_code != 303
)
def login() -> Any:
    """Sign in; one generic message for every failure."""
    form = LoginForm()
    error = None
    if request.method == "POST":
        username = form.username.data or ""
        wait = throttle.locked_for(username) if username else 0
        if wait:
            return _locked(form, wait)
        if form.validate_on_submit():
            user = authenticate(username, form.password.data or "")
            if user is not None:
                throttle.record_success(username)
                db.session.commit()
                session.clear()  # nothing from before sign-in survives into the new session
                login_user(user)
                return redirect(_safe_next(request.args.get("next")) or home_for(user), code=303)
            db.session.rollback()
            throttle.record_failure(username)  # the next attempt finds the lock, if any
        error = "用户名或密码错误，或账号已停用"
        return render_template("auth/login.html", form=form, error=error), 401
    return render_template("auth/login.html", form=form, error=error)


def _locked(form: LoginForm, seconds: int) -> Any:
    """429 with the login form and how long to wait (the same for unknown usernames)."""
    response = make_response(
        render_template("auth/login.html", form=form, error=throttle.wait_message(seconds)), 429
    )
    response.headers["Retry-After"] = str(seconds)
    return response


@auth_blueprint.post("/logout")
@login_required
def logout() -> Response:
    """Sign out: the session token changes, so any copy of the old cookie stops working."""
    end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@auth_blueprint.get("/staff")
@login_required
def home() -> str:
    """Landing page for signed-in staff."""
    return render_template("auth/home.html")
