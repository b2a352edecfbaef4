"""Open311 answers in the format the path asks for: ``.json`` or ``.xml`` (UTF-8).

XML follows the GeoReport v2 examples: a root (``services``, ``service_definition``,
``service_requests``, ``discovery``, ``errors``), one element per item, lists in a plural
container with singular children, booleans as ``true``/``false`` and null as an empty element.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree

from flask import Response, request

__all__ = [
    "JSON_TYPE",
    "XML_TYPE",
    "error_response",
    "format_of_path",
    "open311_path",
    "render",
]

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# Lists inside an item: container tag -> child tag.
_CHILD_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all (a stored text never has them; an old row might).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def open311_path(path: str) -> bool:
    """Whether ``path`` is under /open311 (answered in the spec's form, never HTML)."""
    return path == "/open311" or path.startswith("/open311/")


def format_of_path(path: str) -> str:
    """``xml`` when the path ends in .xml, otherwise ``json`` (also for errors)."""
    return "xml" if path.lower().endswith(".xml") else "json"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ElementTree.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), child, key)
    elif isinstance(value, list):
        child_tag = _CHILD_TAGS.get(tag, "item")
        for child in value:
            _fill(ElementTree.SubElement(element, child_tag), child, child_tag)
    else:
        element.text = _text(value)


def to_xml(root: str, item: str | None, payload: Any) -> bytes:
    """``payload`` (a list of items under ``root``, or one dict as ``root``) as UTF-8 XML."""
    element = ElementTree.Element(root)
    if item is None:
        _fill(element, payload, root)
    else:
        for entry in payload:
            _fill(ElementTree.SubElement(element, item), entry, item)
    return bytes(ElementTree.tostring(element, encoding="utf-8", xml_declaration=True))


def render(fmt: str, payload: Any, root: str, item: str | None, status: int = 200) -> Response:
    """The answer in ``fmt``: JSON as is, XML under ``root`` (``item`` per list entry)."""
    if fmt == "xml":
        return Response(to_xml(root, item, payload), status=status, content_type=XML_TYPE)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, content_type=JSON_TYPE)


def error_response(code: int, description: str, headers: dict[str, str] | None = None) -> Response:
    """The spec's error list in the format of the current path, with HTTP status ``code``."""
    response = render(
        format_of_path(request.path),
        [{"code": code, "description": description}],
        "errors",
        "error",
        status=code,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
