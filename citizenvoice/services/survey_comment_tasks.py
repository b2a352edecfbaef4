"""One step from a group of survey comments to a 整改 task for its department.

The task goes through the rectification service (``open_task``, audited there) with the
group's summary as its text; a ``survey_comment_task`` row links the group (campaign,
department, category) to it. That row's unique constraint makes the step idempotent even
under a double click: the second transaction's insert waits for the first and then fails, its
task and audit entry are rolled back, and it answers with the first one's task.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from citizenvoice.domain.survey_comments import task_text
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import (
    Department,
    RectificationTask,
    SurveyCampaign,
    SurveyCommentTask,
    User,
)
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.departments import department_by_code
from citizenvoice.services.rectification import SURVEY_SOURCE, RectificationError, open_task
from citizenvoice.services.survey_comments import department_comment_groups

__all__ = ["TASK_DAYS", "comment_tasks", "open_comment_task"]

#: Days the department gets for a task opened from comments (the office can edit it after).
TASK_DAYS = 30


def comment_tasks(campaign_id: int) -> dict[tuple[str, str], int]:
    """(department code, category) -> task id, for the groups that already have a task."""
    rows = db.session.execute(
        select(Department.code, SurveyCommentTask.category, SurveyCommentTask.task_id)
        .join(Department, Department.id == SurveyCommentTask.department_id)
        .where(SurveyCommentTask.campaign_id == campaign_id)
    ).tuples()
    return {(code, category): task_id for code, category, task_id in rows}


def _existing(campaign_id: int, department_id: int, category: str) -> RectificationTask | None:
    task_id = db.session.scalar(
        select(SurveyCommentTask.task_id).where(
            SurveyCommentTask.campaign_id == campaign_id,
            SurveyCommentTask.department_id == department_id,
            SurveyCommentTask.category == category,
        )
    )
    return db.session.get(RectificationTask, task_id) if task_id is not None else None


def open_comment_task(
    office_user: User,
    campaign: SurveyCampaign,
    department_code: str,
    category: str,
    *,
    today: date | None = None,
) -> tuple[RectificationTask, bool]:
    """The group's task, opened now (True) or found (False); commits.

    RectificationError (Chinese message) if the department or the group does not exist.
    """
    department = department_by_code(department_code or "")
    if department is None:
        raise RectificationError("请选择有效的承办部门")
    found = _existing(campaign.id, department.id, category)
    if found is not None:
        return found, False
    groups = department_comment_groups(campaign.id, department.id)
    group = next((g for g in groups if g.category == category), None)
    if group is None:
        raise RectificationError("该部门没有此类意见")
    title, target = task_text(department.name, campaign.name, group)
    today = today or utcnow().astimezone(SHANGHAI).date()
    task = open_task(
        office_user,
        department.code,
        title,
        target,
        SURVEY_SOURCE,
        category,
        today + timedelta(days=TASK_DAYS),
        today=today,
        survey=True,
    )
    if not _link(campaign.id, department.id, category, task.id):
        # Another request opened this group's task first: ours (task, audit) is rolled back.
        db.session.rollback()
        found = _existing(campaign.id, department.id, category)
        if found is None:
            raise RectificationError("请重试")
        return found, False
    record(
        office_user.username,
        "survey_comment_task",
        "survey_campaign",
        campaign.id,
        {"department": department.code, "category": category, "task": task.id},
    )
    db.session.commit()
    return task, True


def _link(campaign_id: int, department_id: int, category: str, task_id: int) -> bool:
    """Insert the group's link to its task; False if the group already has one (unique)."""
    try:
        db.session.add(
            SurveyCommentTask(
                campaign_id=campaign_id,
                department_id=department_id,
                category=category,
                task_id=task_id,
            )
        )
        db.session.flush()
    except IntegrityError:
        return False
    return True
