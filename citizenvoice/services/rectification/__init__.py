"""Rectification (整改) tasks: open, report progress, close, and the before/after comparison.

The office opens a task for a department, the department reports progress, the office closes
it, and the topic's volume and sentiment are compared before and after the opening.

A task is about a *source*: a duplicate group (``analysis.duplicate_group``) or a keyword (a
topic label: found in ``analysis.keywords`` or, as a whole token, in ``analysis.search_tokens``).

Access follows the idea of services.cases: the office sees every task, department staff only
their department's; asking for another department's task is answered as if it did not exist
(:class:`TaskNotVisible`, a 404) and logged to the audit chain. Every open, report and close
writes an audit entry. Functions flush, never commit.

Modules: ``tasks`` (the task life cycle and access), ``effect`` (the before/after
comparison), ``milestones`` (progress in per cent), ``sheet`` (the CSV
round trip). Import from this package.
"""

from __future__ import annotations

from citizenvoice.services.rectification.effect import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    BeforeAfter,
    WindowFigures,
    before_after,
)
from citizenvoice.services.rectification.milestones import (
    Milestone,
    add_milestone,
    milestones,
    task_percent,
)
from citizenvoice.services.rectification.sheet import ImportResult, export_sheet, import_sheet
from citizenvoice.services.rectification.tasks import (
    SOURCE_KINDS,
    SOURCE_LABELS,
    STATUS_LABELS,
    SURVEY_SOURCE,
    ProgressEntry,
    RectificationError,
    TaskNotVisible,
    close_task,
    open_task,
    progress_entries,
    report_progress,
    source_condition,
    suggest_department,
    task_for,
    task_overdue,
    tasks_for,
)

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "SOURCE_KINDS",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "SURVEY_SOURCE",
    "BeforeAfter",
    "ImportResult",
    "Milestone",
    "ProgressEntry",
    "RectificationError",
    "TaskNotVisible",
    "WindowFigures",
    "add_milestone",
    "before_after",
    "close_task",
    "export_sheet",
    "import_sheet",
    "milestones",
    "open_task",
    "progress_entries",
    "report_progress",
    "source_condition",
    "suggest_department",
    "task_for",
    "task_overdue",
    "task_percent",
    "tasks_for",
]
