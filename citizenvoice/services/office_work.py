"""What waits for the performance office, and the routing cards it decides on.

One place answers "what does the office still have to do": 延期 / 转办 requests from
departments, 重办 requests from residents, returned (退单) cases, cases the classifier could
not route, and follow-ups held for review. The navigation shows the counts; /office/inbox
lists the items with links to where each is decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from citizenvoice.domain.analysis import Routing
from citizenvoice.domain.cases import CaseStatus, PendingKind
from citizenvoice.domain.workflow import Action
from citizenvoice.extensions import db
from citizenvoice.models import CategoryRoute, Department, RatingReview, StatusEvent, Submission
from citizenvoice.services.routing import cases_awaiting_routing

__all__ = [
    "OfficeQueue",
    "ReturnInfo",
    "RoutingCard",
    "office_counts",
    "office_queue",
    "return_info",
    "routing_cards",
]

# The fixed part of a 退单 event's note; what follows "理由：" is the department's reason.
_REASON_PREFIX = "理由："
_LIST_LIMIT = 200


@dataclass(frozen=True)
class ReturnInfo:
    """Who returned a case (退单), from which department, when, and why."""

    actor: str
    department: str | None
    at: datetime
    reason: str


@dataclass(frozen=True)
class Suggestion:
    """One of the classifier's top categories, its confidence, and the department it routes to."""

    category: str
    confidence: float
    department: str | None  # code
    department_name: str | None


@dataclass(frozen=True)
class RoutingCard:
    """A case waiting for the office's 分派, with what helps to decide."""

    case: Submission
    suggestions: tuple[Suggestion, ...]
    suggested: str | None  # the department code to preselect, or None
    returned: ReturnInfo | None


def _reason(note: str) -> str:
    _, found, reason = note.partition(_REASON_PREFIX)
    return reason.strip() if found else note.strip()


def return_info(case_ids: list[int]) -> dict[int, ReturnInfo]:
    """The latest 退单 of each case (by id), from its timeline."""
    if not case_ids:
        return {}
    latest = (
        select(StatusEvent.submission_id, func.max(StatusEvent.id).label("event_id"))
        .where(StatusEvent.submission_id.in_(case_ids), StatusEvent.action == Action.RETURN.value)
        .group_by(StatusEvent.submission_id)
        .subquery()
    )
    rows = db.session.execute(
        select(StatusEvent, Department.name)
        .join(latest, latest.c.event_id == StatusEvent.id)
        .join(Submission, Submission.id == StatusEvent.submission_id)
        .outerjoin(Department, Department.id == Submission.department_id)
    ).all()
    return {
        event.submission_id: ReturnInfo(event.actor, name, event.created_at, _reason(event.note))
        for event, name in rows
    }


def routing_cards(limit: int = _LIST_LIMIT) -> list[RoutingCard]:
    """Cases awaiting 分派 with the classifier's top three and a department to preselect.

    The preselected department is the route of the most likely category, skipping the
    department that returned the case; without one nothing is preselected, so a hurried click
    cannot send a case to whichever department happens to be first in the list.
    """
    cases = cases_awaiting_routing(limit)
    routes: dict[str, tuple[str, str]] = {
        category: (code, name)
        for category, code, name in db.session.execute(
            select(CategoryRoute.category, Department.code, Department.name)
            .join(Department, Department.id == CategoryRoute.department_id)
            .where(Department.active.is_(True))
        ).tuples()
    }
    returns = return_info([c.id for c in cases if c.status == CaseStatus.RETURNED.value])
    cards = []
    for case in cases:
        top = _top3(case)
        suggestions = tuple(
            Suggestion(category, confidence, *routes.get(category, (None, None)))
            for category, confidence in top
        )
        returned = returns.get(case.id)
        returning = case.department.code if returned and case.department else None
        suggested = next(
            (s.department for s in suggestions if s.department and s.department != returning),
            None,
        )
        cards.append(RoutingCard(case, suggestions, suggested, returned))
    return cards


def _top3(case: Submission) -> list[tuple[str, float]]:
    analysis = case.analysis
    if analysis is None:
        return []
    stored: list[Any] = analysis.category_top3 or []
    top = [(str(label), float(p)) for label, p in stored][:3]
    if not top and analysis.category and analysis.category_confidence is not None:
        top = [(analysis.category, float(analysis.category_confidence))]
    return top


@dataclass(frozen=True)
class OfficeQueue:
    """Everything waiting for the office, by kind."""

    requests: list[Submission] = field(default_factory=list)  # 延期 / 转办
    redo: list[Submission] = field(default_factory=list)  # residents' 重办 requests
    returned: list[Submission] = field(default_factory=list)
    unrouted: list[Submission] = field(default_factory=list)
    held: list[RatingReview] = field(default_factory=list)
    returns: dict[int, ReturnInfo] = field(default_factory=dict)


def _pending_kind() -> Any:
    # JSON path, the same on PostgreSQL (->>) and SQLite (json_extract); a JSON null has none.
    return Submission.pending["kind"].as_string()


def _conditions() -> dict[str, Any]:
    return {
        "requests": _pending_kind().in_([k.value for k in PendingKind]),
        "redo": and_(
            Submission.redo_requested.is_(True),
            Submission.status == CaseStatus.FOLLOWED_UP.value,
        ),
        "returned": Submission.status == CaseStatus.RETURNED.value,
        "unrouted": and_(
            Submission.department_id.is_(None),
            Submission.routing == Routing.OFFICE_NEEDED.value,
            Submission.status != CaseStatus.RETURNED.value,
        ),
    }


def office_counts() -> dict[str, int]:
    """How many items of each kind wait for the office, and their total (for the navigation)."""
    counts = {
        name: int(db.session.scalar(select(func.count(Submission.id)).where(cond)) or 0)
        for name, cond in _conditions().items()
    }
    counts["held"] = int(
        db.session.scalar(select(func.count(RatingReview.id)).where(RatingReview.status == "held"))
        or 0
    )
    counts["total"] = sum(counts.values())
    return counts


def office_queue(limit: int = _LIST_LIMIT) -> OfficeQueue:
    """The items waiting for the office, oldest first in each kind."""
    lists = {
        name: list(
            db.session.scalars(
                select(Submission)
                .where(cond)
                .order_by(Submission.created_at, Submission.id)
                .limit(limit)
            )
        )
        for name, cond in _conditions().items()
    }
    held = list(
        db.session.scalars(
            select(RatingReview)
            .where(RatingReview.status == "held")
            .order_by(RatingReview.created_at, RatingReview.id)
            .limit(limit)
        )
    )
    returns = return_info([c.id for c in lists["returned"]])
    return OfficeQueue(held=held, returns=returns, **lists)
