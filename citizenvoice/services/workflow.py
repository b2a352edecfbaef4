"""Taking workflow actions on stored cases: load the snapshot, apply the rules, store the result.

The rules live in citizenvoice.domain.workflow; this module only translates between the
``submission`` row and a ``CaseSnapshot``, writes the timeline, the reply and the follow-up,
and names who acted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from citizenvoice.domain.cases import (
    CaseSnapshot,
    CaseStatus,
    ClosureKind,
    PendingKind,
    PendingRequest,
)
from citizenvoice.domain.timelimits import DEFAULT_SETTINGS, WorkflowSettings
from citizenvoice.domain.workflow import (
    Action,
    Actor,
    ActorRole,
    FollowUp,
    Transition,
    apply,
    new_case,
)
from citizenvoice.extensions import db
from citizenvoice.models import CaseReply, Department, StatusEvent, Submission, User
from citizenvoice.models import FollowUp as FollowUpRow
from citizenvoice.models.base import as_utc, utcnow

__all__ = [
    "INTERNAL_ACTIONS",
    "RESIDENT",
    "SYSTEM",
    "actor_for",
    "close_unanswered",
    "perform",
    "snapshot_of",
    "start_case",
]

RESIDENT = Actor(ActorRole.RESIDENT, name="市民")
SYSTEM = Actor(ActorRole.SYSTEM, name="系统")
# Coordination between a department and the office: kept off the resident's tracking page.
INTERNAL_ACTIONS = frozenset(
    {
        Action.ADD_NOTE,
        Action.RETURN,
        Action.REQUEST_TRANSFER,
        Action.REJECT_TRANSFER,
        Action.REQUEST_EXTENSION,
        Action.APPROVE_EXTENSION,
        Action.REJECT_EXTENSION,
        Action.MARK_COMPLEX,
        Action.MARK_URGENT,
        Action.SUPERVISE,
    }
)


def actor_for(user: User) -> Actor:
    """The workflow actor for a signed-in staff account."""
    department = user.department.code if user.department else None
    return Actor.staff(user.role_enum, department, user.username)


def _code_of(case: Submission) -> str | None:
    return case.department.code if case.department else None


def _aware(moment: datetime | None) -> datetime | None:
    """as_utc for the optional snapshot fields."""
    return as_utc(moment) if moment is not None else None


def snapshot_of(case: Submission) -> CaseSnapshot:
    """The workflow snapshot stored on a case row."""
    pending = None
    if case.pending:
        pending = PendingRequest(
            kind=PendingKind(case.pending["kind"]),
            requested_at=_aware(datetime.fromisoformat(case.pending["requested_at"])) or utcnow(),
            reason=case.pending.get("reason", ""),
            department=case.pending.get("department"),
        )
    return CaseSnapshot(
        status=CaseStatus(case.status),
        department=_code_of(case),
        urgent=bool(case.urgent),
        complex=bool(case.is_complex),
        assigned_at=_aware(case.assigned_at),
        sign_due_at=_aware(case.sign_due_at),
        signed_at=_aware(case.signed_at),
        reply_started_at=_aware(case.reply_started_at),
        reply_due_at=_aware(case.reply_due_at),
        replied_at=_aware(case.replied_at),
        closed_at=_aware(case.closed_at),
        closure=ClosureKind(case.closure) if case.closure else None,
        pending=pending,
        extensions_used=case.extensions_used or 0,
        supervise_count=case.supervise_count or 0,
        reopen_count=case.reopen_count or 0,
        redo_requested=bool(case.redo_requested),
    )


def _store(case: Submission, snap: CaseSnapshot) -> None:
    if snap.department != _code_of(case):
        case.department = (
            db.session.scalar(select(Department).where(Department.code == snap.department))
            if snap.department
            else None
        )
    case.status = snap.status.value
    case.urgent, case.is_complex = snap.urgent, snap.complex
    case.assigned_at, case.sign_due_at, case.signed_at = (
        snap.assigned_at,
        snap.sign_due_at,
        snap.signed_at,
    )
    case.reply_started_at, case.reply_due_at = snap.reply_started_at, snap.reply_due_at
    case.replied_at, case.closed_at = snap.replied_at, snap.closed_at
    case.closure = snap.closure.value if snap.closure else None
    case.pending = (
        {
            "kind": snap.pending.kind.value,
            "requested_at": snap.pending.requested_at.isoformat(),
            "reason": snap.pending.reason,
            "department": snap.pending.department,
        }
        if snap.pending
        else None
    )
    case.extensions_used, case.supervise_count = snap.extensions_used, snap.supervise_count
    case.reopen_count, case.redo_requested = snap.reopen_count, snap.redo_requested


def _department_names() -> dict[str, str]:
    return dict(db.session.execute(select(Department.code, Department.name)).tuples().all())


def start_case(
    case: Submission, at: datetime, settings: WorkflowSettings = DEFAULT_SETTINGS
) -> None:
    """Set a new case's workflow state; the sign clock runs if the resident chose a department."""
    _store(case, new_case(at, _code_of(case), settings=settings))


