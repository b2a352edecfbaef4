"""Taking workflow actions on stored cases: load the snapshot, apply the rules, store the result.

The rules live in citizenvoice.domain.workflow; this module only translates between the
``submission`` row and a ``CaseSnapshot``, writes the timeline, the reply and the follow-up,
and names who acted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select

from citizenvoice.domain.cases import (
    CaseSnapshot,
    CaseStatus,
    ClosureKind,
    PendingKind,
    PendingRequest,
)
from citizenvoice.domain.timelimits import DEFAULT_SETTINGS, WorkflowSettings
from citizenvoice.domain.workflow import (
    INTERNAL_ACTIONS,
    Action,
    Actor,
    ActorRole,
    FollowUp,
    Transition,
    WorkflowError,
    apply,
    check,
    is_public_action,
    new_case,
)
from citizenvoice.extensions import db
from citizenvoice.models import CaseReply, Department, StatusEvent, Submission, User
from citizenvoice.models import FollowUp as FollowUpRow
from citizenvoice.models.base import as_utc, utcnow
from citizenvoice.services.bulk import insert_rows, update_by_id
from citizenvoice.services.label_capture import capture_follow_up
from citizenvoice.services.notifications import record_transition

__all__ = [
    "INTERNAL_ACTIONS",
    "RESIDENT",
    "SYSTEM",
    "SystemActionBatch",
    "actor_for",
    "close_unanswered",
    "expire_cached",
    "perform",
    "snapshot_of",
    "start_case",
]

RESIDENT = Actor(ActorRole.RESIDENT, name="市民")
SYSTEM = Actor(ActorRole.SYSTEM, name="系统")


def actor_for(user: User) -> Actor:
    """The workflow actor for a signed-in staff account."""
    department = user.department.code if user.department else None
    return Actor.staff(user.role_enum, department, user.username)


def _code_of(case: Submission) -> str | None:
    return case.department.code if case.department else None


def snapshot_of(case: Submission) -> CaseSnapshot:
    """The workflow snapshot stored on a case row."""
    return _snapshot(case, _code_of(case))


def _snapshot(case: Any, department: str | None) -> CaseSnapshot:
    """The snapshot of a case given as its workflow columns and its department's code.

    ``case`` is anything with the submission's columns as attributes: an ORM object or a Core row.
    """
    pending = None
    if case.pending:
        pending = PendingRequest(
            kind=PendingKind(case.pending["kind"]),
            # JSON, not a UTCDateTime column: an old row may hold a naive (UTC) value
            requested_at=as_utc(datetime.fromisoformat(case.pending["requested_at"])),
            reason=case.pending.get("reason", ""),
            department=case.pending.get("department"),
            days=case.pending.get("days"),
        )
    return CaseSnapshot(
        status=CaseStatus(case.status),
        department=department,
        urgent=bool(case.urgent),
        complex=bool(case.is_complex),
        assigned_at=case.assigned_at,
        sign_due_at=case.sign_due_at,
        signed_at=case.signed_at,
        reply_started_at=case.reply_started_at,
        reply_due_at=case.reply_due_at,
        replied_at=case.replied_at,
        closed_at=case.closed_at,
        closure=ClosureKind(case.closure) if case.closure else None,
        pending=pending,
        extensions_used=case.extensions_used or 0,
        supervise_count=case.supervise_count or 0,
        reopen_count=case.reopen_count or 0,
        redo_requested=bool(case.redo_requested),
    )


def _state_values(snap: CaseSnapshot) -> dict[str, Any]:
    """The submission columns a snapshot sets, department aside (always the same keys)."""
    return {
        "status": snap.status.value,
        "urgent": snap.urgent,
        "is_complex": snap.complex,
        "assigned_at": snap.assigned_at,
        "sign_due_at": snap.sign_due_at,
        "signed_at": snap.signed_at,
        "reply_started_at": snap.reply_started_at,
        "reply_due_at": snap.reply_due_at,
        "replied_at": snap.replied_at,
        "closed_at": snap.closed_at,
        "closure": snap.closure.value if snap.closure else None,
        "pending": (
            {
                "kind": snap.pending.kind.value,
                "requested_at": snap.pending.requested_at.isoformat(),
                "reason": snap.pending.reason,
                "department": snap.pending.department,
                "days": snap.pending.days,
            }
            if snap.pending
            else None
        ),
        "extensions_used": snap.extensions_used,
        "supervise_count": snap.supervise_count,
        "reopen_count": snap.reopen_count,
        "redo_requested": snap.redo_requested,
    }


def _store(case: Submission, snap: CaseSnapshot) -> None:
    if snap.department != _code_of(case):
        case.department = (
            db.session.scalar(select(Department).where(Department.code == snap.department))
            if snap.department
            else None
        )
    for column, value in _state_values(snap).items():
        setattr(case, column, value)


def _event_values(transition: Transition, names: dict[str, str]) -> list[dict[str, Any]]:
    """The status_event columns of a transition's timeline events (department codes named)."""
    rows = []
    for event in transition.events:
        text = event.note
        for code in filter(
            None, (event.department, transition.before.department, transition.after.department)
        ):
            text = text.replace(code, names.get(code, code))
        rows.append(
            {
                "status": event.status.value,
                "action": event.action.value,
                "note": text,
                "actor": event.actor.name or event.actor.role.label,
                "public": is_public_action(event.action),
                "created_at": event.at,
            }
        )
    return rows


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
    days: int | None = None,
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
        days=days,
    )
    _store(case, transition.after)
    for values in _event_values(transition, _department_names()):
        case.events.append(StatusEvent(**values))
    if action is Action.REPLY:
        _add_reply(case, reply_body, author, reply_quality, moment)
    elif action is Action.FOLLOW_UP and follow_up is not None:
        _record_follow_up(case, follow_up, follow_up_rating, client_fingerprint, moment)
    elif action is Action.AUTO_CLOSE and _follow_up_row(case.id) is None:
        # A redone case left unanswered keeps the judgement of its earlier round.
        db.session.add(
            FollowUpRow(
                submission_id=case.id,
                department_id=case.department_id,
                no_response=True,
                created_at=moment,
            )
        )
    db.session.flush()
    # The one place a case changes state: the resident's messages are queued with the step.
    record_transition(case, action, transition, moment)
    return transition


