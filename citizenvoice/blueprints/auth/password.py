"""Every staff user changes their own password (the current one first)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired

from citizenvoice.blueprints.auth.views import auth_blueprint
from citizenvoice.domain.accounts import MIN_PASSWORD_LENGTH
from citizenvoice.extensions import db
from citizenvoice.services.accounts import AccountError, change_password

__all__ = ["password_page"]


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """Current password, the new one, and the new one again."""

    current = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired(message="请输入新密码")])
    confirm = PasswordField("再次输入新密码", validators=[DataRequired(message="请再次输入新密码")])


@auth_blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def password_page() -> Any:
    """Change one's own password; this session stays signed in with a new token."""
    form = PasswordForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = "请填写全部三项"
        elif form.new.data != form.confirm.data:
            error = "两次输入的新密码不一致"
        else:
            user = current_user._get_current_object()
            try:
                change_password(user, form.current.data or "", form.new.data or "")
            except AccountError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                session.clear()
                login_user(user)  # with the new session token: any copy of the old cookie ends
                flash("密码已修改", "success")
                return redirect(url_for("auth.password_page"), code=303)
        return render_template(
            "auth/password.html", form=form, error=error, min_length=MIN_PASSWORD_LENGTH
        ), 400
    return render_template(
        "auth/password.html", form=form, error=error, min_length=MIN_PASSWORD_LENGTH
    )
