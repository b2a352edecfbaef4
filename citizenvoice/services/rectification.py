"""Rectification (整改) tasks: open, report progress, close, and the before/after comparison.

The office opens a task for a department, the department reports progress, the office closes
it, and the topic's volume and sentiment are compared before and after the opening.

A task is about a *source*: a duplicate group (``analysis.duplicate_group``) or a keyword (a
topic label: found in ``analysis.keywords`` or, as a whole token, in ``analysis.search_tokens``).

Access follows the idea of services.cases: the office sees every task, department staff only
their department's; asking for another department's task is answered as if it did not exist
(:class:`TaskNotVisible`, a 404) and logged to the audit chain. Every open, report and close
writes an audit entry. Functions flush, never commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Text, cast, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import selectinload

from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Department, RectificationTask, Submission, User
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.cases import text_search_condition
from citizenvoice.services.departments import department_by_code

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "SOURCE_KINDS",
    "STATUS_LABELS",
    "BeforeAfter",
    "ProgressEntry",
    "RectificationError",
    "TaskNotVisible",
    "WindowFigures",
    "before_after",
    "close_task",
    "open_task",
    "progress_entries",
    "report_progress",
    "source_condition",
    "suggest_department",
    "task_for",
    "task_overdue",
    "tasks_for",
]

log = logging.getLogger("citizenvoice.access")

SOURCE_KINDS = {"duplicate_group": "重复诉求组", "keyword": "关键词"}
STATUS_LABELS = {"open": "整改中", "reported": "已报告进展", "closed": "已办结"}
# The before/after windows: by default the 30 days before and the 30 days after the task was
# opened (a month is what the office reviews tasks by); at most a quarter, long enough to see
# an effect and short enough that seasonal topics (heating, flooding) from an unrelated season
# do not swamp the comparison.
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=90)
# Lengths follow the columns (title 200, source_value 100, duplicate_group 40) and keep a
# progress report or a note readable on one screen.
MAX_TITLE = 200
MAX_TARGET = 2000
MAX_TEXT = 2000
MAX_GROUP = 40
MAX_KEYWORD = 100


class RectificationError(ValueError):
    """A rectification action that cannot be done; ``errors`` are Chinese messages."""

    def __init__(self, *errors: str) -> None:
        super().__init__("；".join(errors))
        self.errors = list(errors)


class TaskNotVisible(LookupError):
    """The task does not exist or belongs to another department (answered as 404)."""


def _require_office(user: User, doing: str) -> None:
    if not user.role_enum.is_office:
        raise RectificationError(f"只有绩效办可以{doing}")


def source_condition(kind: str, value: str) -> Any:
    """SQL over Analysis: the analysis belongs to this duplicate group or has this keyword.

    A keyword matches the analysis's keywords, a whole stored token, or whatever the inbox's
    keyword search finds for it.
    """
    if kind == "duplicate_group":
        return Analysis.duplicate_group == value
    token = Analysis.search_tokens.contains(f" {value} ", autoescape=True)
    if db.engine.dialect.name == "postgresql":
        keyword = cast(Analysis.keywords, JSONB).contains([value])
    else:  # SQLite: JSON is stored as text; match the JSON-encoded string
        keyword = cast(Analysis.keywords, Text).contains(json.dumps(value), autoescape=True)
    # The same words the inbox search matches (one rule: services.cases), so a topic finds
    # the cases a person finds by searching for it.
    searched = text_search_condition(value)
    return or_(keyword, token) if searched is None else or_(keyword, token, searched)


def _matching(kind: str, value: str) -> Select[tuple[Submission]]:
    return (
        select(Submission)
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(source_condition(kind, value))
    )


def suggest_department(kind: str, value: str) -> str | None:
    """The code of the department handling most of the source's cases (to prefill the form)."""
    if kind not in SOURCE_KINDS or not value:
        return None
    sub = _matching(kind, value).where(Submission.department_id.is_not(None)).subquery()
    row = db.session.execute(
        select(Department.code, func.count())
        .join(sub, sub.c.department_id == Department.id)
        .group_by(Department.code)
        .order_by(func.count().desc(), Department.code)
        .limit(1)
    ).first()
    return str(row[0]) if row else None