def _add_reply(
    case: Submission,
    body: str | None,
    author: User | None,
    quality: dict[str, Any] | None,
    moment: datetime,
) -> None:
    """Store the reply a REPLY action sends, with its quality score."""
    db.session.add(
        CaseReply(
            submission_id=case.id,
            department_id=case.department_id,
            body=(body or "").strip(),
            author_id=author.id if author else None,
            quality_score=(quality or {}).get("score"),
            quality=quality or {},
            created_at=moment,
        )
    )


def _record_follow_up(
    case: Submission,
    follow_up: FollowUp,
    rating: int | None,
    client_fingerprint: str | None,
    moment: datetime,
) -> None:
    """Store the resident's judgement of a case.

    One judgement per case: after 重办 the resident judges the new reply, and that final
    judgement replaces the earlier round's (as hotlines record the outcome of a case).
    """
    values = {
        "department_id": case.department_id,
        "contacted": follow_up.contacted,
        "resolved": follow_up.resolved,
        "satisfaction": follow_up.satisfaction.value,
        "comment": follow_up.comment,
        "wants_redo": follow_up.wants_redo,
        "rating": rating,
        "client_fingerprint": client_fingerprint,
        "no_response": False,
        "created_at": moment,
    }
    earlier = _follow_up_row(case.id) if case.reopen_count else None
    if earlier is None:
        db.session.add(FollowUpRow(submission_id=case.id, **values))
    else:
        for column, value in values.items():
            setattr(earlier, column, value)
    capture_follow_up(case.id, follow_up.satisfaction.value, rating, follow_up.comment, moment)


