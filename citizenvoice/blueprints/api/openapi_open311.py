"""The Open311 GeoReport v2 part of the OpenAPI document (JSON format; XML mirrors it).

The ``POST requests`` form fields that carry site fields (description, address_string, phone,
service_code, lat, long) take their types and bounds from the same field table as the site and
the JSON API, through the Open311 blueprint's own name mapping. Response schemas follow the
GeoReport v2 types the Open311 tests check against the published schemas.
"""

from __future__ import annotations

from typing import Any

from citizenvoice.blueprints.open311 import views as open311_views
from citizenvoice.domain.feedback_fields import FEEDBACK_FIELDS
from citizenvoice.domain.open311 import MAX_PAGE_SIZE

__all__ = ["OPEN311_ERROR_SCHEMA", "open311_paths"]

_JSON = "application/json"
_TEXT = {"type": "string"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}

OPEN311_ERROR_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": _TEXT},
        "required": ["code", "description"],
    },
}
_SERVICE = {
    "type": "object",
    "properties": {
        "service_code": _TEXT,
        "service_name": _TEXT,
        "description": _TEXT_OR_NULL,
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": _TEXT_OR_NULL,
        "group": _TEXT_OR_NULL,
    },
    "required": ["service_code", "service_name", "metadata", "type"],
}
_REQUEST = {
    "type": "object",
    "properties": {
        "service_request_id": _TEXT,
        "status": {"enum": ["open", "closed"]},
        "status_notes": _TEXT_OR_NULL,
        "service_name": _TEXT_OR_NULL,
        "service_code": _TEXT_OR_NULL,
        "description": _TEXT_OR_NULL,
        "agency_responsible": _TEXT_OR_NULL,
        "requested_datetime": _MOMENT_OR_NULL,
        "updated_datetime": _MOMENT_OR_NULL,
        "expected_datetime": _MOMENT_OR_NULL,
        "address": _TEXT_OR_NULL,
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
    },
    "required": ["service_request_id", "status"],
}

_CREATED = {
    "type": "object",
    "properties": {
        "service_request_id": _TEXT,
        "service_notice": _TEXT_OR_NULL,
        "account_id": _TEXT_OR_NULL,
    },
    "required": ["service_request_id"],
}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "参数有误 / bad input", 403: "API key 无效 / bad key", 404: "未找到 / not found"}
    return {str(c): _answer(text[c], OPEN311_ERROR_SCHEMA) for c in codes}


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema or _TEXT}


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _TEXT,
    }


def post_form_schema() -> dict[str, Any]:
    """The form of ``POST requests.json``: site fields under their Open311 names."""
    site_to_open311 = {**open311_views._PARAM_NAMES, "lat": "lat", "long": "long"}
    properties: dict[str, Any] = {
        open311_name: {**FEEDBACK_FIELDS[site].json_schema(), "type": FEEDBACK_FIELDS[site].type}
        for site, open311_name in site_to_open311.items()
    }
    properties["api_key"] = {**_TEXT, "description": "API key（必填）/ required"}
    for name in ("first_name", "last_name", "email", "media_url"):
        properties[name] = {**_TEXT, "description": "读取但不保存 / read, not kept"}
    properties["attribute[private]"] = {"enum": ["true", "false"]}
    properties["attribute[district]"] = _TEXT
    return {
        "type": "object",
        "properties": properties,
        "required": ["api_key", "service_code", "description"],
    }


def open311_paths() -> dict[str, Any]:
    """The GeoReport v2 paths in their JSON form."""
    tags = ["Open311"]
    listing = [
        _query("service_request_id", "逗号分隔的编号 / comma-separated ids"),
        _query("service_code", "服务代码 / service code"),
        _query("start_date", "ISO 8601"),
        _query("end_date", "ISO 8601"),
        _query("status", "open / closed"),
        _query("page", "页码 / page", {"type": "integer", "minimum": 1}),
        _query("page_size", "每页条数 / page size", {"type": "integer", "maximum": MAX_PAGE_SIZE}),
    ]
    requests = {"type": "array", "items": _REQUEST}
    return {
        "/open311/discovery.json": {
            "get": {
                "operationId": "open311Discovery",
                "tags": tags,
                "summary": "服务发现 / discovery",
                "responses": {"200": _answer("discovery", {"type": "object"})},
            }
        },
        "/open311/v2/services.json": {
            "get": {
                "operationId": "open311Services",
                "tags": tags,
                "summary": "可反映的服务 / services",
                "responses": {"200": _answer("services", {"type": "array", "items": _SERVICE})},
            }
        },
        "/open311/v2/services/{service_code}.json": {
            "get": {
                "operationId": "open311ServiceDefinition",
                "tags": tags,
                "summary": "服务定义 / service definition",
                "parameters": [_path("service_code", "服务代码 / service code")],
                "responses": {
                    "200": _answer("definition", {"type": "object"}),
                    **_errors(400, 404),
                },
            }
        },
        "/open311/v2/requests.json": {
            "get": {
                "operationId": "open311Requests",
                "tags": tags,
                "summary": "诉求列表（仅同意公开的）/ public requests",
                "parameters": listing,
                "responses": {"200": _answer("requests", requests), **_errors(400)},
            },
            "post": {
                "operationId": "open311CreateRequest",
                "tags": tags,
                "summary": "提交诉求 / create a request",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {"schema": post_form_schema()}
                    },
                },
                "responses": {
                    "200": _answer("created", {"type": "array", "items": _CREATED}),
                    **_errors(400, 403),
                },
            },
        },
        "/open311/v2/requests/{service_request_id}.json": {
            "get": {
                "operationId": "open311Request",
                "tags": tags,
                "summary": "单条诉求 / one request",
                "parameters": [_path("service_request_id", "公开编号 / public case number")],
                "responses": {"200": _answer("request", requests), **_errors(404)},
            }
        },
        "/open311/v2/tokens/{token}.json": {
            "get": {
                "operationId": "open311Token",
                "tags": tags,
                "summary": "令牌查编号 / request id of a token",
                "parameters": [_path("token", "token")],
                "responses": {"200": _answer("token", {"type": "array"}), **_errors(404)},
            }
        },
    }
