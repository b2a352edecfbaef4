"""Canonical JSON of scoring inputs and outputs, so a recomputation compares exactly.

Rules: keys sorted, no whitespace, UTF-8 text kept (ensure_ascii off), dataclasses as objects
of their fields, enums as their values, tuples/lists in their (already deterministic) order,
sets sorted, datetimes in ISO 8601, NaN and infinities refused, and every float rounded to
``CANONICAL_DECIMALS`` with -0.0 written as 0.0.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

__all__ = [
    "CANONICAL_DECIMALS",
    "canonical_json",
    "canonical_sha256",
    "json_differences",
    "to_plain",
]

# Scores are on a 0-100 scale and published with two decimals. Six decimals (a millionth of a
# point) are far finer than anything published and far coarser than float noise (sums over a
# million values differ by ~1e-10 between summation orders), so two correct computations of
# the same inputs agree exactly after rounding.
CANONICAL_DECIMALS = 6


def to_plain(value: Any) -> Any:
    """``value`` as JSON-ready plain data following the canonical rules."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return to_plain(value.value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("canonical JSON cannot hold NaN or infinity")
        rounded = round(value, CANONICAL_DECIMALS)
        return 0.0 if rounded == 0 else rounded
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (f.metadata.get("canonical_omit_empty") and not getattr(value, f.name))
        }
    if isinstance(value, Mapping):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return to_plain(value.total_seconds())
    raise TypeError(f"no canonical form for {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``."""
    return json.dumps(
        to_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of the UTF-8 canonical JSON (what a published period records)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def json_differences(expected: str, actual: str, limit: int = 20) -> list[str]:
    """Paths where two JSON texts differ (at most ``limit``; empty when equal).

    Lines look like ``citizen[3].score: 81.2 != 81.3``, for ``appraisal verify`` to say what
    changed.
    """
    out: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                sub = f"{path}.{key}" if path else key
                if key not in a or key not in b:
                    out.append(f"{sub}: {'缺少' if key not in b else '多出'}")
                else:
                    walk(a[key], b[key], sub)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                out.append(f"{path}: 长度 {len(a)} != {len(b)}")
            for i, (x, y) in enumerate(zip(a, b, strict=False)):
                walk(x, y, f"{path}[{i}]")
        elif a != b or type(a) is not type(b):
            out.append(f"{path}: {a!r} != {b!r}")

    walk(json.loads(expected), json.loads(actual), "")
    return out[:limit]
