"""The vocabulary of a case: statuses, closures, pending requests and the case snapshot.

The labels here are the one place the UI takes them from. The rules that move a case between
statuses live in :mod:`citizenvoice.domain.workflow`; time limits and overdue in
:mod:`citizenvoice.domain.timelimits`.

Design: the seven statuses are the stages a resident can see. Everything else that happens to
a case is a flag or counter on :class:`CaseSnapshot`, not a status, because it can overlap a
stage: a 转办 or 延期 request waits for the office while the department keeps working
(``pending``), a case stays 办理中 while it is 督办 (``supervise_count``), 重办 sends it back to
办理中 (``reopen_count``), and a closed case records how it closed (``closure``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "ACTIVE_STATUSES",
    "CaseSnapshot",
    "CaseStatus",
    "ClosureKind",
    "PendingKind",
    "PendingRequest",
    "Satisfaction",
]


class CaseStatus(StrEnum):
    """Where a case stands in the 12345-style workflow."""

    RECEIVED = "received"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        """The Chinese name shown to residents and staff."""
        return _LABELS[self]


_LABELS: dict[CaseStatus, str] = {
    CaseStatus.RECEIVED: "已受理",
    CaseStatus.SIGNED: "已签收",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.REPLIED: "已答复",
    CaseStatus.FOLLOWED_UP: "已回访",
    CaseStatus.CLOSED: "已办结",
    CaseStatus.RETURNED: "已退单",
}

#: Statuses in which a department's clock runs (sign, then reply): the ones that can be overdue.
ACTIVE_STATUSES = frozenset({CaseStatus.RECEIVED, CaseStatus.SIGNED, CaseStatus.IN_PROGRESS})


class Satisfaction(StrEnum):
    """A resident's answer to the follow-up (回访) satisfaction question."""

    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"

    @property
    def label(self) -> str:
        """The Chinese answer as read to the resident."""
        return {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}[self.value]


class ClosureKind(StrEnum):
    """How a case was closed; dashboards count the kinds separately."""

    FOLLOWED_UP = "followed_up"
    NO_RESPONSE = "no_response"
    OFFICE = "office"

    @property
    def label(self) -> str:
        """The Chinese name of the closure."""
        return {
            "followed_up": "回访后办结",
            "no_response": "未回访自动办结",
            "office": "绩效办审核办结",
        }[self.value]


class PendingKind(StrEnum):
    """A department's request that waits for the office's decision."""

    TRANSFER = "transfer"
    EXTENSION = "extension"

    @property
    def label(self) -> str:
        """The Chinese name of the request."""
        return {"transfer": "转办申请", "extension": "延期申请"}[self.value]


@dataclass(frozen=True)
class PendingRequest:
    """A 转办 or 延期 request: who asked is the case's department; ``department`` is the target."""

    kind: PendingKind
    requested_at: datetime
    reason: str
    department: str | None = None
    #: Working days a 延期 asks for (None: the configured extension, for older requests).
    days: int | None = None


@dataclass(frozen=True)
class CaseSnapshot:
    """Everything the workflow rules need to know about one case, and nothing else.

    Services build it from the stored case, pass it to ``workflow.apply`` and store the
    snapshot that comes back. Deadlines are stored (not recomputed) because an approved
    extension moves them and the inbox sorts and filters on them.

    ``assigned_at`` starts the sign clock of the current department; ``reply_started_at``
    starts the reply clock (签收, or the 重办 that opened the current round). ``sign_due_at``
    and ``reply_due_at`` stay after they are met, so timeliness can be judged later.
    """

    status: CaseStatus = CaseStatus.RECEIVED
    department: str | None = None
    urgent: bool = False
    complex: bool = False
    assigned_at: datetime | None = None
    sign_due_at: datetime | None = None
    signed_at: datetime | None = None
    reply_started_at: datetime | None = None
    reply_due_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    closure: ClosureKind | None = None
    pending: PendingRequest | None = None
    extensions_used: int = 0
    supervise_count: int = 0
    reopen_count: int = 0
    redo_requested: bool = False

    @property
    def supervised(self) -> bool:
        """Whether the office has escalated (督办) the case at least once."""
        return self.supervise_count > 0
