"""Progress in per cent and the dated milestones of a rectification task.

A milestone is a progress entry with a ``percent`` (0-100) and the date it was reached, kept
in the task's ``progress`` list like the department's reports ({at, by, text, percent, kind:
"milestone"}): no new table, one timeline. A task's progress is its latest percent; a closed
task is at 100. Progress never goes backwards. Functions flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.models import RectificationTask
from citizenvoice.models.base import utcnow
from citizenvoice.services.rectification.tasks import RectificationError

__all__ = [
    "MAX_NOTE",
    "Milestone",
    "add_milestone",
    "milestone_errors",
    "milestones",
    "task_percent",
]

MAX_NOTE = 500  # a milestone is a line of a timeline, not a report


@dataclass(frozen=True)
class Milestone:
    """One dated step of the public timeline (no staff names: the public sees the department)."""

    on: date
    text: str
    percent: int | None
    closing: bool


def _percent_of(entry: dict[str, object]) -> int | None:
    value = entry.get("percent")
    return int(value) if isinstance(value, int | float) else None


def task_percent(task: RectificationTask) -> int:
    """The task's progress in per cent: 100 once closed, else the latest milestone's (or 0)."""
    if task.status == "closed":
        return 100
    percents = [p for p in (_percent_of(e) for e in task.progress or []) if p is not None]
    return percents[-1] if percents else 0


def milestones(task: RectificationTask) -> list[Milestone]:
    """Every progress entry as a dated milestone, oldest first."""
    out = []
    for entry in task.progress or []:
        at = datetime.fromisoformat(str(entry["at"]))
        closing = entry.get("kind") == "close"
        out.append(
            Milestone(
                at.astimezone(SHANGHAI).date() if at.tzinfo else at.date(),
                str(entry.get("text", "")),
                100 if closing else _percent_of(entry),
                closing,
            )
        )
    return sorted(out, key=lambda m: m.on)


def milestone_errors(
    task: RectificationTask, percent: int, on: date, text: str, today: date
) -> list[str]:
    """What is wrong with a milestone, in Chinese (empty when nothing is).

    A closed task, a percent outside 0-100 or below the current one, a date before the task
    was opened or after today, a missing or overlong note.
    """
    errors = []
    if task.status == "closed":
        errors.append("该整改任务已办结，不能再更新进度")
    if not 0 <= percent <= 100:
        errors.append("进度须为 0 到 100 之间的整数")
    elif percent < task_percent(task):
        errors.append(f"进度不能低于当前进度 {task_percent(task)}%")
    opened = task.created_at.astimezone(SHANGHAI).date()
    if on > today:
        errors.append("进展日期不能晚于今天")
    elif on < opened:
        errors.append(f"进展日期不能早于任务开具日期 {opened.isoformat()}")
    text = (text or "").strip()
    if not text:
        errors.append("请填写进展说明")
    elif len(text) > MAX_NOTE:
        errors.append(f"进展说明不能超过 {MAX_NOTE} 个字")
    return errors


def add_milestone(
    task: RectificationTask, percent: int, on: date, text: str, by: str, today: date
) -> None:
    """Append a milestone: ``percent`` reached on ``on`` (not in the future), with a note.

    Raises RectificationError with every problem of :func:`milestone_errors`.
    """
    errors = milestone_errors(task, percent, on, text, today)
    if errors:
        raise RectificationError(*errors)
    # Noon Beijing time of the day reached: the date survives any time-zone display.
    at = datetime.combine(on, time(12), tzinfo=SHANGHAI)
    entry = {
        "at": at.isoformat(),
        "by": by,
        "text": text.strip(),
        "percent": percent,
        "kind": "milestone",
        # "at" is the day reached, which may be earlier: open data for a past day must not
        # show a milestone that was only written down later.
        "recorded_at": utcnow().isoformat(),
    }
    task.progress = [*(task.progress or []), entry]  # a new list: JSON is not change-tracked
    task.status = "reported"
