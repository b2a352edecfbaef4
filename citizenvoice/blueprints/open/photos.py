"""The public copy of a photo: only of a case whose resident consented to publication.

Open311 answers ``media_url`` with this address for public cases. The copy is the stored
re-encoded photo, which already carries no EXIF or GPS (services.images); a photo of a case
without consent answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from citizenvoice.blueprints.open.views import open_blueprint
from citizenvoice.blueprints.photos import photo_response
from citizenvoice.services.media import public_photo

__all__ = ["public_case_photo"]


@open_blueprint.get("/photos/<media_id>")
def public_case_photo(media_id: str) -> Any:
    """A public case's photo (``?size=thumb``: its thumbnail); shared caches may keep it."""
    return photo_response(public_photo(media_id), cache="public, max-age=300")
