"""The Open311 service catalogue: one service per department residents can report to.

A service code is the department's code, so a request posted for a service lands in that
department's inbox exactly as if the resident had picked it on the site; ``other`` is the
site's 不确定 (the classifier or the office routes it). Every service has the same definition
(district, and the client's ``private`` flag).
"""

from __future__ import annotations

from typing import Any

from citizenvoice.models import Department
from citizenvoice.services.departments import active_departments, department_by_code

__all__ = [
    "DISTRICT_ATTRIBUTE",
    "MAX_DISTRICT_LENGTH",
    "OTHER_SERVICE_CODE",
    "OTHER_SERVICE_NAME",
    "PRIVATE_ATTRIBUTE",
    "service_definition",
    "service_list",
    "service_of",
]

OTHER_SERVICE_CODE = "other"
OTHER_SERVICE_NAME = "不确定（由系统分派）"
DISTRICT_ATTRIBUTE = "district"
PRIVATE_ATTRIBUTE = "private"
MAX_DISTRICT_LENGTH = 50


def _service(
    code: str, name: str, group: str, keywords: list[str], description: str
) -> dict[str, Any]:
    return {
        "service_code": code,
        "service_name": name,
        "description": description,
        "metadata": True,
        # The request is filed at once and its id returned in the answer (no token stage).
        "type": "realtime",
        "keywords": ",".join(keywords),
        "group": group,
    }


def _department_service(department: Department) -> dict[str, Any]:
    return _service(
        department.code,
        department.name,
        department.group,
        list(department.aliases or []),
        f"向{department.name}反映问题、提出投诉",
    )


def service_list() -> list[dict[str, Any]]:
    """Every service a client may post to: the active departments, then ``other``."""
    services = [_department_service(d) for d in active_departments()]
    services.append(
        _service(
            OTHER_SERVICE_CODE,
            OTHER_SERVICE_NAME,
            "其他",
            [],
            "不清楚由哪个部门负责时选择此项，系统会自动分派",
        )
    )
    return services


def service_of(code: str) -> dict[str, Any] | None:
    """The service with this code, or None (an unknown or inactive department)."""
    if code == OTHER_SERVICE_CODE:
        return service_list()[-1]
    if not code or len(code) > 32 or not code.isprintable():
        return None
    department = department_by_code(code)
    return _department_service(department) if department is not None else None


def service_definition(code: str) -> dict[str, Any]:
    """The definition of a known service: its attributes (the same for every service)."""
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": DISTRICT_ATTRIBUTE,
                "datatype": "string",
                "required": False,
                "datatype_description": f"文字，不超过 {MAX_DISTRICT_LENGTH} 字",
                "order": 1,
                "description": "问题所在的区县或街道，如：A1区",
                "values": [],
            },
            {
                "variable": True,
                "code": PRIVATE_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "true 或 false",
                "order": 2,
                "description": (
                    "是否不公开。默认公开（隐去个人信息后出现在公开列表中）；"
                    "用户未同意公开时请传 true"
                ),
                "values": [
                    {"key": "false", "name": "同意公开（隐去个人信息）"},
                    {"key": "true", "name": "不公开"},
                ],
            },
        ],
    }
