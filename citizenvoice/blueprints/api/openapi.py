"""The OpenAPI 3.1 document of API v1 and Open311, built from the schemas the code uses.

Nothing here is a copy: the request body of ``POST /api/v1/feedback`` is rendered from
:data:`~citizenvoice.domain.feedback_fields.FEEDBACK_FIELDS` (which ``validate_feedback`` reads),
the response schemas are the ones declared beside the serialisers in
:mod:`citizenvoice.blueprints.api.views`, and the Open311 paths map their parameters onto the
same field table (:mod:`citizenvoice.blueprints.api.openapi_open311`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Response, jsonify

from citizenvoice.blueprints.api import views
from citizenvoice.blueprints.api.openapi_media import MEDIA_PROPERTY, media_paths
from citizenvoice.blueprints.api.openapi_open311 import open311_paths
from citizenvoice.blueprints.api.openapi_survey import survey_paths
from citizenvoice.domain.feedback_fields import FEEDBACK_FIELDS, KIND_REQUIRES
from citizenvoice.domain.fieldspec import object_schema

__all__ = ["feedback_request_schema", "openapi_document"]

_JSON = "application/json"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def feedback_request_schema() -> dict[str, Any]:
    """The JSON Schema of the ``POST /api/v1/feedback`` body, from the field table."""
    schema = object_schema(
        FEEDBACK_FIELDS,
        description="一条投诉、评价或建议 / one complaint, rating or suggestion",
        allOf=[
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {
                    "required": list(names),
                    "properties": {name: {"not": {"type": "null"}} for name in names},
                },
            }
            for kind, names in KIND_REQUIRES.items()
        ],
    )
    schema["properties"]["media"] = MEDIA_PROPERTY
    return schema


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _answer(description, _ERROR_REF)


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _api_paths() -> dict[str, Any]:
    """The /api/v1 paths; every error answer has the one error envelope."""
    limited = {"429": _error("请求过于频繁 / rate limited")}
    return {
        "/api/v1/departments": {
            "get": {
                "operationId": "listDepartments",
                "summary": "部门列表 / active departments",
                "tags": ["API v1"],
                "responses": {"200": _answer("部门 / departments", views.DEPARTMENTS_SCHEMA)},
            }
        },
        "/api/v1/feedback": {
            "post": {
                "operationId": "createFeedback",
                "summary": "提交投诉、评价或建议 / file feedback",
                "tags": ["API v1"],
                "requestBody": {
                    "required": True,
                    "content": {_JSON: {"schema": {"$ref": "#/components/schemas/Feedback"}}},
                },
                "responses": {
                    "201": _answer("已受理 / filed", views.CREATED_SCHEMA),
                    "400": _error("内容有误（fields 按字段说明）/ invalid, per-field messages"),
                    "413": _error("请求体过大 / body too large"),
                    "415": _error("须为 JSON / not JSON"),
                    **limited,
                },
            }
        },
        "/api/v1/feedback/{code}": {
            "get": {
                "operationId": "getFeedback",
                "summary": "按查询码查看办理进度 / a case by its tracking code",
                "tags": ["API v1"],
                "parameters": [_path_parameter("code", "查询码 / tracking code")],
                "responses": {
                    "200": _answer("公开进度 / public view", views.PUBLIC_CASE_SCHEMA),
                    "404": _error("查询码不存在 / unknown code"),
                    **limited,
                },
            }
        },
        "/api/v1/periods": {
            "get": {
                "operationId": "listPeriods",
                "summary": "考核周期 / appraisal periods",
                "tags": ["API v1"],
                "responses": {"200": _answer("周期 / periods", views.PERIODS_SCHEMA)},
            }
        },
        "/api/v1/periods/{code}/scores": {
            "get": {
                "operationId": "getPeriodScores",
                "summary": "已发布的考核结果 / published results of a period",
                "tags": ["API v1"],
                "parameters": [_path_parameter("code", "周期代码 / period code")],
                "responses": {
                    "200": _answer("考核结果 / results", views.PERIOD_SCORES_SCHEMA),
                    "404": _error("周期不存在或未发布 / unknown or not published"),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenAPI",
                "summary": "本文档 / this document",
                "tags": ["API v1"],
                "responses": {"200": _answer("OpenAPI 3.1", {"type": "object"})},
            }
        },
    }


@cache
def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document (built once per process: its inputs are code)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "市民之声 CitizenVoice API",
            "version": "1",
            "summary": "市民诉求提交、进度查询与考核结果 / feedback, case status and results",
            "description": (
                "JSON API v1 与 Open311 GeoReport v2 接口。错误统一为 "
                '`{"error": {"code", "message", "fields"}}`（Open311 为规范的错误列表）。\n\n'
                "JSON API v1 and Open311 GeoReport v2. API v1 errors are "
                '`{"error": {"code", "message", "fields"}}`; Open311 uses the spec\'s error list.'
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "tags": [
            {"name": "API v1", "description": "市民之声 JSON 接口 / CitizenVoice JSON API"},
            {"name": "Open311", "description": "GeoReport v2 (wiki.open311.org/GeoReport_v2)"},
        ],
        "paths": {**_api_paths(), **media_paths(), **survey_paths(), **open311_paths()},
        "components": {
            "schemas": {"Feedback": feedback_request_schema(), "Error": views.ERROR_SCHEMA},
        },
    }


@views.api_blueprint.get("/openapi.json")
def openapi_json() -> Response:
    """``GET /api/v1/openapi.json``: the document, cacheable (it changes only with the code)."""
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