def _follow_up_row(case_id: int) -> FollowUpRow | None:
    """The stored follow-up of a case (there is at most one)."""
    return db.session.scalar(select(FollowUpRow).where(FollowUpRow.submission_id == case_id))


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


class SystemActionBatch:
    """System actions on many stored cases with a constant number of statements.

    For jobs that act on a batch of cases (the analysis job's 分派 and 标记紧急): the rules
    are the same as ``perform``'s (``check`` then ``apply``, timeline notes with department
    names), but the cases are Core rows, the departments are read once, and ``write`` stores
    every changed case with one executemany UPDATE and every timeline event with one INSERT.
    Objects of these cases already in the session are expired by ``write``.
    """

    def __init__(
        self,
        actor: Actor = SYSTEM,
        *,
        at: datetime | None = None,
        settings: WorkflowSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.actor = actor
        self.at = at or utcnow()
        self.settings = settings
        departments = db.session.execute(
            select(Department.id, Department.code, Department.name)
        ).tuples()
        self._code_of: dict[int, str] = {}
        self._id_of: dict[str, int] = {}
        self._names: dict[str, str] = {}
        for department_id, code, name in departments:
            self._code_of[department_id], self._id_of[code] = code, department_id
            self._names[code] = name
        self._after: dict[int, CaseSnapshot] = {}
        self._events: list[dict[str, Any]] = []

    def department_code(self, department_id: int | None) -> str | None:
        """The code of a department id (None for none or an unknown id)."""
        return self._code_of.get(department_id) if department_id is not None else None

    def department_name(self, code: str) -> str:
        """The name of a department code."""
        return self._names.get(code, code)

    def snapshot(self, case: Any) -> CaseSnapshot:
        """The current snapshot of a case row (with this batch's earlier actions applied)."""
        return self._after.get(case.id) or _snapshot(case, self.department_code(case.department_id))

    def attempt(
        self, case: Any, action: Action, *, note: str = "", department: str | None = None
    ) -> Transition | None:
        """Take ``action`` if the rules allow it now; None (nothing recorded) if they do not.

        As ``perform`` after a successful ``check``: an invalid note or department still
        raises WorkflowError.
        """
        before = self.snapshot(case)
        try:
            check(before, action, self.actor, self.at, self.settings)
        except WorkflowError:
            return None
        transition = apply(
            before, action, self.actor, self.at, self.settings, note=note, department=department
        )
        self._after[case.id] = transition.after
        self._events.extend(
            {"submission_id": case.id, **values}
            for values in _event_values(transition, self._names)
        )
        return transition

    def write(self, also: Mapping[int, Mapping[str, Any]] | None = None) -> int:
        """Store the changed cases and their timeline events; returns how many cases changed.

        ``also`` gives other columns to set on cases in the same UPDATE (a case listed only
        there gets just those), so each row is written once: on PostgreSQL every new row
        version of ``submission`` costs an entry in each of its indexes. Rows with the same
        columns go in one executemany.
        """
        table = cast(Table, Submission.__table__)
        rows: dict[int, dict[str, Any]] = {
            case_id: dict(values) for case_id, values in (also or {}).items()
        }
        for case_id, snap in self._after.items():
            rows.setdefault(case_id, {}).update(
                department_id=self._id_of.get(snap.department) if snap.department else None,
                **_state_values(snap),
            )
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for case_id, values in rows.items():
            if values:
                by_columns.setdefault(tuple(values), []).append({"case_id": case_id, **values})
        for columns, params in by_columns.items():
            update_by_id(table, columns, params)
        if self._events:
            insert_rows(cast(Table, StatusEvent.__table__), self._events)
        expire_cached(Submission, rows)
        changed = len(self._after)
        self._after, self._events = {}, []
        return changed


def expire_cached(model: type[Any], ids: Iterable[int]) -> None:
    """Expire the session's objects of ``model`` with these primary keys (written with Core)."""
    if not db.session.identity_map:  # a worker's batch session holds no objects
        return
    for primary_key in ids:
        instance = db.session.identity_map.get(db.session.identity_key(model, primary_key))
        if instance is not None:
            db.session.expire(instance)
