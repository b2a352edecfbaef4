"""Routing cases the classifier left to the office (不确定 and not confident)."""

from __future__ import annotations

from sqlalchemy import select

from citizenvoice.domain.analysis import Routing
from citizenvoice.domain.cases import CaseStatus
from citizenvoice.extensions import db
from citizenvoice.models import Department, StatusEvent, Submission

__all__ = ["RoutingError", "assign_department", "cases_awaiting_routing"]


class RoutingError(ValueError):
    """The case or department cannot be routed as asked (message in Chinese)."""


def cases_awaiting_routing(limit: int = 200) -> list[Submission]:
    """Cases without a department that the classifier flagged for the office, oldest first."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.department_id.is_(None),
                Submission.routing == Routing.OFFICE_NEEDED.value,
            )
            .order_by(Submission.created_at, Submission.id)
            .limit(limit)
        )
    )


def assign_department(submission_id: int, department_code: str, actor: str) -> Submission:
    """Give a case its department by hand and note it on the timeline. Flushes."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise RoutingError("诉求不存在")
    department = db.session.scalar(
        select(Department).where(Department.code == department_code, Department.active.is_(True))
    )
    if department is None:
        raise RoutingError("部门不存在")
    submission.department = department
    submission.routing = Routing.OFFICE.value
    submission.events.append(
        StatusEvent(
            status=CaseStatus.RECEIVED.value, note=f"已分派至{department.name}", actor=actor
        )
    )
    db.session.flush()
    return submission
