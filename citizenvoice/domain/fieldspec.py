"""Declarative field specifications: one table drives validation and the published JSON Schema.

A :class:`FieldSpec` states a field's JSON type, whether it is required, its bounds (length,
range, pattern, allowed values) and a Chinese/English description. The validators in
:mod:`citizenvoice.domain.feedback` read their limits from these specs, and
:func:`object_schema` renders the same specs as the JSON Schema (draft 2020-12, the dialect of
OpenAPI 3.1) of a request body, so the contract published in ``/api/v1/openapi.json`` cannot
drift from what the code accepts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldSpec", "field_table", "object_schema"]

_JSON_TYPES = frozenset({"string", "integer", "number", "boolean"})


@dataclass(frozen=True)
class FieldSpec:
    """One input field: its JSON type, bounds and bilingual description."""

    name: str
    type: str
    label: str
    description_zh: str
    description_en: str
    required: bool = False
    nullable: bool = True
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    default: Any = None
    example: Any = None

    def __post_init__(self) -> None:
        """Refuse a spec no JSON Schema could express (a typo would publish a wrong contract)."""
        if self.type not in _JSON_TYPES:
            raise ValueError(f"{self.name}: unknown JSON type {self.type!r}")

    @property
    def description(self) -> str:
        """The published description: Chinese first, then English."""
        return f"{self.description_zh} / {self.description_en}"

    def json_schema(self) -> dict[str, Any]:
        """This field as a JSON Schema (2020-12) property."""
        schema: dict[str, Any] = {
            "type": [self.type, "null"] if self.nullable else self.type,
            "title": self.label,
            "description": self.description,
        }
        bounds = {
            "minLength": self.min_length,
            "maxLength": self.max_length,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "pattern": self.pattern,
            "default": self.default,
        }
        schema.update({key: value for key, value in bounds.items() if value is not None})
        if self.enum is not None:
            schema["enum"] = [*self.enum, None] if self.nullable else list(self.enum)
        if self.example is not None:
            schema["examples"] = [self.example]
        return schema


def field_table(specs: Iterable[FieldSpec]) -> Mapping[str, FieldSpec]:
    """Index specs by name, refusing duplicates."""
    table: dict[str, FieldSpec] = {}
    for spec in specs:
        if spec.name in table:
            raise ValueError(f"field {spec.name!r} declared twice")
        table[spec.name] = spec
    return table


def object_schema(
    specs: Mapping[str, FieldSpec], *, description: str = "", **extra: Any
) -> dict[str, Any]:
    """A closed JSON object whose properties are ``specs`` (unknown fields are refused)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: spec.json_schema() for name, spec in specs.items()},
        "required": [name for name, spec in specs.items() if spec.required],
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    schema.update(extra)
    return schema
