"""Staff roles and what each may do. Residents never need an account."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from importlib import resources

__all__ = [
    "LOGIN_FAILURES_BEFORE_LOCK",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "MIN_PASSWORD_LENGTH",
    "Role",
    "common_passwords",
    "lockout_seconds",
    "password_problem",
]

# NIST SP 800-63B asks for at least 8; staff accounts see residents' cases, so 10.
MIN_PASSWORD_LENGTH = 10

# Per-account sign-in back-off: this many failures for one username within the window lock
# that username (from every address) for lockout_seconds(n) at its n-th lock in a day.
LOGIN_FAILURES_BEFORE_LOCK = 5
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
FIRST_LOCK_SECONDS = 60
LONGEST_LOCK_SECONDS = 60 * 60
LOCK_MEMORY_SECONDS = 24 * 60 * 60  # how long earlier locks raise the next one

# Digits and punctuation people tack on to a common word ("password2024!", "woaini1314").
_TRAILING_DECORATION = re.compile(r"[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the commonest passwords (lower-case)."""
    text = resources.files("citizenvoice.domain").joinpath("data/common_passwords.txt")
    return frozenset(
        line.strip().lower()
        for line in text.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` may not be used (Chinese), or None when it is acceptable.

    Beyond the length: no single repeated character, not the username, and not one of the
    commonest passwords, with or without digits and symbols tacked on at the end.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    lowered = password.lower()
    if len(set(password)) == 1:
        return "密码不能由同一个字符重复组成"
    name = username.strip().lower()
    if name and (lowered == name or _TRAILING_DECORATION.sub("", lowered) == name):
        return "密码不能与用户名相同"
    stem = _TRAILING_DECORATION.sub("", lowered)
    if lowered in common_passwords() or (stem and stem in common_passwords()):
        return "密码过于常见，请换一个不易被猜到的密码"
    return None


def lockout_seconds(lock_number: int) -> int:
    """How long the ``lock_number``-th lock of an account lasts: 1 min, doubling, at most 1 h."""
    doublings = min(max(lock_number - 1, 0), 16)  # capped: the hour is reached long before
    return min(FIRST_LOCK_SECONDS << doublings, LONGEST_LOCK_SECONDS)


class Role(StrEnum):
    """Staff roles, from a department's staff member to the system administrator."""

    DEPARTMENT_STAFF = "department_staff"
    DEPARTMENT_ADMIN = "department_admin"
    OFFICE = "office"
    SYSTEM_ADMIN = "system_admin"

    @property
    def label(self) -> str:
        """The Chinese name of the role."""
        return {
            "department_staff": "部门工作人员",
            "department_admin": "部门管理员",
            "office": "绩效办",
            "system_admin": "系统管理员",
        }[self.value]

    @property
    def needs_department(self) -> bool:
        """Department roles belong to exactly one department."""
        return self in (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_ADMIN)

    @property
    def can_reveal_contact(self) -> bool:
        """Who may see a resident's full phone number (each reveal is audited)."""
        return self in (Role.DEPARTMENT_ADMIN, Role.OFFICE)

    @property
    def is_office(self) -> bool:
        """The performance office and system administrators see across departments."""
        return self in (Role.OFFICE, Role.SYSTEM_ADMIN)
