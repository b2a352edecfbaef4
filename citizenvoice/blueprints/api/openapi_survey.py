"""The OpenAPI paths of the 社会评价 questionnaire API (``/api/v1/surveys/{code}``).

The schemas follow what :mod:`citizenvoice.blueprints.surveys` answers: the questionnaire
document of ``Questionnaire.as_json`` and the answers body ``submit_answers`` reads; the rating
values come from :class:`~citizenvoice.domain.survey.Rating`.
"""

from __future__ import annotations

from typing import Any

from citizenvoice.domain.survey import Rating

__all__ = ["survey_paths"]

_JSON = "application/json"
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_STRING = {"type": "string"}


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), **extra}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _answer(description, _ERROR_REF)


QUESTIONNAIRE_SCHEMA = _object(
    {
        "campaign": _object(
            {
                "id": {"type": "integer"},
                "name": _STRING,
                "starts_on": {"type": "string", "format": "date"},
                "ends_on": {"type": "string", "format": "date"},
            }
        ),
        "group": _object({"code": _STRING, "name": _STRING}),
        "departments": {
            "type": "array",
            "items": _object({"code": _STRING, "name": _STRING, "description": _STRING}),
        },
        "ratings": {
            "type": "array",
            "items": _object({"value": {"enum": [r.value for r in Rating]}, "label": _STRING}),
        },
        "priorities": {
            "type": "array",
            "description": "优先整改候选事项（可为空）/ candidate issues of the priority question",
            "items": _object({"id": {"type": "integer"}, "title": _STRING, "description": _STRING}),
        },
    }
)
ANSWERS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "answers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["department", "rating"],
                "properties": {
                    "department": {"type": "string", "description": "部门代码 / department"},
                    "rating": {"enum": [r.value for r in Rating]},
                    "comment": {"type": "string"},
                },
            },
        },
        "priority": {
            "type": ["array", "null"],
            "description": "最多 3 个不重复的候选事项 id / up to 3 distinct candidate ids",
            "items": {"type": "integer"},
            "maxItems": 3,
            "uniqueItems": True,
        },
    },
    "required": ["answers"],
}
STORED_SCHEMA = _object({"stored": {"type": "integer"}, "message": _STRING})


def survey_paths() -> dict[str, Any]:
    """``/api/v1/surveys/{code}``: the questionnaire (GET) and one rater's answers (POST)."""
    code = {
        "name": "code",
        "in": "path",
        "required": True,
        "description": "邀请码（每位评价人一个）/ invitation code, one per rater",
        "schema": {"type": "string"},
    }
    refused = {
        "404": _error("邀请码不存在 / unknown code"),
        "429": _error("请求过于频繁 / rate limited"),
    }
    return {
        "/api/v1/surveys/{code}": {
            "get": {
                "operationId": "getSurvey",
                "summary": "社会评价问卷 / the questionnaire of an invitation code",
                "tags": ["API v1"],
                "parameters": [code],
                "responses": {"200": _answer("问卷 / questionnaire", QUESTIONNAIRE_SCHEMA)}
                | refused,
            },
            "post": {
                "operationId": "answerSurvey",
                "summary": "提交评价 / one rater's answers",
                "tags": ["API v1"],
                "parameters": [code],
                "requestBody": {"required": True, "content": {_JSON: {"schema": ANSWERS_SCHEMA}}},
                "responses": {
                    "201": _answer("已保存 / stored", STORED_SCHEMA),
                    "400": _error("内容有误 / invalid, per-field messages"),
                    "409": _error("邀请码已使用 / code already used"),
                    "410": _error("不在评价时间内 / outside the campaign's dates"),
                    "415": _error("须为 JSON / not JSON"),
                }
                | refused,
            },
        }
    }
