"""What every photo address shares: the storage of this app and the image response.

Each page that shows photos has its own address for them under its own access rule
(workspace: a staff session that may see the case; tracking page: the tracking code;
/open/: a public-consented case); this module only reads the bytes and answers them. It also
reads the photos the resident's form posts with its text (multipart): each is checked and
re-encoded (services.images) before anything is stored, then stored with the case in one
transaction (blueprints.feedback).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, current_app, request

from citizenvoice.models import Media
from citizenvoice.services.images import MAX_PHOTO_BYTES, PhotoError, ProcessedPhoto, process_photo
from citizenvoice.services.media import MAX_PHOTOS
from citizenvoice.services.media_storage import (
    MediaStorage,
    StoredFileMissing,
    storage_from_setting,
)

__all__ = [
    "FORM_BODY_LIMIT",
    "FORM_FIELD_LIMIT",
    "attach_window",
    "media_storage",
    "photo_response",
    "read_form_photos",
]

# Each text field of a multipart body. Werkzeug feeds the parser 64 KiB at a time and checks
# this limit against every chunk, file parts included, so it must exceed one chunk; 96 KiB
# does, and still refuses (413) a text far over the 2,000 characters any valid one has.
FORM_FIELD_LIMIT = 96 * 1024
# Three photos of 10 MB and the text fields around them.
FORM_BODY_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + FORM_FIELD_LIMIT


def read_form_photos(field: str = "photos") -> tuple[list[ProcessedPhoto], str | None]:
    """The form's photos, checked and re-encoded, or the first problem in Chinese.

    An empty file input still posts one part without a name: it is not a photo.
    """
    uploads = [f for f in request.files.getlist(field) if f.filename]
    if len(uploads) > MAX_PHOTOS:
        return [], f"最多上传 {MAX_PHOTOS} 张照片"
    photos = []
    max_pixels = int(current_app.config["MEDIA_MAX_PIXELS"])
    for number, upload in enumerate(uploads, start=1):
        try:
            photos.append(
                process_photo(upload.stream.read(MAX_PHOTO_BYTES + 1), max_pixels=max_pixels)
            )
        except PhotoError as exc:
            return [], f"第 {number} 张照片：{exc.message}"
    return photos, None


def media_storage() -> MediaStorage:
    """The app's storage (``MEDIA_STORAGE``: ``MEDIA_DIR`` by default; see docs/photos.md).

    Made once per app and kept: an S3 client holds a connection pool and is thread-safe.
    """
    key = (current_app.config.get("MEDIA_STORAGE"), current_app.config["MEDIA_DIR"])
    cached = current_app.extensions.get("citizenvoice.media_storage")
    if cached is None or cached[0] != key:
        cached = (key, storage_from_setting(current_app.config))
        current_app.extensions["citizenvoice.media_storage"] = cached
    storage: MediaStorage = cached[1]
    return storage


def attach_window() -> timedelta:
    """How long an upload may wait for its case (``MEDIA_UNATTACHED_HOURS``)."""
    return timedelta(hours=float(current_app.config["MEDIA_UNATTACHED_HOURS"]))


def photo_response(media: Media | None, *, cache: str = "private, no-store") -> Response:
    """The photo (``?size=thumb`` for its thumbnail) as a JPEG, or 404."""
    if media is None:
        abort(404)
    name = media.thumb_name if request.args.get("size") == "thumb" else media.stored_name
    try:
        data = media_storage().read(name)
    except StoredFileMissing:
        abort(404)
    response = Response(data, mimetype=media.content_type)
    response.headers["Cache-Control"] = cache
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
