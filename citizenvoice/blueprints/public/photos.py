"""Photos on the residents' site: a case's photos by its tracking code.

The tracking page's photo address carries the tracking code, so it follows the page's rule:
whoever holds the code sees the case and its photos, nobody else.
"""

from __future__ import annotations

from typing import Any

from citizenvoice.blueprints.photos import photo_response
from citizenvoice.blueprints.public.views import public_blueprint
from citizenvoice.blueprints.security import LOOKUP_LIMIT_SCOPE, lookup_limit
from citizenvoice.extensions import limiter
from citizenvoice.services.feedback import submission_by_tracking_code
from citizenvoice.services.media import photo_of_case

__all__ = ["track_photo"]


@public_blueprint.get("/track/<code>/photos/<media_id>")
@limiter.shared_limit(lookup_limit, scope=LOOKUP_LIMIT_SCOPE)
def track_photo(code: str, media_id: str) -> Any:
    """A photo of the case this tracking code opens (``?size=thumb``: its thumbnail)."""
    submission = submission_by_tracking_code(code)
    media = photo_of_case(submission.id, media_id) if submission is not None else None
    return photo_response(media)
