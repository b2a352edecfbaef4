"""``POST /api/v1/media``: a resident's photo, stored unattached until a case names it.

The answer is 201 ``{"media_id", "url"}``; ``url`` shows the upload back to whoever holds the
id, only until it is attached (then the case's own rules apply) or expires. A refused file
answers 400 with ``fields.file`` in Chinese, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for

from citizenvoice.blueprints.api.views import _closed, _public_url, api_blueprint
from citizenvoice.blueprints.errors import api_error
from citizenvoice.blueprints.feedback import submission_limit
from citizenvoice.blueprints.inputs import accepts_upload
from citizenvoice.blueprints.photos import (
    FORM_FIELD_LIMIT,
    attach_window,
    media_storage,
    photo_response,
)
from citizenvoice.blueprints.security import no_store
from citizenvoice.extensions import db, limiter
from citizenvoice.services.images import MAX_PHOTO_BYTES, PhotoError, process_photo
from citizenvoice.services.media import discard_files, store_photo, unattached_photo

__all__ = ["MEDIA_BODY_LIMIT", "MEDIA_CREATED_SCHEMA"]

# One photo plus the multipart envelope (boundaries, headers, a stray small field).
MEDIA_BODY_LIMIT = MAX_PHOTO_BYTES + FORM_FIELD_LIMIT

MEDIA_CREATED_SCHEMA = _closed(
    media_id={"type": "string", "description": "照片编号，提交诉求时放入 media / photo id"},
    url={"type": "string", "description": "上传者预览地址（关联诉求前有效）/ preview URL"},
)


@api_blueprint.post("/media")
@accepts_upload(MEDIA_BODY_LIMIT, anonymous=True, field_bytes=FORM_FIELD_LIMIT)
# Every attempt counts (unlike a feedback refused as invalid): each one may be 10 MB to read
# and decode, so refused files must not be free to repeat.
@limiter.limit(submission_limit)
def upload_media() -> Any:
    """Store one photo (multipart field ``file``) and answer its id and preview address."""
    upload = request.files.get("file")
    if upload is None or not request.mimetype.startswith("multipart/"):
        return api_error(
            400,
            "请以 multipart/form-data 上传照片（字段 file）",
            fields={"file": "请选择要上传的照片"},
            code="validation_error",
        )
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    try:
        photo = process_photo(data, max_pixels=int(current_app.config["MEDIA_MAX_PIXELS"]))
    except PhotoError as exc:
        return api_error(400, "照片无法接收", fields={"file": exc.message}, code="invalid_file")
    storage = media_storage()
    media = store_photo(photo, storage)
    public_id = media.public_id
    try:
        db.session.commit()
    except BaseException:  # the row is not there: neither may its files be
        db.session.rollback()
        discard_files([media], storage)
        raise
    url = _public_url(url_for("api.media_preview", media_id=public_id))
    response = jsonify({"media_id": public_id, "url": url})
    response.headers["Location"] = url_for("api.media_preview", media_id=public_id)
    return no_store(response), 201


@api_blueprint.get("/media/<media_id>")
def media_preview(media_id: str) -> Any:
    """The upload itself (``?size=thumb``: its thumbnail) until it is attached or expires."""
    return photo_response(unattached_photo(media_id, max_age=attach_window()))
