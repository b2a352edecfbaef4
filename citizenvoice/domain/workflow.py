"""Who may do what to a case, and what it does: the one home of the workflow rules.

The flow (12345 practice)::

    受理 received --签收--> signed --办理--> in_progress --答复--> replied --回访--> closed
                                                                 `--(不满意)--> followed_up
    followed_up --重办--> in_progress (new reply round)     followed_up --办结--> closed
    replied --(no follow-up within the window, system)--> closed as "no response"
    received/signed --退单 (department admin, reason)--> returned --分派 (office)--> received

转办 and 延期 are requests, not statuses: the department admin asks, the case keeps its status
and the department keeps working (its clock runs) until the office approves or rejects.
An approved 转办 hands the case to the new department as a fresh 受理 with a new sign clock; an
approved 延期 moves the reply deadline (see :mod:`citizenvoice.domain.timelimits`). 督办 is a
counter the office raises on an overdue case. A satisfied or basically satisfied follow-up
closes the case at once; a dissatisfied one waits (已回访) for the office to 重办 or 办结.

Roles: department staff sign, record progress and reply; the department admin also returns
cases and asks for transfers and extensions (requests that go to the office carry the
department's authority); the office routes, decides requests, marks cases complex or urgent,
supervises, reopens and closes; residents give the follow-up; the system (jobs) routes new
cases, marks urgency and closes unanswered follow-ups. The system administrator manages
accounts and configuration and takes no part in cases, so every case action has an
accountable business owner.

:func:`apply` checks and performs one action; :func:`allowed_actions` lists the buttons to show.
Both use the same checks (:data:`RULES` plus per-action guards), so a button is shown exactly
when pressing it would succeed (given valid input such as a reason).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.cases import (
    CaseSnapshot,
    CaseStatus,
    ClosureKind,
    PendingKind,
    PendingRequest,
    Satisfaction,
)
from citizenvoice.domain.timelimits import (
    DEFAULT_SETTINGS,
    WorkflowSettings,
    extended_reply_due_at,
    follow_up_due_at,
    is_overdue,
    reply_due_at,
    sign_due_at,
)

__all__ = [
    "MAX_NOTE_LENGTH",
    "NOTE_REQUIRED",
    "RULES",
    "Action",
    "Actor",
    "ActorRole",
    "FollowUp",
    "Rule",
    "TimelineEvent",
    "Transition",
    "WorkflowError",
    "allowed_actions",
    "apply",
    "check",
]

# Reasons and progress notes are short statements, not the reply itself (the reply text is
# stored by the reply service); 500 characters fit a paragraph and keep the timeline readable.
MAX_NOTE_LENGTH = 500


class ActorRole(StrEnum):
    """Who acts on a case: the staff roles, the resident (tracking code) and the system (jobs).

    The staff values are those of :class:`~citizenvoice.domain.accounts.Role`.
    """

    DEPARTMENT_STAFF = Role.DEPARTMENT_STAFF.value
    DEPARTMENT_ADMIN = Role.DEPARTMENT_ADMIN.value
    OFFICE = Role.OFFICE.value
    SYSTEM_ADMIN = Role.SYSTEM_ADMIN.value
    RESIDENT = "resident"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        """The Chinese name of the role."""
        if self is ActorRole.RESIDENT:
            return "市民"
        if self is ActorRole.SYSTEM:
            return "系统"
        return Role(self.value).label

    @property
    def is_department(self) -> bool:
        """Department roles act only on their own department's cases."""
        return self in (ActorRole.DEPARTMENT_STAFF, ActorRole.DEPARTMENT_ADMIN)


@dataclass(frozen=True)
class Actor:
    """Someone acting on a case; department roles carry their department code."""

    role: ActorRole
    department: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        """Department roles belong to exactly one department; others to none."""
        if self.role.is_department != (self.department is not None):
            raise ValueError(f"{self.role}: department must be set exactly for department roles")

    @classmethod
    def staff(cls, role: Role, department: str | None = None, name: str = "") -> Actor:
        """The actor for a logged-in staff account."""
        return cls(ActorRole(role.value), department if role.needs_department else None, name)


class Action(StrEnum):
    """Everything that can be done to a case."""

    ASSIGN = "assign"
    SIGN = "sign"
    ADD_NOTE = "add_note"
    REPLY = "reply"
    RETURN = "return"
    REQUEST_TRANSFER = "request_transfer"
    APPROVE_TRANSFER = "approve_transfer"
    REJECT_TRANSFER = "reject_transfer"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REJECT_EXTENSION = "reject_extension"
    MARK_COMPLEX = "mark_complex"
    MARK_URGENT = "mark_urgent"
    SUPERVISE = "supervise"
    FOLLOW_UP = "follow_up"
    REOPEN = "reopen"
    CLOSE = "close"
    AUTO_CLOSE = "auto_close"

    @property
    def label(self) -> str:
        """The Chinese name, used on buttons and in the timeline."""
        return _ACTION_LABELS[self]


