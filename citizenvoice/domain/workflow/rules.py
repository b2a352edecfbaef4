"""The permission table and per-action guards: who may take which action, when."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from citizenvoice.domain.cases import CaseSnapshot, CaseStatus, PendingKind
from citizenvoice.domain.timelimits import (
    DEFAULT_SETTINGS,
    WorkflowSettings,
    follow_up_due_at,
    is_overdue,
)
from citizenvoice.domain.workflow.model import Action, Actor, ActorRole, WorkflowError

__all__ = ["RULES", "Rule", "action_availability", "allowed_actions", "check"]


@dataclass(frozen=True)
class Rule:
    """Which roles may take an action, from which statuses, and on whose cases."""

    roles: frozenset[ActorRole]
    statuses: frozenset[CaseStatus]
    own_department: bool = False


_S = CaseStatus
_R = ActorRole
_DEPARTMENT = frozenset({_R.DEPARTMENT_STAFF, _R.DEPARTMENT_ADMIN})
_ADMIN = frozenset({_R.DEPARTMENT_ADMIN})
_OFFICE = frozenset({_R.OFFICE})
_WORKING = frozenset({_S.SIGNED, _S.IN_PROGRESS})
_OPEN = frozenset({_S.RECEIVED, _S.SIGNED, _S.IN_PROGRESS})

#: The permission table: role x status per action. Guards add the finer conditions.
RULES: Mapping[Action, Rule] = MappingProxyType(
    {
        Action.ASSIGN: Rule(_OFFICE | {_R.SYSTEM}, frozenset({_S.RECEIVED, _S.RETURNED})),
        Action.SIGN: Rule(_DEPARTMENT, frozenset({_S.RECEIVED}), own_department=True),
        Action.ADD_NOTE: Rule(_DEPARTMENT, _WORKING, own_department=True),
        Action.REPLY: Rule(_DEPARTMENT, _WORKING, own_department=True),
        Action.RETURN: Rule(_ADMIN, frozenset({_S.RECEIVED, _S.SIGNED}), own_department=True),
        Action.REQUEST_TRANSFER: Rule(_ADMIN, _WORKING, own_department=True),
        Action.APPROVE_TRANSFER: Rule(_OFFICE, _WORKING),
        Action.REJECT_TRANSFER: Rule(_OFFICE, _WORKING),
        Action.REQUEST_EXTENSION: Rule(_ADMIN, _WORKING, own_department=True),
        Action.APPROVE_EXTENSION: Rule(_OFFICE, _WORKING),
        Action.REJECT_EXTENSION: Rule(_OFFICE, _WORKING),
        Action.MARK_COMPLEX: Rule(_OFFICE, _OPEN),
        Action.MARK_URGENT: Rule(_OFFICE | {_R.SYSTEM}, _OPEN),
        Action.SUPERVISE: Rule(_OFFICE, _OPEN),
        Action.FOLLOW_UP: Rule(frozenset({_R.RESIDENT}), frozenset({_S.REPLIED})),
        Action.REOPEN: Rule(_OFFICE, frozenset({_S.FOLLOWED_UP})),
        Action.CLOSE: Rule(_OFFICE, frozenset({_S.FOLLOWED_UP})),
        Action.AUTO_CLOSE: Rule(frozenset({_R.SYSTEM}), frozenset({_S.REPLIED})),
    }
)

_Guard = Callable[[CaseSnapshot, Actor, datetime, WorkflowSettings], str | None]


def _no_pending(case: CaseSnapshot, *_: object) -> str | None:
    if case.pending is not None:
        return f"已有待绩效办审批的{case.pending.kind.label}，请等待审批结果"
    return None


def _pending(kind: PendingKind) -> _Guard:
    def guard(case: CaseSnapshot, *_: object) -> str | None:
        if case.pending is None or case.pending.kind is not kind:
            return f"该诉求没有待审批的{kind.label}"
        return None

    return guard


def _guard_assign(case: CaseSnapshot, actor: Actor, *_: object) -> str | None:
    if actor.role is ActorRole.SYSTEM and (
        case.status is not CaseStatus.RECEIVED or case.department is not None
    ):
        return "系统只能分派尚未分派的诉求，改派须由绩效办办理"
    return None


def _guard_extension(
    case: CaseSnapshot, actor: Actor, at: datetime, settings: WorkflowSettings
) -> str | None:
    if (message := _no_pending(case)) is not None:
        return message
    if case.extensions_used >= settings.max_extensions:
        limit = settings.max_extensions
        return f"每轮办理最多延期{limit}次，已用完；如确属复杂，请联系绩效办认定为复杂件"
    if case.reply_due_at is not None and at > case.reply_due_at:
        return "已超过答复时限，不能再申请延期"
    return None


def _guard_supervise(case: CaseSnapshot, actor: Actor, at: datetime, *_: object) -> str | None:
    if not is_overdue(case, at):
        return "只有超期的诉求才能督办"
    return None


def _guard_auto_close(
    case: CaseSnapshot, actor: Actor, at: datetime, settings: WorkflowSettings
) -> str | None:
    due = follow_up_due_at(case, settings)
    if due is None or at < due:
        return "回访期限未到，不能自动办结"
    return None


_GUARDS: Mapping[Action, _Guard] = MappingProxyType(
    {
        Action.ASSIGN: _guard_assign,
        Action.RETURN: _no_pending,
        Action.REQUEST_TRANSFER: _no_pending,
        Action.APPROVE_TRANSFER: _pending(PendingKind.TRANSFER),
        Action.REJECT_TRANSFER: _pending(PendingKind.TRANSFER),
        Action.REQUEST_EXTENSION: _guard_extension,
        Action.APPROVE_EXTENSION: _pending(PendingKind.EXTENSION),
        Action.REJECT_EXTENSION: _pending(PendingKind.EXTENSION),
        Action.MARK_COMPLEX: lambda case, *_: "该诉求已是复杂件" if case.complex else None,
        Action.MARK_URGENT: lambda case, *_: "该诉求已是紧急件" if case.urgent else None,
        Action.SUPERVISE: _guard_supervise,
        Action.AUTO_CLOSE: _guard_auto_close,
    }
)


def check(
    case: CaseSnapshot,
    action: Action,
    actor: Actor,
    at: datetime,
    settings: WorkflowSettings = DEFAULT_SETTINGS,
) -> None:
    """Raise :class:`WorkflowError` unless ``actor`` may take ``action`` on ``case`` at ``at``.

    Checks role, then department, then status, then the action's own conditions; input such
    as a reason is checked by :func:`apply`.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    rule = RULES[action]
    if actor.role not in rule.roles:
        raise WorkflowError(f"{actor.role.label}无权{action.label}", action)
    if rule.own_department and case.department != actor.department:
        raise WorkflowError("只能处理本部门的诉求", action)
    if case.status not in rule.statuses:
        raise WorkflowError(f"诉求当前状态为「{case.status.label}」，不能{action.label}", action)
    guard = _GUARDS.get(action)
    message = guard(case, actor, at, settings) if guard is not None else None
    if message is not None:
        raise WorkflowError(message, action)


