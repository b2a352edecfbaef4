"""Routing by hand: cases the classifier left to the office, and cases a department returned."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from citizenvoice.domain.analysis import Routing
from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.workflow import Action, WorkflowError
from citizenvoice.extensions import db
from citizenvoice.models import Department, Submission, User
from citizenvoice.services.workflow import actor_for, perform

__all__ = ["RoutingError", "assign_department", "cases_awaiting_routing"]


class RoutingError(ValueError):
    """The case or department cannot be routed as asked (message in Chinese)."""


def cases_awaiting_routing(limit: int = 200) -> list[Submission]:
    """Unrouted cases flagged for the office, and returned (退单) cases, oldest first."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                or_(
                    and_(
                        Submission.department_id.is_(None),
                        Submission.routing == Routing.OFFICE_NEEDED.value,
                    ),
                    Submission.status == CaseStatus.RETURNED.value,
                )
            )
            .order_by(Submission.created_at, Submission.id)
            .limit(limit)
        )
    )


def assign_department(submission_id: int, department_code: str, user: User) -> Submission:
    """Give a case its department by hand (分派, also after 退单). Raises RoutingError. Flushes."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise RoutingError("诉求不存在")
    department = db.session.scalar(
        select(Department).where(Department.code == department_code, Department.active.is_(True))
    )
    if department is None:
        raise RoutingError("请选择部门" if not department_code else "部门不存在")
    try:
        perform(submission, Action.ASSIGN, actor_for(user), department=department.code)
    except WorkflowError as exc:
        raise RoutingError(exc.message) from exc
    submission.routing = Routing.OFFICE.value
    db.session.flush()
    return submission