_ACTION_LABELS: dict[Action, str] = {
    Action.ASSIGN: "分派",
    Action.SIGN: "签收",
    Action.ADD_NOTE: "记录办理情况",
    Action.REPLY: "答复",
    Action.RETURN: "退单",
    Action.REQUEST_TRANSFER: "申请转办",
    Action.APPROVE_TRANSFER: "同意转办",
    Action.REJECT_TRANSFER: "驳回转办",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "同意延期",
    Action.REJECT_EXTENSION: "驳回延期",
    Action.MARK_COMPLEX: "认定为复杂件",
    Action.MARK_URGENT: "标记为紧急件",
    Action.SUPERVISE: "督办",
    Action.FOLLOW_UP: "回访",
    Action.REOPEN: "重办",
    Action.CLOSE: "办结",
    Action.AUTO_CLOSE: "自动办结",
}

#: Actions that need a non-empty ``note`` (the reason or the progress recorded).
NOTE_REQUIRED = frozenset(
    {
        Action.ADD_NOTE,
        Action.RETURN,
        Action.REQUEST_TRANSFER,
        Action.REJECT_TRANSFER,
        Action.REQUEST_EXTENSION,
        Action.REJECT_EXTENSION,
        Action.CLOSE,
    }
)


class WorkflowError(ValueError):
    """An action that is not allowed, with a Chinese message fit to show the user."""

    def __init__(self, message: str, action: Action | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action


@dataclass(frozen=True)
class FollowUp:
    """The resident's answers to the follow-up (回访)."""

    contacted: bool
    resolved: bool
    satisfaction: Satisfaction
    wants_redo: bool = False
    comment: str = ""

    def __post_init__(self) -> None:
        """Only a dissatisfied resident can ask for 重办; the comment is a short text."""
        if self.wants_redo and self.satisfaction is not Satisfaction.DISSATISFIED:
            raise WorkflowError("只有不满意时才能申请重办", Action.FOLLOW_UP)
        object.__setattr__(self, "comment", self.comment.strip())
        if len(self.comment) > MAX_NOTE_LENGTH:
            raise WorkflowError(f"评价意见不能超过{MAX_NOTE_LENGTH}字", Action.FOLLOW_UP)


@dataclass(frozen=True)
class TimelineEvent:
    """One line of the case timeline: what was done, by whom, when, with a Chinese note."""

    action: Action
    status: CaseStatus
    actor: Actor
    at: datetime
    note: str
    department: str | None = None

    @property
    def label(self) -> str:
        """The Chinese name of the action."""
        return self.action.label


@dataclass(frozen=True)
class Transition:
    """The result of an action: the case before and after, and the timeline events to add.

    ``after`` carries the new status and deadlines; services copy it onto the stored case.
    """

    before: CaseSnapshot
    after: CaseSnapshot
    events: tuple[TimelineEvent, ...]

    @property
    def status_changed(self) -> bool:
        """Whether the action moved the case to another status."""
        return self.before.status is not self.after.status


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


def apply(
    case: CaseSnapshot,
    action: Action,
    actor: Actor,
    at: datetime,
    settings: WorkflowSettings = DEFAULT_SETTINGS,
    *,
    note: str = "",
    department: str | None = None,
    follow_up: FollowUp | None = None,
) -> Transition:
    """Take ``action`` on ``case`` or raise :class:`WorkflowError` with a Chinese message.

    ``note`` is the reason or progress note (required for :data:`NOTE_REQUIRED` actions, at
    most :data:`MAX_NOTE_LENGTH` characters); ``department`` is the target of 分派 and 申请转办;
    ``follow_up`` carries the resident's answers for 回访. Returns the new snapshot (status,
    deadlines, flags) and the timeline events to append.
    """
    check(case, action, actor, at, settings)
    note = note.strip()
    if action in NOTE_REQUIRED and not note:
        raise WorkflowError(f"{action.label}须填写理由或说明", action)
    if len(note) > MAX_NOTE_LENGTH:
        raise WorkflowError(f"说明不能超过{MAX_NOTE_LENGTH}字", action)
    request = _Request(case, action, actor, settings.calendar.local(at), settings, note)
    if action in (Action.ASSIGN, Action.REQUEST_TRANSFER):
        department = (department or "").strip() or None
        if department is None:
            raise WorkflowError("请选择部门", action)
        if department == case.department and (
            action is Action.REQUEST_TRANSFER or case.status is CaseStatus.RECEIVED
        ):
            raise WorkflowError("诉求已在该部门，请选择其他部门", action)
        return _EFFECTS[action](request, department)
    if action is Action.FOLLOW_UP:
        if follow_up is None:
            raise WorkflowError("请填写回访结果", action)
        return _follow_up(request, follow_up)
    return _EFFECTS[action](request, None)


@dataclass(frozen=True)
class _Request:
    case: CaseSnapshot
    action: Action
    actor: Actor
    at: datetime
    settings: WorkflowSettings
    note: str

    @property
    def reason(self) -> str:
        """The user's note as a reason line of the timeline."""
        return f"理由：{self.note}" if self.note else ""

    @property
    def remark(self) -> str:
        """The user's optional note as a remark line of the timeline."""
        return f"备注：{self.note}" if self.note else ""

    def done(self, after: CaseSnapshot, *parts: str, department: str | None = None) -> Transition:
        """The transition to ``after`` with one event whose note joins the non-empty ``parts``."""
        text = "；".join(part for part in parts if part)
        event = TimelineEvent(self.action, after.status, self.actor, self.at, text, department)
        return Transition(self.case, after, (event,))


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "无"


def _hand_over(r: _Request, department: str) -> CaseSnapshot:
    """The case as a fresh 受理 at ``department``: new sign clock, no reply round yet."""
    return replace(
        r.case,
        status=CaseStatus.RECEIVED,
        department=department,
        assigned_at=r.at,
        sign_due_at=sign_due_at(r.at, urgent=r.case.urgent, settings=r.settings),
        signed_at=None,
        reply_started_at=None,
        reply_due_at=None,
        replied_at=None,
        pending=None,
        extensions_used=0,
    )


def _assign(r: _Request, department: str | None) -> Transition:
    assert department is not None  # checked by apply
    after = _hand_over(r, department)
    return r.done(
        after,
        f"已分派至{department}，签收时限：{_when(after.sign_due_at)}",
        r.remark,
        department=department,
    )


def _sign(r: _Request, _: str | None) -> Transition:
    due = reply_due_at(r.at, complex_case=r.case.complex, settings=r.settings)
    after = replace(
        r.case, status=CaseStatus.SIGNED, signed_at=r.at, reply_started_at=r.at, reply_due_at=due
    )
    return r.done(after, f"已签收，答复时限：{_when(due)}", r.remark)


def _add_note(r: _Request, _: str | None) -> Transition:
    return r.done(replace(r.case, status=CaseStatus.IN_PROGRESS), r.note)


def _reply(r: _Request, _: str | None) -> Transition:
    after = replace(r.case, status=CaseStatus.REPLIED, replied_at=r.at, pending=None)
    withdrawn = f"待审批的{r.case.pending.kind.label}随答复撤回" if r.case.pending else ""
    return r.done(after, "已答复，等待市民回访", withdrawn, r.remark)


def _return(r: _Request, _: str | None) -> Transition:
    after = replace(r.case, status=CaseStatus.RETURNED, pending=None)
    return r.done(after, "已退回绩效办重新分派", r.reason)


def _request_transfer(r: _Request, department: str | None) -> Transition:
    pending = PendingRequest(PendingKind.TRANSFER, r.at, r.note, department)
    return r.done(
        replace(r.case, pending=pending), f"申请转办至{department}", r.reason, department=department
    )


def _approve_transfer(r: _Request, _: str | None) -> Transition:
    assert r.case.pending is not None and r.case.pending.department is not None  # guarded
    target = r.case.pending.department
    after = _hand_over(r, target)
    return r.done(
        after,
        f"同意转办至{target}，签收时限：{_when(after.sign_due_at)}",
        r.remark,
        department=target,
    )


def _reject(r: _Request, _: str | None) -> Transition:
    assert r.case.pending is not None  # guarded
    return r.done(replace(r.case, pending=None), f"驳回{r.case.pending.kind.label}", r.reason)


def _request_extension(r: _Request, _: str | None) -> Transition:
    pending = PendingRequest(PendingKind.EXTENSION, r.at, r.note)
    days = r.settings.extension_working_days
    return r.done(replace(r.case, pending=pending), f"申请延期{days}个工作日", r.reason)


def _approve_extension(r: _Request, _: str | None) -> Transition:
    assert r.case.reply_due_at is not None  # a working case has a reply deadline
    due = extended_reply_due_at(r.case.reply_due_at, r.settings)
    after = replace(
        r.case, reply_due_at=due, extensions_used=r.case.extensions_used + 1, pending=None
    )
    return r.done(after, f"同意延期，答复时限延至{_when(due)}", r.remark)


def _mark_complex(r: _Request, _: str | None) -> Transition:
    case, due = r.case, r.case.reply_due_at
    if case.reply_started_at is not None:
        longer = reply_due_at(case.reply_started_at, complex_case=True, settings=r.settings)
        due = max(due, longer) if due is not None else longer
    after = replace(case, complex=True, reply_due_at=due)
    text = f"认定为复杂件，答复时限：{_when(due)}" if due else "认定为复杂件"
    return r.done(after, text, r.remark)


def _mark_urgent(r: _Request, _: str | None) -> Transition:
    case, due = r.case, r.case.sign_due_at
    if case.status is CaseStatus.RECEIVED and case.department is not None:
        # Counted from now, not from the assignment: nobody knew it was urgent before.
        urgent_due = sign_due_at(r.at, urgent=True, settings=r.settings)
        due = min(due, urgent_due) if due is not None else urgent_due
    after = replace(case, urgent=True, sign_due_at=due)
    if case.status is CaseStatus.RECEIVED and due is not None:
        return r.done(after, f"标记为紧急件，签收时限：{_when(due)}", r.remark)
    return r.done(after, "标记为紧急件", r.remark)


def _supervise(r: _Request, _: str | None) -> Transition:
    count = r.case.supervise_count + 1
    return r.done(replace(r.case, supervise_count=count), f"超期督办（第{count}次）", r.remark)


def _reopen(r: _Request, _: str | None) -> Transition:
    due = reply_due_at(r.at, complex_case=r.case.complex, settings=r.settings)
    after = replace(
        r.case,
        status=CaseStatus.IN_PROGRESS,
        reply_started_at=r.at,
        reply_due_at=due,
        replied_at=None,
        extensions_used=0,
        reopen_count=r.case.reopen_count + 1,
        redo_requested=False,
    )
    return r.done(after, f"重办（第{after.reopen_count}次），答复时限：{_when(due)}", r.remark)


def _close(r: _Request, _: str | None) -> Transition:
    after = replace(r.case, status=CaseStatus.CLOSED, closed_at=r.at, closure=ClosureKind.OFFICE)
    return r.done(after, ClosureKind.OFFICE.label, r.reason)


def _auto_close(r: _Request, _: str | None) -> Transition:
    after = replace(
        r.case, status=CaseStatus.CLOSED, closed_at=r.at, closure=ClosureKind.NO_RESPONSE
    )
    return r.done(after, "回访期限内市民未评价，自动办结", r.remark)


def _follow_up(r: _Request, answers: FollowUp) -> Transition:
    summary = "；".join(
        (
            f"是否联系：{'是' if answers.contacted else '否'}",
            f"是否解决：{'是' if answers.resolved else '否'}",
            f"满意度：{answers.satisfaction.label}",
        )
    )
    comment = f"市民意见：{answers.comment}" if answers.comment else ""
    if answers.satisfaction is Satisfaction.DISSATISFIED:
        after = replace(r.case, status=CaseStatus.FOLLOWED_UP, redo_requested=answers.wants_redo)
        redo = "市民申请重办" if answers.wants_redo else ""
        return r.done(after, summary, redo, comment)
    closed = replace(
        r.case, status=CaseStatus.CLOSED, closed_at=r.at, closure=ClosureKind.FOLLOWED_UP
    )
    followed = TimelineEvent(
        Action.FOLLOW_UP,
        CaseStatus.FOLLOWED_UP,
        r.actor,
        r.at,
        "；".join(part for part in (summary, comment) if part),
    )
    close = TimelineEvent(
        Action.CLOSE, CaseStatus.CLOSED, _SYSTEM, r.at, ClosureKind.FOLLOWED_UP.label
    )
    return Transition(r.case, closed, (followed, close))


# The closing that follows a satisfied follow-up is the rule's doing, not the resident's.
_SYSTEM = Actor(ActorRole.SYSTEM)

_EFFECTS: Mapping[Action, Callable[[_Request, str | None], Transition]] = MappingProxyType(
    {
        Action.ASSIGN: _assign,
        Action.SIGN: _sign,
        Action.ADD_NOTE: _add_note,
        Action.REPLY: _reply,
        Action.RETURN: _return,
        Action.REQUEST_TRANSFER: _request_transfer,
        Action.APPROVE_TRANSFER: _approve_transfer,
        Action.REJECT_TRANSFER: _reject,
        Action.REQUEST_EXTENSION: _request_extension,
        Action.APPROVE_EXTENSION: _approve_extension,
        Action.REJECT_EXTENSION: _reject,
        Action.MARK_COMPLEX: _mark_complex,
        Action.MARK_URGENT: _mark_urgent,
        Action.SUPERVISE: _supervise,
        Action.REOPEN: _reopen,
        Action.CLOSE: _close,
        Action.AUTO_CLOSE: _auto_close,
    }
)
