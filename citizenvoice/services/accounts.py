"""Staff accounts: create, authenticate, disable, sessions that really end."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from citizenvoice.domain.accounts import Role, password_problem
from citizenvoice.extensions import db
from citizenvoice.models import Department, User
from citizenvoice.models.base import utcnow

__all__ = [
    "AccountError",
    "authenticate",
    "create_user",
    "disable_user",
    "end_sessions",
    "load_session_user",
]

# A hash computed once so a login for an unknown user costs the same time as a real check.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


class AccountError(ValueError):
    """An account cannot be created or changed as asked (message in Chinese)."""


def create_user(
    username: str, password: str, role: str, department_code: str | None = None
) -> User:
    """Create a staff account with a scrypt password hash. Flushes."""
    username = username.strip()
    try:
        role_enum = Role(role)
    except ValueError as exc:
        raise AccountError(f"未知角色：{role}（可选：{', '.join(r.value for r in Role)}）") from exc
    if not username or len(username) > 64:
        raise AccountError("用户名须为 1 到 64 个字符")
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)
    if db.session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"用户名已存在：{username}")
    department = None
    if role_enum.needs_department:
        if not department_code:
            raise AccountError("部门角色须指定部门（--department）")
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise AccountError(f"部门不存在：{department_code}")
    elif department_code:
        raise AccountError("绩效办和系统管理员不属于某个部门")
    user = User(
        username=username,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role_enum.value,
        department=department,
        active=True,
        session_token=secrets.token_hex(16),
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, signed in with a fresh session token; else None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.session_token = secrets.token_hex(16)  # a new session id at every login
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session of this user (logout). Flushes."""
    user.session_token = secrets.token_hex(16)
    db.session.flush()


def disable_user(username: str) -> User:
    """Disable an account and end its sessions. Flushes."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"用户不存在：{username}")
    user.active = False
    end_sessions(user)
    return user


def load_session_user(session_id: str) -> User | None:
    """The user for a Flask-Login session id ``"<id>:<token>"``, if it is still current."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user
