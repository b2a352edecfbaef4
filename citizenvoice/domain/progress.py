"""What a resident is told on the tracking page: the deadline that runs now and who acts next.

Pure rules over a case's stored state (see :mod:`citizenvoice.domain.cases`); the tracking
page and anything else that explains a case to a resident take their wording from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from citizenvoice.domain.cases import CaseStatus, PendingKind

__all__ = ["REDO_EXPLANATION", "Deadline", "NextStep", "current_deadline", "next_step"]

#: What happens after 申请重办, said before the resident asks and again after.
REDO_EXPLANATION = (
    "申请重办后，由市绩效办审核您的申请；同意重办的，诉求退回承办部门重新办理，"
    "并重新计算答复期限，办理结果会在本页更新。"
)


@dataclass(frozen=True)
class Deadline:
    """The deadline running on a case now, as a resident reads it."""

    label: str
    due: datetime
    extended: bool = False


@dataclass(frozen=True)
class NextStep:
    """Who acts next on a case, and what the resident can expect."""

    actor: str
    text: str


def current_deadline(
    status: CaseStatus,
    *,
    sign_due_at: datetime | None,
    reply_due_at: datetime | None,
    extensions_used: int = 0,
) -> Deadline | None:
    """The deadline that runs in ``status``, or None when no department clock runs.

    Deadlines are stored and an approved extension moves ``reply_due_at``, so the stored
    value is the current one; ``extended`` says an extension was approved in this round.
    """
    if status in (CaseStatus.SIGNED, CaseStatus.IN_PROGRESS) and reply_due_at is not None:
        return Deadline("答复期限", reply_due_at, extended=extensions_used > 0)
    if status is CaseStatus.RECEIVED and sign_due_at is not None:
        return Deadline("签收期限", sign_due_at)
    return None


def next_step(
    status: CaseStatus,
    *,
    department_name: str | None,
    redo_requested: bool = False,
    pending: PendingKind | None = None,
) -> NextStep:
    """Who acts next on a case in ``status`` and what the resident can expect."""
    department = department_name or "承办部门"
    if status is CaseStatus.RECEIVED:
        if department_name is None:
            return NextStep(
                "系统 / 市绩效办",
                "系统正在分派承办部门；不能自动确定的，由市绩效办人工分派。",
            )
        return NextStep(department, f"等待{department}签收办理。")
    if status in (CaseStatus.SIGNED, CaseStatus.IN_PROGRESS):
        if pending is PendingKind.EXTENSION:
            return NextStep("市绩效办", f"{department}申请延长办理期限，等待市绩效办审批。")
        if pending is PendingKind.TRANSFER:
            return NextStep("市绩效办", f"{department}申请转交其他部门办理，等待市绩效办审批。")
        return NextStep(department, f"{department}正在办理，将在答复期限前答复您。")
    if status is CaseStatus.REPLIED:
        return NextStep(
            "您",
            "部门已答复。请在本页对办理情况作出评价；7 天内未评价的，诉求将自动办结。",
        )
    if status is CaseStatus.FOLLOWED_UP:
        if redo_requested:
            return NextStep("市绩效办", "您已申请重办。" + REDO_EXPLANATION)
        return NextStep("市绩效办", "您的评价已记录，市绩效办审核后办结。")
    if status is CaseStatus.RETURNED:
        return NextStep("市绩效办", "原部门认为不属于其职责，已退回市绩效办重新分派。")
    return NextStep("", "诉求已办结，感谢您的参与。")
