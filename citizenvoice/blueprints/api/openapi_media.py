"""The OpenAPI description of the photo endpoints and of ``media`` in a feedback body."""

from __future__ import annotations

from typing import Any

from citizenvoice.blueprints.api.media import MEDIA_CREATED_SCHEMA
from citizenvoice.services.media import MAX_PHOTOS

__all__ = ["MEDIA_PROPERTY", "media_paths"]

_ERROR_REF = {"$ref": "#/components/schemas/Error"}

MEDIA_PROPERTY: dict[str, Any] = {
    "type": ["array", "null"],
    "maxItems": MAX_PHOTOS,
    "uniqueItems": True,
    "items": {"type": "string"},
    "description": (
        f"照片编号（POST /api/v1/media 的 media_id），最多 {MAX_PHOTOS} 个，须未被使用且在有效期内"
        f" / ids from POST /api/v1/media, at most {MAX_PHOTOS}, unused and recent"
    ),
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def media_paths() -> dict[str, Any]:
    """``POST /api/v1/media`` and its preview address."""
    return {
        "/api/v1/media": {
            "post": {
                "operationId": "uploadMedia",
                "summary": "上传照片（JPEG、PNG、WebP、HEIC，≤10 MB）/ upload a photo",
                "tags": ["API v1"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                                "required": ["file"],
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "已保存（去除 EXIF/GPS）/ stored, metadata stripped",
                        "content": {"application/json": {"schema": MEDIA_CREATED_SCHEMA}},
                    },
                    "400": _error("不是可接收的照片（fields.file）/ not an acceptable photo"),
                    "413": _error("文件过大 / body too large"),
                    "429": _error("请求过于频繁 / rate limited"),
                },
            }
        },
        "/api/v1/media/{media_id}": {
            "get": {
                "operationId": "previewMedia",
                "summary": "上传者预览（关联诉求前）/ preview before it is attached",
                "tags": ["API v1"],
                "parameters": [
                    {
                        "name": "media_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "size",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["thumb"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "JPEG",
                        "content": {"image/jpeg": {"schema": {"type": "string"}}},
                    },
                    "404": {"description": "不存在、已关联或已过期 / unknown, attached or expired"},
                },
            }
        },
    }
