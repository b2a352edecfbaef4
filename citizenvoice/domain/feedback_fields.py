"""The fields of a piece of resident feedback, declared once (see :mod:`.fieldspec`).

:func:`citizenvoice.domain.feedback.validate_feedback` takes its types, lengths, ranges and
allowed values from :data:`FEEDBACK_FIELDS`; the API accepts exactly these names; and the
OpenAPI document renders them as the request body of ``POST /api/v1/feedback``.
Lengths count characters after cleaning (NFC, CRLF as one line break, invisible characters
dropped), as a textarea's ``maxlength`` does.
"""

from __future__ import annotations

from collections.abc import Mapping

from citizenvoice.domain.fieldspec import FieldSpec, field_table

__all__ = ["FEEDBACK_FIELDS", "KIND_REQUIRES", "RATING_FIELD_NAMES"]


def _score(name: str, label: str, description_zh: str, description_en: str) -> FieldSpec:
    """A 1-5 integer score, optional at this level (a rating requires its overall score)."""
    return FieldSpec(name, "integer", label, description_zh, description_en, minimum=1, maximum=5)


FEEDBACK_FIELDS: Mapping[str, FieldSpec] = field_table(
    [
        FieldSpec(
            "kind",
            "string",
            "类型",
            "诉求类型：投诉、评价或建议",
            "What is filed: complaint, rating or suggestion",
            required=True,
            nullable=False,
            enum=("complaint", "rating", "suggestion"),
            example="complaint",
        ),
        FieldSpec(
            "department",
            "string",
            "部门",
            "被反映部门的代码（见 GET /api/v1/departments）；不确定可留空，评价必填",
            "Department code (see GET /api/v1/departments); may be empty, required on a rating",
            max_length=32,
            example="cgzf",
        ),
        FieldSpec(
            "title",
            "string",
            "标题",
            "标题（可选）",
            "Optional title",
            max_length=100,
            example="路灯不亮",
        ),
        FieldSpec(
            "text",
            "string",
            "内容",
            "诉求内容，须包含文字",
            "The message; must contain letters (Chinese characters count)",
            required=True,
            nullable=False,
            min_length=5,
            max_length=2000,
            example="小区门口的路灯坏了一个多月，晚上出行很不安全，请尽快派人维修。",
        ),
        _score(
            "rating",
            "评分",
            "总体评分 1-5（评价必填，其他类型忽略）",
            "Overall score 1-5 (required on a rating, ignored otherwise)",
        ),
        _score(
            "rating_efficiency",
            "办事效率",
            "办事效率评分 1-5（可选）",
            "Efficiency sub-score 1-5 (optional)",
        ),
        _score(
            "rating_attitude",
            "服务态度",
            "服务态度评分 1-5（可选）",
            "Attitude sub-score 1-5 (optional)",
        ),
        _score(
            "rating_result",
            "办理结果",
            "办理结果评分 1-5（可选）",
            "Result sub-score 1-5 (optional)",
        ),
        FieldSpec(
            "location",
            "string",
            "地点",
            "地点（文字地址，可选）",
            "Free-text address (optional)",
            max_length=200,
        ),
        FieldSpec(
            "contact_phone",
            "string",
            "手机号",
            "联系手机号（可选，11 位；空格和连字符会被去掉）；匿名时不保存",
            "Mobile number (optional, 11 digits; spaces and dashes removed); dropped if anonymous",
            pattern=r"^1[3-9][0-9]{9}$",
            example="13812345678",
        ),
        FieldSpec(
            "contact_email",
            "string",
            "电子邮箱",
            "电子邮箱（可选，用于接收办理进度；最多 254 个字符）；匿名时不保存",
            "E-mail address for progress messages (optional, at most 254 characters); "
            "dropped if anonymous",
            max_length=254,
            example="zhang@example.com",
        ),
        FieldSpec(
            "anonymous",
            "boolean",
            "匿名",
            "是否匿名（匿名时不保存手机号和电子邮箱）",
            "Anonymous: no phone number or e-mail address is kept",
            nullable=False,
            default=False,
        ),
        FieldSpec(
            "lat",
            "number",
            "纬度",
            "纬度（WGS-84，-90 到 90；须与经度同时提供）",
            "Latitude (WGS-84, -90 to 90; together with long)",
            minimum=-90,
            maximum=90,
            example=30.2741,
        ),
        FieldSpec(
            "long",
            "number",
            "经度",
            "经度（WGS-84，-180 到 180；须与纬度同时提供）",
            "Longitude (WGS-84, -180 to 180; together with lat)",
            minimum=-180,
            maximum=180,
            example=120.1551,
        ),
        FieldSpec(
            "public_consent",
            "boolean",
            "同意公开",
            "同意公开（脱敏后在公开页面和 Open311 列表中显示），默认否",
            "Consent to publish (redacted) in public pages and Open311 listings; default false",
            default=False,
        ),
    ]
)

#: The optional 1-5 sub-scores of a rating, in form order.
RATING_FIELD_NAMES = ("rating_efficiency", "rating_attitude", "rating_result")

#: Fields a kind makes required (``validate_feedback`` gives each its own message).
KIND_REQUIRES: Mapping[str, tuple[str, ...]] = {"rating": ("rating", "department")}
