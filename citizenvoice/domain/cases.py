"""Case states and their Chinese labels.

Issue 5 adds the full workflow (transitions, time limits); for now a submission is received
(受理) and later analysed. The labels here are the one place the UI takes them from.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CaseStatus"]


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
