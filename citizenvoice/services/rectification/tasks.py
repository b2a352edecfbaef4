"""Rectification tasks: open, report progress, close; who may see which task.

Access follows the idea of services.cases: the office sees every task, department staff only
their department's; asking for another department's task is answered as if it did not exist
(:class:`TaskNotVisible`, a 404) and logged to the audit chain. Every open, report and close
writes an audit entry. Functions flush, never commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
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
    "SOURCE_KINDS",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "SURVEY_SOURCE",
    "ProgressEntry",
    "RectificationError",
    "TaskNotVisible",
    "close_task",
    "matching_cases",
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
# A task opened from a group of survey comments (services.survey_comment_tasks): its value is
# the group's nlp category. Not offered on the office's form: only that service opens one,
# once per comment group.
SURVEY_SOURCE = "survey_comments"
SOURCE_LABELS = {**SOURCE_KINDS, SURVEY_SOURCE: "问卷意见"}
STATUS_LABELS = {"open": "整改中", "reported": "已报告进展", "closed": "已办结"}
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
    if kind == SURVEY_SOURCE:  # the comment group's category: cases of the same topic
        return Analysis.category == value
    token = Analysis.search_tokens.contains(f" {value} ", autoescape=True)
    if db.engine.dialect.name == "postgresql":
        keyword = cast(Analysis.keywords, JSONB).contains([value])
    else:  # SQLite: JSON is stored as text; match the JSON-encoded string
        keyword = cast(Analysis.keywords, Text).contains(json.dumps(value), autoescape=True)
    # The same words the inbox search matches (one rule: services.cases), so a topic finds
    # the cases a person finds by searching for it.
    searched = text_search_condition(value)
    return or_(keyword, token) if searched is None else or_(keyword, token, searched)


def matching_cases(kind: str, value: str) -> Select[tuple[Submission]]:
    """Analysed submissions of a source (a duplicate group or a keyword)."""
    return (
        select(Submission)
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(source_condition(kind, value))
    )


def suggest_department(kind: str, value: str) -> str | None:
    """The code of the department handling most of the source's cases (to prefill the form)."""
    if kind not in SOURCE_KINDS or not value:
        return None
    sub = matching_cases(kind, value).where(Submission.department_id.is_not(None)).subquery()
    row = db.session.execute(
        select(Department.code, func.count())
        .join(sub, sub.c.department_id == Department.id)
        .group_by(Department.code)
        .order_by(func.count().desc(), Department.code)
        .limit(1)
    ).first()
    return str(row[0]) if row else None


def _text_errors(title: str, target: str) -> list[str]:
    """What is wrong with a task's title and target (both required, bounded)."""
    errors = []
    if not title:
        errors.append("请填写任务标题")
    elif len(title) > MAX_TITLE:
        errors.append(f"任务标题不能超过 {MAX_TITLE} 个字")
    if not target:
        errors.append("请填写整改目标")
    elif len(target) > MAX_TARGET:
        errors.append(f"整改目标不能超过 {MAX_TARGET} 个字")
    return errors


def _source_error(kind: str, value: str, survey: bool = False) -> str | None:
    """What is wrong with a task's source, if anything; it must match at least one case.

    A survey comment group (``survey``) needs no case: its comments are the evidence.
    """
    if survey and kind == SURVEY_SOURCE:
        return None if 0 < len(value) <= MAX_KEYWORD else "问卷意见分类不正确"
    if kind not in SOURCE_KINDS:
        return "请选择整改来源：重复诉求组或关键词"
    if not value:
        return f"请填写{SOURCE_KINDS[kind]}"
    if kind == "duplicate_group" and len(value) > MAX_GROUP:
        return "重复诉求组编号不正确"
    if kind == "keyword" and (len(value) > MAX_KEYWORD or " " in value):
        return f"关键词须为不含空格的词语，不超过 {MAX_KEYWORD} 个字"
    if db.session.scalar(matching_cases(kind, value).limit(1)) is None:
        return (
            "该重复诉求组不存在"
            if kind == "duplicate_group"
            else "没有包含该关键词的诉求，请换一个关键词"
        )
    return None


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
    survey: bool = False,
) -> RectificationTask:
    """Open a task for a department; every invalid field is reported (in Chinese). Audited.

    The deadline may be today but not earlier (Beijing time). A duplicate group must exist; a
    keyword must match at least one analysed case, so the before/after comparison has a topic.
    """
    _require_office(office_user, "开具整改任务")
    title, target = (title or "").strip(), (target or "").strip()
    source_value = (source_value or "").strip()
    department = department_by_code(department_code or "")
    errors = [] if department is not None else ["请选择有效的承办部门"]
    errors += _text_errors(title, target)
    today = today or utcnow().astimezone(SHANGHAI).date()
    if deadline is None:
        errors.append("请填写有效的整改期限")
    elif deadline < today:
        errors.append("整改期限不能早于今天")
    source_error = _source_error(source_kind, source_value, survey)
    if source_error is not None:
        errors.append(source_error)
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
