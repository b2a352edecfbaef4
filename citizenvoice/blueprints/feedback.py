"""Filing resident feedback from a request: the one flow behind the form and the JSON API.

Both channels count the same submissions against the same limit and queue the analysis only
after the submission is committed, so the worker never looks for a row it cannot see yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app

from citizenvoice.blueprints.photos import attach_window, media_storage
from citizenvoice.domain.feedback import Channel
from citizenvoice.extensions import db
from citizenvoice.jobs import request_analysis
from citizenvoice.models import Media, Submission
from citizenvoice.services.feedback import file_feedback
from citizenvoice.services.images import ProcessedPhoto
from citizenvoice.services.media import attach_media, discard_files, store_photo

__all__ = ["file_and_queue", "submission_limit"]


def submission_limit() -> str:
    """The configured submission limit (``SUBMISSION_RATE_LIMIT``), read per request."""
    return str(current_app.config["SUBMISSION_RATE_LIMIT"])


def file_and_queue(
    data: Mapping[str, Any],
    channel: Channel,
    *,
    media_ids: Sequence[str] = (),
    photos: Sequence[ProcessedPhoto] = (),
) -> Submission:
    """File the feedback, commit, and ask for its analysis; roll back on invalid input.

    ``media_ids`` are photos uploaded before (the API), ``photos`` come with the form; both
    are attached in the submission's own transaction. Raises FeedbackValidationError
    (nothing stored, stored photo files removed) for the caller to show field by field.
    """
    stored: list[Media] = []
    storage = media_storage()
    try:
        submission = file_feedback(
            data, channel=channel, pii=current_app.extensions["citizenvoice.pii"]
        )
        attach_media(submission, media_ids, max_age=attach_window())
        for position, photo in enumerate(photos):
            stored.append(store_photo(photo, storage, submission=submission, position=position))
        submission_id = submission.id  # read before commit expires it: saves a reload
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard_files(stored, storage)
        raise
    request_analysis(submission_id)
    return submission
