"""What was public at the end of a Beijing day: the cut-off, case status and 整改 tasks then.

A build for day D must not change when it is rebuilt later, so every dataset reads the data
as it stood at ``cutoff(D)`` (00:00 Beijing of the next day) wherever the data keeps its
history: a case's status from its status events, a task's status and per cent from its dated
progress entries, the after-window of a task's effect cut at the cut-off. Fields whose history
is not stored (a case's department and category, names, a task's title) are read as they are
now; the data dictionary says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from citizenvoice.domain.disclosure import public_count
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import RectificationTask, StatusEvent
from citizenvoice.services.rectification import SOURCE_LABELS, STATUS_LABELS
from citizenvoice.services.rectification.effect import DEFAULT_WINDOW, task_window

__all__ = ["TaskAsOf", "cutoff", "statuses_as_of", "tasks_as_of"]


def cutoff(day: date) -> datetime:
    """The first moment after Beijing day ``day``: a build for ``day`` sees only what is before."""
    return local_midnight(day + timedelta(days=1))


def statuses_as_of(ids: Iterable[int], until: datetime) -> dict[int, str]:
    """Each case's status at ``until``: the status of its latest event before then."""
    wanted = set(ids)
    out: dict[int, str] = {}
    if not wanted:
        return out
    events = db.session.execute(
        select(StatusEvent.submission_id, StatusEvent.status)
        .where(StatusEvent.created_at < until)
        .order_by(StatusEvent.created_at, StatusEvent.id)
    ).tuples()
    for submission_id, status in events:
        if submission_id in wanted:
            out[submission_id] = status
    return out


@dataclass(frozen=True)
class TaskAsOf:
    """One 整改 task as it stood at the cut-off (the open-data row before formatting)."""

    id: int
    title: str
    department_code: str
    department: str
    source: str
    opened_on: date
    deadline: date
    status: str
    percent: int
    timeline: list[tuple[date, int | None, str]]
    before: int | str
    after: int | str


def _moment(value: object) -> datetime:
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _entry_known(entry: dict[str, Any], until: datetime) -> bool:
    """Dated before the cut-off and, where the entry says when it was written, written then."""
    if _moment(entry["at"]) >= until:
        return False
    recorded = entry.get("recorded_at")
    return recorded is None or _moment(recorded) < until


def _percent(entry: dict[str, Any]) -> int | None:
    value = entry.get("percent")
    return int(value) if isinstance(value, int | float) else None


def _task_as_of(task: RectificationTask, until: datetime) -> TaskAsOf:
    entries = [e for e in task.progress or [] if _entry_known(e, until)]
    closed = any(e.get("kind") == "close" for e in entries)
    percents = [p for p in (_percent(e) for e in entries) if p is not None]
    status = "closed" if closed else ("reported" if entries else "open")
    timeline = sorted(
        (
            (
                _moment(e["at"]).astimezone(SHANGHAI).date(),
                100 if e.get("kind") == "close" else _percent(e),
                str(e.get("text", "")),
            )
            for e in entries
        ),
        key=lambda m: m[0],
    )
    opened = task.created_at
    after_end = min(opened + DEFAULT_WINDOW, until)
    return TaskAsOf(
        id=task.id,
        title=task.title,
        department_code=task.department.code,
        department=task.department.name,
        source=f"{SOURCE_LABELS.get(task.source_kind, task.source_kind)}：{task.source_value}",
        opened_on=opened.astimezone(SHANGHAI).date(),
        deadline=task.deadline,
        status=STATUS_LABELS.get(status, status),
        percent=100 if closed else (percents[-1] if percents else 0),
        timeline=timeline,
        before=public_count(task_window(task, "整改前", opened - DEFAULT_WINDOW, opened).volume),
        after=public_count(task_window(task, "整改后", opened, after_end).volume),
    )


def tasks_as_of(until: datetime) -> list[TaskAsOf]:
    """Every task opened before ``until``, as it stood then, by id (never the portal's cache)."""
    query = (
        select(RectificationTask)
        .where(RectificationTask.created_at < until)
        .options(selectinload(RectificationTask.department))
        .order_by(RectificationTask.id)
    )
    return [_task_as_of(task, until) for task in db.session.scalars(query)]
