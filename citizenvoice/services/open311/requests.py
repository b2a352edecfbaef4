"""Service requests as Open311 answers them: lookups by public number and public listings.

Only public-consented cases are listed (by date, status or service); a case asked for by its
number answers whatever its consent, but a case not consented answers its status fields only:
no description, address or coordinates. Texts are the public ones of
:mod:`citizenvoice.services.public_text`; the tracking code is never read.

Listings read plain rows (SQLAlchemy Core), not ORM objects: a page holds up to 1,000 cases
and their timelines, and building that many instances cost more than the queries themselves.
The timeline rule is the tracking page's (``is_public_action``, public events only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.localtime import iso_local
from citizenvoice.domain.open311 import Open311Error, RequestFilters, open311_status
from citizenvoice.domain.progress import current_deadline
from citizenvoice.domain.workflow import is_public_action
from citizenvoice.extensions import db
from citizenvoice.models import Department, StatusEvent, Submission
from citizenvoice.models.base import as_utc
from citizenvoice.services.media import public_photo_ids
from citizenvoice.services.open311.catalogue import OTHER_SERVICE_CODE, OTHER_SERVICE_NAME
from citizenvoice.services.public_text import public_redact

__all__ = ["MediaUrl", "list_requests", "requests_by_numbers"]

# Ratings judge a department's service; they are not service requests.
_LISTED_KINDS = (FeedbackKind.COMPLAINT.value, FeedbackKind.SUGGESTION.value)
# The spec's description is at most 4,000 characters; ours are at most 2,000 already.
_MAX_DESCRIPTION = 4000
_COLUMNS = (
    Submission.id,
    Submission.public_number,
    Submission.status,
    Submission.text,
    Submission.location,
    Submission.latitude,
    Submission.longitude,
    Submission.public_consent,
    Submission.created_at,
    Submission.closed_at,
    Submission.sign_due_at,
    Submission.reply_due_at,
    Submission.extensions_used,
    Department.code.label("department_code"),
    Department.name.label("department_name"),
)


class _Timeline:
    """What a listing needs of a case's timeline: the last change and the last public note."""

    __slots__ = ("last_at", "last_note")

    def __init__(self) -> None:
        self.last_at: datetime | None = None
        self.last_note = ""


def _timelines(case_ids: list[int]) -> dict[int, _Timeline]:
    timelines: dict[int, _Timeline] = defaultdict(_Timeline)
    if not case_ids:
        return timelines
    rows = db.session.execute(
        select(
            StatusEvent.submission_id,
            StatusEvent.action,
            StatusEvent.note,
            StatusEvent.public,
            StatusEvent.created_at,
        )
        .where(StatusEvent.submission_id.in_(case_ids))
        .order_by(StatusEvent.id)
    )
    for case_id, action, note, public, at in rows:
        timeline = timelines[case_id]
        at = as_utc(at)
        if timeline.last_at is None or at > timeline.last_at:
            timeline.last_at = at
        if public and is_public_action(action):
            timeline.last_note = note or ""
    return timelines


def _view(case: Row[Any], timeline: _Timeline, media_url: str | None = None) -> dict[str, Any]:
    """One Open311 request; a case without public consent keeps only its status fields."""
    public = bool(case.public_consent)
    status = CaseStatus(case.status)
    deadline = current_deadline(
        status,
        sign_due_at=case.sign_due_at,
        reply_due_at=case.reply_due_at,
        extensions_used=case.extensions_used,
    )
    created = as_utc(case.created_at)
    moments = [created]
    if timeline.last_at is not None:
        moments.append(timeline.last_at)
    if case.closed_at is not None:
        moments.append(as_utc(case.closed_at))
    note = public_redact(timeline.last_note) if public else ""
    return {
        "service_request_id": case.public_number,
        "status": open311_status(case.status),
        "status_notes": f"{status.label}：{note}" if note else status.label,
        "service_name": case.department_name or OTHER_SERVICE_NAME,
        "service_code": case.department_code or OTHER_SERVICE_CODE,
        "description": public_redact(case.text)[:_MAX_DESCRIPTION] if public else None,
        "agency_responsible": case.department_name,
        "service_notice": None,
        "requested_datetime": iso_local(created),
        "updated_datetime": iso_local(max(moments)),
        "expected_datetime": iso_local(deadline.due) if deadline else None,
        "address": (public_redact(case.location) or None) if public else None,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude if public else None,
        "long": case.longitude if public else None,
        "media_url": media_url if public else None,
    }


def _base() -> Select[Any]:
    return select(*_COLUMNS).outerjoin(Department, Department.id == Submission.department_id)


# Builds a photo's public address from its id (the blueprint knows its routes).
MediaUrl = Callable[[str], str]


def _views(rows: list[Row[Any]], media_url: MediaUrl | None) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    timelines = _timelines(ids)
    # The first photo of each public case (public_photo_ids checks the consent itself).
    photos = public_photo_ids(ids) if media_url is not None else {}
    return [
        _view(
            row,
            timelines[row.id],
            media_url(photos[row.id]) if media_url is not None and row.id in photos else None,
        )
        for row in rows
    ]


def requests_by_numbers(
    numbers: list[str], media_url: MediaUrl | None = None
) -> list[dict[str, Any]]:
    """The requests with these public numbers, in the order asked; unknown ones are left out.

    ``media_url`` turns a public case's first photo id into its address (``media_url``).
    """
    if not numbers:
        return []
    rows = db.session.execute(_base().where(Submission.public_number.in_(numbers))).all()
    by_number = {row.public_number: row for row in rows}
    return _views([by_number[n] for n in numbers if n in by_number], media_url)


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


def list_requests(
    filters: RequestFilters, media_url: MediaUrl | None = None
) -> list[dict[str, Any]]:
    """Public-consented requests in the window, newest first, one page of them.

    Raises Open311Error (400) for an unknown service code.
    """
    query = _base().where(
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
    return _views(list(db.session.execute(query).all()), media_url)
