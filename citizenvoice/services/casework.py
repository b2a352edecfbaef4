"""What staff do on a case besides the workflow: reveal contact data, correct the category."""

from __future__ import annotations

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, CategoryCorrection, Submission, User
from citizenvoice.services.audit import record
from citizenvoice.services.label_capture import capture_correction
from citizenvoice.services.pii import PiiProtector
from citizenvoice.services.taxonomy import stored_classes

__all__ = ["CATEGORIES", "CaseworkError", "category_choices", "correct_category", "reveal_phone"]

# The seven first-level categories of the TipDM taxonomy the classifier is trained on.
CATEGORIES = (
    "城乡建设",
    "劳动和社会保障",
    "教育文体",
    "商贸旅游",
    "环境保护",
    "卫生计生",
    "交通运输",
)


def category_choices() -> tuple[str, ...]:
    """The categories staff may give a case: the centre's tree classes when it has a tree."""
    classes = stored_classes()
    return CATEGORIES if classes is None else tuple(classes)


class CaseworkError(ValueError):
    """A staff action that cannot be done (message in Chinese)."""


def reveal_phone(user: User, case: Submission, pii: PiiProtector) -> str:
    """The resident's full phone number, for users allowed to see it; writes an audit row."""
    if not user.role_enum.can_reveal_contact:
        raise CaseworkError("您没有查看完整联系电话的权限")
    if not case.contact_phone_encrypted:
        raise CaseworkError("该诉求没有留联系电话")
    record(
        user.username, "reveal_phone", "submission", case.id, {"department_id": case.department_id}
    )
    return pii.decrypt(case.contact_phone_encrypted)


def correct_category(user: User, case: Submission, category: str) -> CategoryCorrection:
    """Store a staff correction of the category as a training label (who, when); update the case."""
    if category not in category_choices():
        raise CaseworkError("类别不正确")
    analysis = db.session.scalar(select(Analysis).where(Analysis.submission_id == case.id))
    predicted = analysis.category if analysis else None
    if predicted == category:
        raise CaseworkError("类别未改变")
    correction = CategoryCorrection(
        submission_id=case.id,
        predicted=predicted,
        corrected=category,
        model_version=analysis.model_version if analysis else None,
        user_id=user.id,
    )
    db.session.add(correction)
    if analysis is not None:
        analysis.category = category
        analysis.category_uncertain = False
    db.session.flush()
    # The label is part of the act: a correction without its label cannot be committed.
    capture_correction(case, correction)
    return correction
