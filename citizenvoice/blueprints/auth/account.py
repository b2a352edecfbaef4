"""Staff account pages: password change for everyone, account management for administrators.

System administrators list, create, disable, re-role and move accounts between departments;
each change is audited by the service.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired

from citizenvoice.blueprints.auth.views import auth_blueprint, role_required
from citizenvoice.domain.accounts import MIN_PASSWORD_LENGTH, Role
from citizenvoice.extensions import db
from citizenvoice.services.account_admin import (
    change_password,
    create_account,
    list_accounts,
    update_account,
)
from citizenvoice.services.accounts import AccountError
from citizenvoice.services.departments import active_departments

__all__: list[str] = []


class PasswordForm(FlaskForm):  # type: ignore[misc]
    """Current password, and the new one twice."""

    current = PasswordField("当前密码", validators=[DataRequired(message="请输入当前密码")])
    new = PasswordField(
        f"新密码（至少 {MIN_PASSWORD_LENGTH} 位）",
        validators=[DataRequired(message="请输入新密码")],
    )
    repeated = PasswordField(
        "再次输入新密码", validators=[DataRequired(message="请再次输入新密码")]
    )


class AccountForm(FlaskForm):  # type: ignore[misc]
    """CSRF for the account management forms (fields are read from the request)."""


@auth_blueprint.route("/staff/password", methods=["GET", "POST"])
@login_required
def password_page() -> Any:
    """Change one's own password; other sessions of the account end, this one continues."""
    form = PasswordForm()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            user = current_user._get_current_object()
            try:
                change_password(user, form.current.data, form.new.data, form.repeated.data)
            except AccountError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                login_user(user)  # the session token changed: keep this browser signed in
                flash("密码已修改，其他设备上的登录已退出", "success")
                return redirect(url_for("auth.password_page"), code=303)
        else:
            error = next((e for errors in form.errors.values() for e in errors), "请重试")
        return render_template("auth/password.html", form=form, error=error), 400
    return render_template("auth/password.html", form=form, error=None)


@auth_blueprint.get("/staff/users")
@role_required(Role.SYSTEM_ADMIN)
def users_page() -> str:
    """Every account with its role, department and status; a form to create one."""
    return render_template(
        "auth/users.html",
        users=list_accounts(),
        roles=list(Role),
        departments=active_departments(),
        form=AccountForm(),
    )


@auth_blueprint.post("/staff/users")
@role_required(Role.SYSTEM_ADMIN)
def users_create() -> Any:
    """Create an account."""
    if not AccountForm().validate_on_submit():
        abort(400)
    try:
        user = create_account(
            request.form.get("username", ""),
            request.form.get("password", ""),
            request.form.get("role", ""),
            request.form.get("department") or None,
            current_user.username,
        )
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"已创建账号 {user.username}", "success")
    return redirect(url_for("auth.users_page"), code=303)


@auth_blueprint.post("/staff/users/<username>")
@role_required(Role.SYSTEM_ADMIN)
def users_update(username: str) -> Any:
    """Change an account's role, department or status (停用 / 启用)."""
    if not AccountForm().validate_on_submit():
        abort(400)
    try:
        update_account(
            username,
            role=request.form.get("role", ""),
            department_code=request.form.get("department") or None,
            active=request.form.get("active") == "1",
            actor=current_user.username,
        )
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"已更新账号 {username}", "success")
    return redirect(url_for("auth.users_page"), code=303)
