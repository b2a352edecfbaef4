"""Residents' photos in the database: store an upload, attach it to a case, find, prune.

A photo comes in either through ``POST /api/v1/media`` (stored unattached, its random
``public_id`` handed back as ``media_id``) and is then named by ``POST /api/v1/feedback``, or
with the form's multipart POST (stored and attached with the case in one transaction).
Attaching is one conditional UPDATE (``submission_id IS NULL`` and recent), so two cases that
name the same photo at the same moment cannot both get it: the second sees a row count short
and its whole submission is refused. Functions flush, never commit.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select, update

from citizenvoice.domain.feedback import FeedbackValidationError
from citizenvoice.extensions import db
from citizenvoice.models import Media, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.images import ProcessedPhoto
from citizenvoice.services.media_storage import MediaStorage, StorageUnavailable

__all__ = [
    "MAX_PHOTOS",
    "attach_media",
    "discard_files",
    "first_photo_ids",
    "media_ids_from",
    "photo_of_case",
    "photos_of",
    "prune_unattached",
    "public_photo",
    "public_photo_ids",
    "store_photo",
    "unattached_photo",
]

log = logging.getLogger(__name__)

# Photos per case (issue 23): enough to show a problem from a few sides.
MAX_PHOTOS = 3
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{22}")

MEDIA_INVALID = "照片编号无效、已被使用或已过期，请重新上传照片"
MEDIA_SHAPE = f"media 须为最多 {MAX_PHOTOS} 个照片编号（字符串）的数组"
MEDIA_REPEATED = "同一张照片不能重复提交"


def store_photo(
    photo: ProcessedPhoto,
    storage: MediaStorage,
    *,
    submission: Submission | None = None,
    position: int = 0,
) -> Media:
    """Write the photo and its thumbnail to ``storage`` and add its row; flush.

    The files are removed again when the row cannot be flushed; a caller whose later step
    fails deletes them with :func:`discard_files`.
    """
    name = storage.save(photo.data)
    try:
        thumb = storage.save(photo.thumbnail)
    except BaseException:
        _forget(storage, name)
        raise
    now = utcnow()
    media = Media(
        public_id=secrets.token_urlsafe(16),
        submission_id=submission.id if submission is not None else None,
        attached_at=now if submission is not None else None,
        position=position,
        stored_name=name,
        thumb_name=thumb,
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        byte_size=len(photo.data),
        created_at=now,
    )
    try:
        db.session.add(media)
        db.session.flush()
    except BaseException:
        discard_files([media], storage)
        raise
    return media


def discard_files(rows: Sequence[Media], storage: MediaStorage) -> None:
    """Delete the stored files of ``rows`` (after a rolled back transaction).

    Best effort: when the storage is down too, the orphan objects are logged by their random
    names (nothing personal) and the original error goes on to the caller.
    """
    for media in rows:
        _forget(storage, media.stored_name)
        _forget(storage, media.thumb_name)


def _forget(storage: MediaStorage, name: str) -> None:
    try:
        storage.delete(name)
    except StorageUnavailable:
        log.warning("media: orphan object %s left in the storage (storage unavailable)", name)


def media_ids_from(value: Any) -> list[str]:
    """The ``media`` field of the API: up to MAX_PHOTOS distinct ids, or a validation error."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_PHOTOS:
        raise FeedbackValidationError({"media": MEDIA_SHAPE})
    if not all(isinstance(item, str) for item in value):
        raise FeedbackValidationError({"media": MEDIA_SHAPE})
    if len(set(value)) != len(value):
        raise FeedbackValidationError({"media": MEDIA_REPEATED})
    if not all(_PUBLIC_ID.fullmatch(item) for item in value):
        raise FeedbackValidationError({"media": MEDIA_INVALID})
    return list(value)


