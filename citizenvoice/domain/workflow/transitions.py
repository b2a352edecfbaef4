"""What each allowed action does to the case: new status, deadlines, flags, timeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from citizenvoice.domain.cases import (
    CaseSnapshot,
    CaseStatus,
    ClosureKind,
    PendingKind,
    PendingRequest,
    Satisfaction,
)
from citizenvoice.domain.localtime import local_time
from citizenvoice.domain.timelimits import (
    DEFAULT_SETTINGS,
    WorkflowSettings,
    extended_reply_due_at,
    reply_due_at,
    sign_due_at,
)
from citizenvoice.domain.workflow.model import (
    MAX_NOTE_LENGTH,
    NOTE_REQUIRED,
    Action,
    Actor,
    ActorRole,
    FollowUp,
    TimelineEvent,
    Transition,
    WorkflowError,
)
from citizenvoice.domain.workflow.rules import check

__all__ = ["apply", "new_case"]


def new_case(
    at: datetime,
    department: str | None = None,
    *,
    urgent: bool = False,
    complex_case: bool = False,
    settings: WorkflowSettings = DEFAULT_SETTINGS,
) -> CaseSnapshot:
    """The snapshot of a case received (受理) at ``at``.

    With a department (the resident chose it) the sign clock starts at once; without one the
    case waits for 分派 by the classifier or the office, and no department clock runs.
    """
    if department is None:
        return CaseSnapshot(urgent=urgent, complex=complex_case)
    local = settings.calendar.local(at)
    return CaseSnapshot(
        department=department,
        urgent=urgent,
        complex=complex_case,
        assigned_at=local,
        sign_due_at=sign_due_at(local, urgent=urgent, settings=settings),
    )


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
    days: int | None = None,
) -> Transition:
    """Take ``action`` on ``case`` or raise :class:`WorkflowError` with a Chinese message.

    ``note`` is the reason or progress note (required for :data:`NOTE_REQUIRED` actions, at
    most :data:`MAX_NOTE_LENGTH` characters); ``department`` is the target of 分派 and 申请转办;
    ``follow_up`` carries the resident's answers for 回访; ``days`` the working days a 申请延期
    asks for (1 to the configured extension, which is also the default). Returns the new
    snapshot (status, deadlines, flags) and the timeline events to append.
    """
    check(case, action, actor, at, settings)
    note = note.strip()
    if action in NOTE_REQUIRED and not note:
        raise WorkflowError(f"{action.label}须填写理由或说明", action)
    if len(note) > MAX_NOTE_LENGTH:
        raise WorkflowError(f"说明不能超过{MAX_NOTE_LENGTH}字", action)
    request = _Request(case, action, actor, settings.calendar.local(at), settings, note)
    if action is Action.REQUEST_EXTENSION:
        most = settings.extension_working_days
        asked = most if days is None else days
        if not 1 <= asked <= most:
            raise WorkflowError(f"延期天数须为 1 到 {most} 个工作日", action)
        return _request_extension(request, asked)
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
    # Beijing time whatever zone the moment carries: a value read back from the database is
    # UTC, and the note must show the same deadline as the case page.
    return local_time(moment) if moment is not None else "无"


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


def _request_extension(r: _Request, days: int) -> Transition:
    pending = PendingRequest(PendingKind.EXTENSION, r.at, r.note, days=days)
    return r.done(replace(r.case, pending=pending), f"申请延期{days}个工作日", r.reason)


def _approve_extension(r: _Request, _: str | None) -> Transition:
    assert r.case.reply_due_at is not None  # a working case has a reply deadline
    assert r.case.pending is not None  # guarded
    # The days asked for, within the maximum configured when the office decides.
    most = r.settings.extension_working_days
    days = min(r.case.pending.days or most, most)
    due = extended_reply_due_at(r.case.reply_due_at, r.settings, days)
    after = replace(
        r.case, reply_due_at=due, extensions_used=r.case.extensions_used + 1, pending=None
    )
    return r.done(after, f"同意延期{days}个工作日，答复时限延至{_when(due)}", r.remark)


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
        # apply() passes the days asked for; this entry keeps the table complete.
        Action.REQUEST_EXTENSION: lambda r, _: _request_extension(
            r, r.settings.extension_working_days
        ),
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
