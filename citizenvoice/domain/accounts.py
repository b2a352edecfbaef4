"""Staff roles and what each may do. Residents never need an account."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MIN_PASSWORD_LENGTH", "Role"]

# NIST SP 800-63B asks for at least 8; staff accounts see residents' cases, so 10.
MIN_PASSWORD_LENGTH = 10


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
