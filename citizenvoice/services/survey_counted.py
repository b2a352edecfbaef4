"""Which survey answers count: the one SQL condition every survey figure applies.

Answers of a batch the office holds or excluded (services.survey_review) are left out of the
office's results, the departments' view and the appraisal's ``survey`` indicator. Kept apart
from the review's actions so the appraisal can use it without importing the survey services
(which import the appraisal's period helpers).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from citizenvoice.models import SurveyAnswer, SurveyHold

__all__ = ["ACTIVE", "counted"]

ACTIVE = ("held", "excluded")  # statuses whose answers are left out


def counted() -> ColumnElement[bool]:
    """True for a ``survey_answer`` row outside every held or excluded batch."""
    hold = SurveyHold
    return ~exists(
        select(hold.id).where(
            hold.group_id == SurveyAnswer.group_id,
            hold.status.in_(ACTIVE),
            or_(hold.department_id.is_(None), hold.department_id == SurveyAnswer.department_id),
            or_(
                hold.starts_at.is_(None),
                and_(
                    SurveyAnswer.created_at >= hold.starts_at,
                    SurveyAnswer.created_at < hold.ends_at,
                ),
            ),
        )
    )
