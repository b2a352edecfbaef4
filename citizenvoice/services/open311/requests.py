"""Service requests as Open311 answers them: lookups by public number and public listings.

Only public-consented cases are listed (by date, status or service); a case asked for by its
number answers whatever its consent, but a case not consented answers its status fields only:
no description, address or coordinates. Texts are the public ones of
:mod:`citizenvoice.services.public_text`; the tracking code is never part of an answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.localtime import iso_local
from citizenvoice.domain.open311 import Open311Error, RequestFilters, open311_status
from citizenvoice.domain.progress import current_deadline
from citizenvoice.extensions import db
from citizenvoice.models import Department, Submission
from citizenvoice.services.feedback import public_timeline
from citizenvoice.services.open311.catalogue import OTHER_SERVICE_CODE, OTHER_SERVICE_NAME
from citizenvoice.services.public_text import (
    public_case_location,
    public_case_text,
    public_redact,
)

__all__ = ["list_requests", "request_view", "requests_by_numbers"]

# Ratings judge a department's service; they are not service requests.
_LISTED_KINDS = (FeedbackKind.COMPLAINT.value, FeedbackKind.SUGGESTION.value)
# The spec's description is at most 4,000 characters; ours are at most 2,000 already.
_MAX_DESCRIPTION = 4000


def _status_notes(case: Submission, *, public: bool) -> str:
    """The status in words, and for a public case the latest note of its public timeline."""
    label = CaseStatus(case.status).label
    if not public:
        return label
    events = public_timeline(case)
    note = public_redact(events[-1].note) if events else ""
    return f"{label}：{note}" if note else label


def request_view(case: Submission) -> dict[str, Any]:
    """One Open311 request; a case without public consent keeps only its status fields."""
    public = case.public_consent
    department = case.department
    deadline = current_deadline(
        CaseStatus(case.status),
        sign_due_at=case.sign_due_at,
        reply_due_at=case.reply_due_at,
        extensions_used=case.extensions_used,
    )
    moments = [case.created_at, *(e.created_at for e in case.events)]
    if case.closed_at is not None:
        moments.append(case.closed_at)
    view: dict[str, Any] = {
        "service_request_id": case.public_number,
        "status": open311_status(case.status),
        "status_notes": _status_notes(case, public=public),
        "service_name": department.name if department else OTHER_SERVICE_NAME,
        "service_code": department.code if department else OTHER_SERVICE_CODE,
        "description": public_case_text(case)[:_MAX_DESCRIPTION] if public else None,
        "agency_responsible": department.name if department else None,
        "service_notice": None,
        "requested_datetime": iso_local(case.created_at),
        "updated_datetime": iso_local(max(moments)),
        "expected_datetime": iso_local(deadline.due) if deadline else None,
        "address": (public_case_location(case) or None) if public else None,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude if public else None,
        "long": case.longitude if public else None,
        "media_url": None,
    }
    return view


def _with_related(query: Select[tuple[Submission]]) -> Select[tuple[Submission]]:
    return query.options(selectinload(Submission.events), selectinload(Submission.department))


def requests_by_numbers(numbers: list[str]) -> list[dict[str, Any]]:
    """The requests with these public numbers, in the order asked; unknown ones are left out."""
    if not numbers:
        return []
    rows = db.session.scalars(
        _with_related(select(Submission).where(Submission.public_number.in_(numbers)))
    ).all()
    by_number = {row.public_number: row for row in rows}
    return [request_view(by_number[n]) for n in numbers if n in by_number]


def _department_ids(codes: tuple[str, ...]) -> tuple[list[int], bool]:
    """Department ids of the service codes, and whether ``other`` (no department) was asked."""
    wanted = [c for c in codes if c != OTHER_SERVICE_CODE]
    rows = db.session.execute(
        select(Department.code, Department.id).where(Department.code.in_(wanted))
    ).all()
    found: dict[str, int] = {row.code: row.id for row in rows}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise Open311Error(400, f"service_code: unknown service code {unknown[0][:32]}")
    return list(found.values()), OTHER_SERVICE_CODE in codes


def list_requests(filters: RequestFilters) -> list[dict[str, Any]]:
    """Public-consented requests in the window, newest first, one page of them.

    Raises Open311Error (400) for an unknown service code.
    """
    query = select(Submission).where(
        Submission.public_consent == True,  # noqa: E712 - the partial index's own predicate
        Submission.created_at >= filters.start,
        Submission.created_at < filters.end,
        Submission.kind.in_(_LISTED_KINDS),
    )
    if filters.service_codes:
        department_ids, other = _department_ids(filters.service_codes)
        condition = Submission.department_id.in_(department_ids)
        query = query.where(condition | Submission.department_id.is_(None) if other else condition)
    if len(filters.statuses) == 1:
        closed = Submission.status == CaseStatus.CLOSED.value
        query = query.where(closed if filters.statuses[0] == "closed" else ~closed)
    query = (
        query.order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
    )
    return [request_view(case) for case in db.session.scalars(_with_related(query))]
