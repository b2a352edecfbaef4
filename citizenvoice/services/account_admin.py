"""Managing staff accounts after creation: password change and reset, role, department, status.

Every change here is written to the audit log with who made it; a password change or reset
and a disable end every session of the account (its session token changes).
"""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from citizenvoice.domain.accounts import Role, password_problem
from citizenvoice.extensions import db
from citizenvoice.models import Department, User
from citizenvoice.services.accounts import AccountError, create_user, end_sessions
from citizenvoice.services.audit import record

__all__ = [
    "change_password",
    "create_account",
    "list_accounts",
    "new_password_problem",
    "reset_password",
    "update_account",
]


def new_password_problem(password: str, username: str = "") -> str | None:
    """Why a new password may not be used (Chinese), or None.

    One function for every way a password is set here (change, reset, create from the page),
    so they cannot drift apart; it applies the account rule of citizenvoice.domain.accounts.
    """
    return password_problem(password, username)


def _set_password(user: User, password: str) -> None:
    problem = new_password_problem(password, user.username)
    if problem:
        raise AccountError(problem)
    user.password_hash = generate_password_hash(password, method="scrypt")
    end_sessions(user)  # a changed password ends every other signed-in copy of the account


def change_password(user: User, current: str, new: str, repeated: str) -> None:
    """The signed-in user changes their own password (current one required). Audited. Flushes."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("当前密码不正确")
    if new != repeated:
        raise AccountError("两次输入的新密码不一致")
    if new == current:
        raise AccountError("新密码不能与当前密码相同")
    _set_password(user, new)
    record(user.username, "password_change", "user", user.username, {})
    db.session.flush()


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise AccountError(f"用户不存在：{username}")
    return user


def reset_password(username: str, new: str, actor: str) -> User:
    """Set a new password for an account (an administrator's act). Audited. Flushes."""
    user = _user(username)
    _set_password(user, new)
    record(actor, "password_reset", "user", user.username, {})
    db.session.flush()
    return user


def list_accounts() -> list[User]:
    """Every staff account, by username."""
    return list(db.session.scalars(select(User).order_by(func.lower(User.username))))


def create_account(
    username: str, password: str, role: str, department_code: str | None, actor: str
) -> User:
    """Create an account as ``actor`` (same rules as ``users create``). Audited. Flushes."""
    problem = new_password_problem(password, username)
    if problem:
        raise AccountError(problem)
    user = create_user(username, password, role, department_code or None)
    record(
        actor,
        "user_create",
        "user",
        user.username,
        {"role": user.role, "department": department_code or None},
    )
    db.session.flush()
    return user


def _active_admins() -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.SYSTEM_ADMIN.value, User.active.is_(True))
        )
        or 0
    )


def update_account(
    username: str, *, role: str, department_code: str | None, active: bool, actor: str
) -> User:
    """Change an account's role, department and status. Audited (before and after). Flushes.

    Refuses to leave the system without an active administrator, so nobody can lock the
    office out of account management by a slip.
    """
    user = _user(username)
    try:
        role_enum = Role(role)
    except ValueError as exc:
        raise AccountError(f"未知角色：{role}") from exc
    department = None
    if role_enum.needs_department:
        if not department_code:
            raise AccountError("部门角色须指定部门")
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise AccountError(f"部门不存在：{department_code}")
    before = {
        "role": user.role,
        "department": user.department.code if user.department else None,
        "active": user.active,
    }
    after = {
        "role": role_enum.value,
        "department": department.code if department else None,
        "active": active,
    }
    if before == after:
        return user
    was_admin = user.role == Role.SYSTEM_ADMIN.value and user.active
    if was_admin and (role_enum is not Role.SYSTEM_ADMIN or not active) and _active_admins() <= 1:
        raise AccountError("这是唯一的系统管理员账号，不能停用或改为其他角色")
    user.role, user.department, user.active = role_enum.value, department, active
    if not active or before["role"] != after["role"]:
        end_sessions(user)  # a disabled or re-roled account signs in again with its new rights
    record(actor, "user_update", "user", user.username, {"before": before, "after": after})
    db.session.flush()
    return user
