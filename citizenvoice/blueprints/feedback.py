"""Filing resident feedback from a request: the one flow behind the form and the JSON API.

Both channels count the same submissions against the same limit and queue the analysis only
after the submission is committed, so the worker never looks for a row it cannot see yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from citizenvoice.domain.feedback import Channel, FeedbackValidationError
from citizenvoice.extensions import db
from citizenvoice.jobs import request_analysis
from citizenvoice.models import Submission
from citizenvoice.services.feedback import file_feedback

__all__ = ["file_and_queue", "submission_limit"]


def submission_limit() -> str:
    """The configured submission limit (``SUBMISSION_RATE_LIMIT``), read per request."""
    return str(current_app.config["SUBMISSION_RATE_LIMIT"])


def file_and_queue(data: Mapping[str, Any], channel: Channel) -> Submission:
    """File the feedback, commit, and ask for its analysis; roll back on invalid input.

    Raises FeedbackValidationError (nothing stored) for the caller to show field by field.
    """
    try:
        submission = file_feedback(
            data, channel=channel, pii=current_app.extensions["citizenvoice.pii"]
        )
    except FeedbackValidationError:
        db.session.rollback()
        raise
    submission_id = submission.id  # read before commit expires it: saves a reload
    db.session.commit()
    request_analysis(submission_id)
    return submission