def attach_media(submission: Submission, public_ids: Sequence[str], *, max_age: timedelta) -> None:
    """Attach unattached, recent photos to ``submission`` in the order given; flush.

    Raises FeedbackValidationError (``media``) unless every id names such a photo: the
    caller rolls the whole submission back. One UPDATE per photo, each conditional on the
    row still being free, so a concurrent case naming the same photo gets a count of 0.
    """
    now = utcnow()
    for position, public_id in enumerate(public_ids):
        result = db.session.execute(
            update(Media)
            .where(
                and_(
                    Media.public_id == public_id,
                    Media.submission_id.is_(None),
                    Media.created_at >= now - max_age,
                )
            )
            .values(submission_id=submission.id, attached_at=now, position=position)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise FeedbackValidationError({"media": MEDIA_INVALID})
    db.session.flush()


def photos_of(submission_id: int) -> list[Media]:
    """The photos attached to a case, in the order the resident gave them."""
    return list(
        db.session.scalars(
            select(Media)
            .where(Media.submission_id == submission_id)
            .order_by(Media.position, Media.id)
        )
    )


def photo_of_case(submission_id: int, public_id: str) -> Media | None:
    """The photo ``public_id`` if it is attached to this case (the caller checked the case)."""
    return db.session.scalar(
        select(Media).where(Media.public_id == public_id, Media.submission_id == submission_id)
    )


def unattached_photo(public_id: str, *, max_age: timedelta) -> Media | None:
    """An upload not yet attached (the uploader's preview); gone once attached or expired."""
    return db.session.scalar(
        select(Media).where(
            Media.public_id == public_id,
            Media.submission_id.is_(None),
            Media.created_at >= utcnow() - max_age,
        )
    )


def public_photo(public_id: str) -> Media | None:
    """A photo of a case whose resident consented to publication, else None."""
    return db.session.scalar(
        select(Media)
        .join(Submission, Submission.id == Media.submission_id)
        .where(Media.public_id == public_id, Submission.public_consent.is_(True))
    )


def public_photo_ids(case_ids: Sequence[int]) -> dict[int, str]:
    """The first photo of each public-consented case among ``case_ids`` (for Open311)."""
    return first_photo_ids(case_ids, public_only=True)


def public_photo_lists(case_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Case id -> every photo id of the public-consented cases among ``case_ids``, in order.

    For the public portal's example cases: a case without consent is simply absent.
    """
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(Media.submission_id, Media.public_id)
        .join(Submission, Submission.id == Media.submission_id)
        .where(Media.submission_id.in_(case_ids), Submission.public_consent.is_(True))
        .order_by(Media.submission_id, Media.position, Media.id)
    )
    out: dict[int, list[str]] = {}
    for case_id, public_id in rows:
        out.setdefault(case_id, []).append(public_id)
    return {case_id: tuple(ids) for case_id, ids in out.items()}


def first_photo_ids(case_ids: Sequence[int], *, public_only: bool = False) -> dict[int, str]:
    """Case id -> its first photo's id, for the cases among ``case_ids`` that have one.

    The caller has checked that the reader may see these cases (or asks ``public_only``).
    """
    if not case_ids:
        return {}
    query = (
        select(Media.submission_id, Media.public_id)
        .join(Submission, Submission.id == Media.submission_id)
        .where(Media.submission_id.in_(case_ids))
        .order_by(Media.submission_id, Media.position, Media.id)
    )
    if public_only:
        query = query.where(Submission.public_consent.is_(True))
    rows = db.session.execute(query)
    first: dict[int, str] = {}
    for case_id, public_id in rows:
        first.setdefault(case_id, public_id)
    return first


def prune_unattached(storage: MediaStorage, *, older_than: datetime) -> int:
    """Delete uploads never attached and created before ``older_than``, files included; flush.

    Each row is deleted with the same ``submission_id IS NULL`` condition, so a photo
    attached while the prune runs is kept.
    """
    candidates = list(
        db.session.scalars(
            select(Media).where(Media.submission_id.is_(None), Media.created_at < older_than)
        )
    )
    removed = 0
    for media in candidates:
        deleted = db.session.execute(
            delete(Media).where(Media.id == media.id, Media.submission_id.is_(None))
        )
        if deleted.rowcount == 1:  # type: ignore[attr-defined]
            storage.delete(media.stored_name)
            storage.delete(media.thumb_name)
            removed += 1
    db.session.flush()
    log.info("media prune: %d unattached uploads deleted", removed)
    return removed