def perform(
    case: Submission,
    action: Action,
    actor: Actor,
    *,
    at: datetime | None = None,
    note: str = "",
    department: str | None = None,
    follow_up: FollowUp | None = None,
    reply_body: str | None = None,
    author: User | None = None,
    reply_quality: dict[str, Any] | None = None,
    client_fingerprint: str | None = None,
    follow_up_rating: int | None = None,
    settings: WorkflowSettings = DEFAULT_SETTINGS,
) -> Transition:
    """Apply one action to a stored case and record its effects. Raises WorkflowError. Flushes."""
    moment = at or utcnow()
    transition = apply(
        snapshot_of(case),
        action,
        actor,
        moment,
        settings,
        note=note,
        department=department,
        follow_up=follow_up,
    )
    _store(case, transition.after)
    names = _department_names()
    for event in transition.events:
        text = event.note
        for code in filter(
            None, (event.department, transition.before.department, transition.after.department)
        ):
            text = text.replace(code, names.get(code, code))
        case.events.append(
            StatusEvent(
                status=event.status.value,
                action=event.action.value,
                note=text,
                actor=event.actor.name or event.actor.role.label,
                public=event.action not in INTERNAL_ACTIONS,
                created_at=event.at,
            )
        )
    if action is Action.REPLY:
        db.session.add(
            CaseReply(
                submission_id=case.id,
                department_id=case.department_id,
                body=(reply_body or "").strip(),
                author_id=author.id if author else None,
                quality_score=(reply_quality or {}).get("score"),
                quality=reply_quality or {},
            )
        )
    elif action is Action.FOLLOW_UP and follow_up is not None:
        db.session.add(
            FollowUpRow(
                submission_id=case.id,
                department_id=case.department_id,
                contacted=follow_up.contacted,
                resolved=follow_up.resolved,
                satisfaction=follow_up.satisfaction.value,
                comment=follow_up.comment,
                wants_redo=follow_up.wants_redo,
                rating=follow_up_rating,
                client_fingerprint=client_fingerprint,
            )
        )
    elif action is Action.AUTO_CLOSE:
        db.session.add(
            FollowUpRow(submission_id=case.id, department_id=case.department_id, no_response=True)
        )
    db.session.flush()
    return transition


def close_unanswered(
    now: datetime | None = None, settings: WorkflowSettings = DEFAULT_SETTINGS
) -> list[int]:
    """Auto-close replied cases whose follow-up window passed ("no response"). Flushes."""
    from citizenvoice.domain.timelimits import follow_up_due_at

    moment = now or utcnow()
    closed = []
    for case in db.session.scalars(
        select(Submission)
        .where(Submission.status == CaseStatus.REPLIED.value)
        .with_for_update(skip_locked=True)
    ):
        due = follow_up_due_at(snapshot_of(case), settings)
        if due is not None and moment >= due:
            perform(case, Action.AUTO_CLOSE, SYSTEM, at=moment, settings=settings)
            closed.append(case.id)
    return closed
