"""Department replies: templates a department keeps, and the nlp reply-quality check."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from citizenvoice.domain.accounts import Role
from citizenvoice.extensions import db
from citizenvoice.models import ReplyTemplate, Submission, User
from citizenvoice.models.base import utcnow

__all__ = [
    "MAX_REPLY_LENGTH",
    "MIN_REPLY_LENGTH",
    "TemplateError",
    "check_reply",
    "create_template",
    "delete_template",
    "templates_for",
]

MIN_REPLY_LENGTH = 10  # a reply shorter than a sentence answers nothing
MAX_REPLY_LENGTH = 5000


class TemplateError(ValueError):
    """A template cannot be saved or removed as asked (message in Chinese)."""


def check_reply(case: Submission, body: str, at: datetime | None = None) -> dict[str, Any]:
    """Score a draft reply against the case with nlp.reply_quality; JSON-able result."""
    from nlp import score_reply

    message = f"{case.title}\n{case.text}".strip()
    quality = score_reply(message, body[:MAX_REPLY_LENGTH], case.created_at, at or utcnow())
    return asdict(quality)


def templates_for(user: User) -> list[ReplyTemplate]:
    """The reply templates of the user's department (none for the office)."""
    if user.department_id is None:
        return []
    return list(
        db.session.scalars(
            select(ReplyTemplate)
            .where(ReplyTemplate.department_id == user.department_id)
            .order_by(ReplyTemplate.title)
        )
    )


def create_template(user: User, title: str, body: str) -> ReplyTemplate:
    """A department admin adds a template for their department. Flushes."""
    if user.role_enum is not Role.DEPARTMENT_ADMIN or user.department_id is None:
        raise TemplateError("只有部门管理员可以维护答复模板")
    title, body = title.strip(), body.strip()
    if not title or len(title) > 100:
        raise TemplateError("模板标题须为 1 到 100 个字")
    if len(body) < MIN_REPLY_LENGTH or len(body) > MAX_REPLY_LENGTH:
        raise TemplateError(f"模板内容须为 {MIN_REPLY_LENGTH} 到 {MAX_REPLY_LENGTH} 个字")
    template = ReplyTemplate(
        department_id=user.department_id, title=title, body=body, created_by=user.id
    )
    db.session.add(template)
    db.session.flush()
    return template


def delete_template(user: User, template_id: int) -> None:
    """A department admin removes one of their department's templates. Flushes."""
    template = db.session.get(ReplyTemplate, template_id)
    if template is None or template.department_id != user.department_id:
        raise TemplateError("模板不存在")
    if user.role_enum is not Role.DEPARTMENT_ADMIN:
        raise TemplateError("只有部门管理员可以维护答复模板")
    db.session.delete(template)
    db.session.flush()
