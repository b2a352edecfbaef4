"""整改 tasks as the public sees them: source, owner, due date, progress, timeline, effect.

Staff names are left out (the department is accountable, not a clerk); before/after volumes
pass the <5 rule like every other count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from citizenvoice.domain.disclosure import public_count
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import RectificationTask
from citizenvoice.services.portal.cache import cached
from citizenvoice.services.rectification import (
    SOURCE_LABELS,
    STATUS_LABELS,
    Milestone,
    before_after,
    milestones,
    task_overdue,
    task_percent,
)

__all__ = ["PublicTask", "public_tasks"]


@dataclass(frozen=True)
class PublicTask:
    """One 整改 task on the portal and in open data."""

    id: int
    title: str
    target: str
    source: str
    department_code: str
    department: str
    opened_on: date
    deadline: date
    status: str
    overdue: bool
    percent: int
    timeline: list[Milestone]
    before: int | str
    after: int | str
    after_complete: bool
    sentiment_change: float | None


def _public(task: RectificationTask) -> PublicTask:
    effect = before_after(task)
    return PublicTask(
        id=task.id,
        title=task.title,
        target=task.target,
        source=f"{SOURCE_LABELS.get(task.source_kind, task.source_kind)}：{task.source_value}",
        department_code=task.department.code,
        department=task.department.name,
        opened_on=task.created_at.astimezone(SHANGHAI).date(),  # a Beijing date, as open data
        deadline=task.deadline,
        status=STATUS_LABELS.get(task.status, task.status),
        overdue=task_overdue(task),
        percent=task_percent(task),
        timeline=milestones(task),
        before=public_count(effect.before.volume),
        after=public_count(effect.after.volume),
        after_complete=effect.after_complete,
        sentiment_change=effect.sentiment_change,
    )


def public_tasks(department_code: str | None = None) -> list[PublicTask]:
    """Every task (or one department's): open ones first, then by deadline."""

    def compute() -> list[PublicTask]:
        query = select(RectificationTask).options(selectinload(RectificationTask.department))
        tasks = [_public(t) for t in db.session.scalars(query)]
        if department_code is not None:
            tasks = [t for t in tasks if t.department_code == department_code]
        return sorted(tasks, key=lambda t: (t.percent == 100, t.deadline, -t.id))

    return cached(f"tasks:{department_code or ''}", compute)
