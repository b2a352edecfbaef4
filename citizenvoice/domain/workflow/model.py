"""The workflow's vocabulary: actors, actions, follow-up answers, events and transitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.cases import CaseSnapshot, CaseStatus, Satisfaction

__all__ = [
    "INTERNAL_ACTIONS",
    "MAX_NOTE_LENGTH",
    "NOTE_REQUIRED",
    "Action",
    "Actor",
    "ActorRole",
    "FollowUp",
    "TimelineEvent",
    "Transition",
    "WorkflowError",
    "is_public_action",
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

#: Coordination between a department and the office: notes, 退单 / 转办 / 延期 requests and
#: decisions, 督办, complexity and urgency. Their events stay inside the workspace; the
#: resident's tracking page and the public API never show them (nor their reasons).
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


def is_public_action(action: str | None) -> bool:
    """Whether a timeline event made by ``action`` may be shown to the resident and the public.

    ``None`` is the intake event (诉求已受理), which no workflow action makes. An action name
    this code does not know is treated as internal: showing too little is the safe side.
    """
    if action is None:
        return True
    try:
        return Action(action) not in INTERNAL_ACTIONS
    except ValueError:
        return False


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
