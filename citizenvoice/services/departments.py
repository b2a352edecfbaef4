"""Queries about departments."""

from __future__ import annotations

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Department

__all__ = ["active_departments", "department_by_code"]


def active_departments() -> list[Department]:
    """Return active departments ordered by group, then name."""
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.active.is_(True))
            .order_by(Department.group, Department.code)
        )
    )


def department_by_code(code: str) -> Department | None:
    """Return the active department with ``code``, or None."""
    return db.session.scalar(
        select(Department).where(Department.code == code, Department.active.is_(True))
    )
