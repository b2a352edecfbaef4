"""The resident's follow-up (回访) through the tracking code: once per reply."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.workflow import Action, FollowUp, WorkflowError
from citizenvoice.extensions import db
from citizenvoice.models import FollowUp as FollowUpRow
from citizenvoice.models import Submission
from citizenvoice.services.workflow import RESIDENT, perform

__all__ = ["FollowUpError", "answerable", "follow_up_of", "record_follow_up"]

ALREADY_DONE = "该诉求已经评价过了，每个诉求只能评价一次。感谢您的反馈！"


class FollowUpError(ValueError):
    """The follow-up cannot be recorded (message in Chinese, shown to the resident)."""


def follow_up_of(submission_id: int) -> FollowUpRow | None:
    """The stored follow-up of a case, if any."""
    return db.session.scalar(select(FollowUpRow).where(FollowUpRow.submission_id == submission_id))


def answerable(case: Submission) -> bool:
    """True when the resident may judge the case's current reply.

    Once per reply: a follow-up given before the latest reply (the round before a 重办)
    does not count against the new one.
    """
    if case.status != CaseStatus.REPLIED.value:
        return False
    existing = follow_up_of(case.id)
    if existing is None:
        return True
    return case.replied_at is not None and existing.created_at < case.replied_at


def record_follow_up(
    case_id: int, answers: FollowUp, client_fingerprint: str | None, rating: int | None = None
) -> Submission:
    """Record the resident's answers; a second attempt gets a clear message. Flushes.

    On FollowUpError the session may hold a failed flush: the caller rolls back (as it does
    for every FollowUpError) before using it again.
    """
    # populate_existing: the case was usually loaded before the lock (by its tracking code);
    # after waiting for a concurrent answer, the rules must see the state that answer left.
    case = db.session.scalar(
        select(Submission)
        .where(Submission.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if case is None:
        raise FollowUpError("诉求不存在")
    if rating is not None and not 1 <= rating <= 5:
        raise FollowUpError("服务评分须为 1 到 5 分")
    if not answerable(case):
        raise FollowUpError(ALREADY_DONE)
    try:
        perform(
            case,
            Action.FOLLOW_UP,
            RESIDENT,
            follow_up=answers,
            client_fingerprint=client_fingerprint,
            follow_up_rating=rating,
        )
    except WorkflowError as exc:
        raise FollowUpError(exc.message) from exc
    except IntegrityError as exc:
        # Two answers in flight at once can both pass the check above (SQLite takes no row
        # lock for FOR UPDATE); the unique constraint on follow_up.submission_id decides, and
        # the later one gets the same answer as a second attempt made after the first.
        if not _is_duplicate_follow_up(exc):
            raise
        raise FollowUpError(ALREADY_DONE) from exc
    return case


def _is_duplicate_follow_up(exc: IntegrityError) -> bool:
    """True when the violation is the one-follow-up-per-case rule (PostgreSQL or SQLite)."""
    message = str(exc.orig)
    return "uq_follow_up_submission_id" in message or "follow_up.submission_id" in message
