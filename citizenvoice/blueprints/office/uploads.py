"""The two steps of an office file import: the upload, and its confirmation from the preview.

A file is posted once and previewed (nothing written); the preview page carries the very same
bytes back in hidden fields with their SHA-256, so what is confirmed is what was previewed.
The appraisal's dimension import and the category-tree import both work this way.
"""

from __future__ import annotations

import base64
import hashlib

from flask import request

from citizenvoice.blueprints.inputs import InvalidInput
from citizenvoice.services.uploads import MAX_UPLOAD_BYTES

__all__ = ["IMPORT_BODY_LIMIT", "confirmed_upload", "new_upload"]

# The preview posts the file; the confirmation posts it again as base64 in a form field (4/3
# the size, a little more once url-encoded): twice the file limit holds either.
IMPORT_BODY_LIMIT = 2 * MAX_UPLOAD_BYTES


def new_upload() -> tuple[str, bytes] | None:
    """(file name, bytes) of the uploaded file, or None when no file was chosen."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None
    return upload.filename, upload.read()


def confirmed_upload() -> tuple[str, bytes]:
    """(file name, bytes) carried by the preview page's hidden fields, checked by their hash."""
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except ValueError as exc:  # binascii.Error: the hidden field was altered
        raise InvalidInput("导入数据已损坏，请重新上传文件") from exc
    if hashlib.sha256(data).hexdigest() != request.form.get("sha256"):
        raise InvalidInput("导入数据已损坏，请重新上传文件")
    return request.form.get("filename", "upload.csv"), data