def open_task(
    office_user: User,
    department_code: str,
    title: str,
    target: str,
    source_kind: str,
    source_value: str,
    deadline: date | None,
    *,
    today: date | None = None,
) -> RectificationTask:
    """Open a task for a department; every invalid field is reported (in Chinese). Audited.

    The deadline may be today but not earlier (Beijing time). A duplicate group must exist; a
    keyword must match at least one analysed case, so the before/after comparison has a topic.
    """
    _require_office(office_user, "开具整改任务")
    title, target = (title or "").strip(), (target or "").strip()
    source_value = (source_value or "").strip()
    errors: list[str] = []
    department = department_by_code(department_code or "")
    if department is None:
        errors.append("请选择有效的承办部门")
    if not title:
        errors.append("请填写任务标题")
    elif len(title) > MAX_TITLE:
        errors.append(f"任务标题不能超过 {MAX_TITLE} 个字")
    if not target:
        errors.append("请填写整改目标")
    elif len(target) > MAX_TARGET:
        errors.append(f"整改目标不能超过 {MAX_TARGET} 个字")
    today = today or utcnow().astimezone(SHANGHAI).date()
    if deadline is None:
        errors.append("请填写有效的整改期限")
    elif deadline < today:
        errors.append("整改期限不能早于今天")
    if source_kind not in SOURCE_KINDS:
        errors.append("请选择整改来源：重复诉求组或关键词")
    elif not source_value:
        errors.append(f"请填写{SOURCE_KINDS[source_kind]}")
    elif source_kind == "duplicate_group" and len(source_value) > MAX_GROUP:
        errors.append("重复诉求组编号不正确")
    elif source_kind == "keyword" and (len(source_value) > MAX_KEYWORD or " " in source_value):
        errors.append(f"关键词须为不含空格的词语，不超过 {MAX_KEYWORD} 个字")
    elif db.session.scalar(_matching(source_kind, source_value).limit(1)) is None:
        errors.append(
            "该重复诉求组不存在"
            if source_kind == "duplicate_group"
            else "没有包含该关键词的诉求，请换一个关键词"
        )
    if errors:
        raise RectificationError(*errors)
    assert department is not None and deadline is not None  # for the type checker
    task = RectificationTask(
        department_id=department.id,
        title=title,
        target=target,
        source_kind=source_kind,
        source_value=source_value,
        deadline=deadline,
        status="open",
        progress=[],
        created_by=office_user.username,
        created_at=utcnow(),
    )
    db.session.add(task)
    db.session.flush()
    record(
        office_user.username,
        "rectification_open",
        "rectification_task",
        task.id,
        {
            "department": department.code,
            "title": title,
            "source_kind": source_kind,
            "source_value": source_value,
            "deadline": deadline.isoformat(),
        },
    )
    return task


def _visible_tasks(user: User) -> Select[tuple[RectificationTask]]:
    query = select(RectificationTask).options(selectinload(RectificationTask.department))
    if user.role_enum.is_office:
        return query
    if user.department_id is None:  # a department role without a department sees nothing
        return query.where(literal_column("1") == 0)
    return query.where(RectificationTask.department_id == user.department_id)


def tasks_for(user: User) -> list[RectificationTask]:
    """The tasks this user may see (office: all; department staff: their department's).

    Open ones first, then by deadline, newest first within a deadline.
    """
    closed_last = RectificationTask.status == "closed"
    return list(
        db.session.scalars(
            _visible_tasks(user).order_by(
                closed_last, RectificationTask.deadline, RectificationTask.id.desc()
            )
        )
    )


def task_for(user: User, task_id: int, *, purpose: str = "view") -> RectificationTask:
    """The task if this user may see it; otherwise log the attempt and raise TaskNotVisible."""
    task = db.session.scalar(_visible_tasks(user).where(RectificationTask.id == task_id))
    if task is None:
        if db.session.get(RectificationTask, task_id) is not None:
            log.warning(
                "denied: user=%s department=%s rectification_task=%s purpose=%s",
                user.username,
                user.department_id,
                task_id,
                purpose,
            )
            record(
                user.username,
                "access_denied",
                "rectification_task",
                task_id,
                {"purpose": purpose},
            )
        raise TaskNotVisible(task_id)
    return task


@dataclass(frozen=True)
class ProgressEntry:
    """One entry of a task's progress: a department report or the office's closing note."""

    at: datetime
    by: str
    text: str
    closing: bool


def progress_entries(task: RectificationTask) -> list[ProgressEntry]:
    """The task's progress entries, oldest first, with their times parsed."""
    return [
        ProgressEntry(
            datetime.fromisoformat(str(p["at"])),
            str(p.get("by", "")),
            str(p.get("text", "")),
            p.get("kind") == "close",
        )
        for p in task.progress or []
    ]


def task_overdue(task: RectificationTask, today: date | None = None) -> bool:
    """The deadline (Beijing date) has passed and the task is not closed."""
    today = today or utcnow().astimezone(SHANGHAI).date()
    return task.status != "closed" and task.deadline < today


def _check_text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise RectificationError(f"请填写{what}")
    if len(text) > MAX_TEXT:
        raise RectificationError(f"{what}不能超过 {MAX_TEXT} 个字")
    return text