def allowed_actions(
    case: CaseSnapshot,
    actor: Actor,
    at: datetime,
    settings: WorkflowSettings = DEFAULT_SETTINGS,
) -> list[Action]:
    """The actions ``actor`` may take on ``case`` at ``at``, in a stable order (for buttons)."""
    allowed = []
    for action in Action:
        try:
            check(case, action, actor, at, settings)
        except WorkflowError:
            continue
        allowed.append(action)
    return allowed


# Actions taken on their own path (the reply form, the resident's page, jobs): never buttons.
_NOT_BUTTONS = frozenset({Action.REPLY, Action.FOLLOW_UP, Action.AUTO_CLOSE})
_SIDES = (_DEPARTMENT, _OFFICE)


def action_availability(
    case: CaseSnapshot,
    actor: Actor,
    at: datetime,
    settings: WorkflowSettings = DEFAULT_SETTINGS,
) -> list[tuple[Action, str | None]]:
    """The buttons to show: each action with None when allowed, else why it is not.

    Besides the allowed actions, lists those of the actor's own side (department or office)
    that the case's status calls for but the actor may not take now, so a member of staff sees
    that 退单 exists and needs a department admin instead of wondering where it is.
    """
    side = next((roles for roles in _SIDES if actor.role in roles), frozenset({actor.role}))
    shown: list[tuple[Action, str | None]] = []
    for action in Action:
        if action in _NOT_BUTTONS:
            continue
        rule = RULES[action]
        try:
            check(case, action, actor, at, settings)
        except WorkflowError as exc:
            if not (rule.roles & side) or case.status not in rule.statuses:
                continue
            if rule.own_department and case.department != actor.department:
                continue
            if actor.role not in rule.roles:
                who = "、".join(role.label for role in ActorRole if role in rule.roles)
                shown.append((action, f"需由{who}操作"))
            else:
                shown.append((action, exc.message))
            continue
        shown.append((action, None))
    return shown
