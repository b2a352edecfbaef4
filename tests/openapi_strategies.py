"""Hypothesis strategies drawn from the JSON Schemas of an OpenAPI 3.1 document.

A small generator for the subset of JSON Schema the CitizenVoice document uses (type lists,
enum, const, numeric and length bounds, pattern, closed objects, ``$ref`` into components and
``allOf`` of ``if``/``then`` rules, enforced by validating every draw). hypothesis-jsonschema
0.23.1 does not run on the pinned hypothesis (its object strategy calls an internal API that
hypothesis removed), and schemathesis would load its pytest plugin into every run of the suite.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

__all__ = ["any_json", "from_schema"]

_MAX_TEXT = 2100  # a little past the longest bound in the document, to reach it


def any_json(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value: the wrong types a careless or hostile client sends."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=max_leaves,
    )


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), schema.get("maxLength", _MAX_TEXT)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda s: low <= len(s) <= high
        )
    # Lengths near the bounds matter most: draw them on purpose, as well as any length.
    edge = st.sampled_from(sorted({low, min(low + 1, high), max(high - 1, low), high}))
    size = edge | st.integers(low, min(high, 200))
    return size.flatmap(lambda n: st.text(min_size=n, max_size=n))


def _one_type(kind: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        ) | st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "string":
        return _string(schema)
    if kind == "array":  # of scalars (the photo ids of a feedback body)
        return st.lists(
            _one_type(schema["items"]["type"], schema["items"]),
            max_size=schema.get("maxItems", 5),
            unique=bool(schema.get("uniqueItems")),
        )
    raise NotImplementedError(kind)


def _value(schema: dict[str, Any], document: dict[str, Any]) -> st.SearchStrategy[Any]:
    schema = _resolve(schema, document)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type", "string")
    if kinds == "object":
        return _object(schema, document)
    if isinstance(kinds, str):
        kinds = [kinds]
    return st.one_of(*(_one_type(kind, schema) for kind in kinds))


def _object(schema: dict[str, Any], document: dict[str, Any]) -> st.SearchStrategy[dict]:
    required = set(schema.get("required", ()))
    fields = {name: _value(sub, document) for name, sub in schema.get("properties", {}).items()}
    # Optional properties by a boolean each, so every subset of fields is reachable.
    strategy = st.fixed_dictionaries(
        {name: value for name, value in fields.items() if name in required},
        optional={name: value for name, value in fields.items() if name not in required},
    )
    return strategy


def from_schema(schema: dict[str, Any], document: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid against ``schema`` (``$ref``s resolve inside ``document``)."""
    resolved = _resolve(schema, document)
    validator = Draft202012Validator({**resolved, "components": document.get("components", {})})
    return _value(resolved, document).filter(validator.is_valid)