def report_progress(department_user: User, task_id: int, text: str) -> RectificationTask:
    """The task's department reports progress: appends {at, by, text}; status 'reported'.

    Raises TaskNotVisible for another department's task, RectificationError otherwise.
    """
    task = task_for(department_user, task_id, purpose="report")
    if department_user.department_id != task.department_id:
        raise RectificationError("只有承办部门可以报告整改进展")
    if task.status == "closed":
        raise RectificationError("该整改任务已办结，不能再报告进展")
    body = _check_text(text, "整改进展")
    entry = {"at": utcnow().isoformat(), "by": department_user.username, "text": body}
    task.progress = [*(task.progress or []), entry]  # a new list: JSON is not change-tracked
    task.status = "reported"
    db.session.flush()
    record(
        department_user.username,
        "rectification_report",
        "rectification_task",
        task.id,
        {"text": body, "reports": len(task.progress)},
    )
    return task


def close_task(office_user: User, task_id: int, note: str) -> RectificationTask:
    """The office closes the task with a note (kept in progress as {at, by, text, kind: close})."""
    _require_office(office_user, "办结整改任务")
    task = task_for(office_user, task_id, purpose="close")
    if task.status == "closed":
        raise RectificationError("该整改任务已办结")
    body = _check_text(note, "办结意见")
    now = utcnow()
    entry = {"at": now.isoformat(), "by": office_user.username, "text": body, "kind": "close"}
    task.progress = [*(task.progress or []), entry]
    task.status = "closed"
    task.closed_at = now
    db.session.flush()
    record(
        office_user.username,
        "rectification_close",
        "rectification_task",
        task.id,
        {"note": body, "reports": sum(1 for p in task.progress if p.get("kind") != "close")},
    )
    return task


@dataclass(frozen=True)
class WindowFigures:
    """The topic's cases in one window [start, end) of the task's department."""

    label: str
    start: datetime
    end: datetime
    volume: int
    sentiment_n: int
    mean_sentiment: float | None  # 0 (negative) .. 1 (positive); None without analysed cases
    negative: int

    @property
    def negative_share(self) -> float | None:
        """Share of negative cases among those with a sentiment, in percent."""
        return round(100 * self.negative / self.sentiment_n, 1) if self.sentiment_n else None


@dataclass(frozen=True)
class BeforeAfter:
    """Two equal windows around the task's opening, side by side (30 days each by default)."""

    window: timedelta
    before: WindowFigures
    after: WindowFigures
    after_elapsed: timedelta = timedelta(0)  # how much of the after window has passed

    @property
    def after_complete(self) -> bool:
        """True once the whole after window has passed (the comparison is final)."""
        return self.after_elapsed >= self.window

    @property
    def after_days(self) -> float:
        """The days of the after window that have passed so far."""
        return round(self.after_elapsed.total_seconds() / 86400, 1)

    @property
    def window_days(self) -> float:
        """The length of each window in days."""
        return round(self.window.total_seconds() / 86400, 1)

    @property
    def volume_change(self) -> int:
        """After minus before (negative: fewer cases on the topic)."""
        return self.after.volume - self.before.volume

    @property
    def sentiment_change(self) -> float | None:
        """After minus before in mean sentiment (positive: residents less negative)."""
        if self.before.mean_sentiment is None or self.after.mean_sentiment is None:
            return None
        return round(self.after.mean_sentiment - self.before.mean_sentiment, 4)


def _window(task: RectificationTask, label: str, start: datetime, end: datetime) -> WindowFigures:
    scope = _matching(task.source_kind, task.source_value).where(
        Submission.department_id == task.department_id,
        Submission.created_at >= start,
        Submission.created_at < end,
    )
    sub = scope.add_columns(
        Analysis.sentiment.label("score"), Analysis.sentiment_label.label("score_label")
    ).subquery()
    volume, sentiment_n, mean, negative = db.session.execute(
        select(
            func.count(),
            func.count(sub.c.score),
            func.avg(sub.c.score),
            func.count().filter(sub.c.score_label == "negative"),
        ).select_from(sub)
    ).one()
    return WindowFigures(
        label,
        start,
        end,
        int(volume),
        int(sentiment_n),
        round(float(mean), 4) if mean is not None else None,
        int(negative),
    )


def before_after(
    task: RectificationTask, now: datetime | None = None, window: timedelta = DEFAULT_WINDOW
) -> BeforeAfter:
    """Volume and mean sentiment of the task's topic before and after it was opened.

    Before is [opened - window, opened), after is [opened, opened + window); the window is 30
    days by default and at most MAX_WINDOW. While the after window is still running
    (``now`` inside it) it holds only the days so far: ``after_days`` says how many. Only the
    task's department's cases count (the task is that department's to fix), every kind of
    submission counts, and the mean sentiment is over the cases whose analysis has a
    sentiment score.
    """
    now = now or utcnow()
    opened = task.created_at
    if opened.tzinfo is None:  # SQLite drops the zone; stored values are UTC
        opened = opened.replace(tzinfo=now.tzinfo)
    window = max(timedelta(days=1), min(window, MAX_WINDOW))
    return BeforeAfter(
        window,
        _window(task, "整改前", opened - window, opened),
        _window(task, "整改后", opened, opened + window),
        after_elapsed=max(timedelta(0), min(now - opened, window)),
    )
