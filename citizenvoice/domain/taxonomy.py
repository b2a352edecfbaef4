"""A centre's own category tree: file rows, codes and labels (pure, no Flask, no DB).

A tree file has one row per leaf: its names from the first level down (``level1`` ..
``level4``, or 一级分类 .. 四级分类), optional codes per level (``code1`` ..) or for the leaf
(``code``), and an optional department the leaf routes to. Codes missing from the file are
derived from the node's path (a hash), so the same tree gets the same codes whatever the row
order. Names repeat across a real tree (其他 sits under dozens of parents), so each node also
gets a *label*, the name the classifier learns and the analysis stores: its own name when no
other node has it, else the shortest tail of its path that is unique (国土资源·其他).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citizenvoice.domain.department_names import normalise_name
from citizenvoice.domain.export import looks_like_formula
from citizenvoice.domain.inputs import clean_text
from citizenvoice.domain.label_rows import header_columns

__all__ = [
    "MAX_LEVELS",
    "MAX_NAME_CHARS",
    "TaxonomyNode",
    "TaxonomyRow",
    "build_nodes",
    "columns_of",
    "interpret_row",
    "label_lookup",
]

MAX_LEVELS = 4
# The analysis stores a category in 32 characters (analysis.category, category_route).
MAX_NAME_CHARS = 32
MAX_CODE_CHARS = 32
_SEPARATOR = "·"
_LEVEL_WORDS = ("一", "二", "三", "四")


def _headers() -> dict[str, str]:
    headers = {"code": "code", "编码": "code", "分类编码": "code", "department": "department"}
    headers.update({"部门": "department", "承办部门": "department", "承办单位": "department"})
    for n in range(1, MAX_LEVELS + 1):
        word = _LEVEL_WORDS[n - 1]
        for key in (f"level{n}", f"{word}级分类", f"{word}级", f"{word}级类别"):
            headers[key] = f"level{n}"
        for key in (f"code{n}", f"{word}级编码", f"{word}级分类编码"):
            headers[key] = f"code{n}"
    return headers


HEADERS = _headers()


@dataclass(frozen=True)
class TaxonomyRow:
    """One checked row: the leaf's path of names, codes per level (None: derive), department."""

    line: int
    names: tuple[str, ...]
    codes: tuple[str | None, ...]
    department: str = ""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaxonomyNode:
    """One node of the tree; ``department`` is the raw cell naming it (leaves only)."""

    code: str
    name: str
    level: int
    parent_code: str | None
    label: str
    path: tuple[str, ...]
    department: str = ""


def columns_of(header: list[Any]) -> dict[str, int]:
    """Field -> column index for a tree file's header row (as for labels files)."""
    return header_columns(header, HEADERS)


def _text(cells: list[Any], columns: dict[str, int], field: str) -> str:
    index = columns.get(field)
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    value = cells[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(clean_text(str(value)).split())


def _check(value: str, what: str, limit: int, errors: list[str]) -> None:
    if len(value) > limit:
        errors.append(f"{what}过长（最多 {limit} 字）")
    elif looks_like_formula(value):
        errors.append(f"{what}「{value[:40]}」以 = + - @ 开头，疑似公式，不予导入")
    elif _SEPARATOR in value:
        errors.append(f"{what}「{value[:40]}」不能包含“{_SEPARATOR}”")


def interpret_row(line: int, cells: list[Any], columns: dict[str, int]) -> TaxonomyRow:
    """Check one data row: names from level 1 without gaps, codes and department in bounds."""
    errors: list[str] = []
    raw = [_text(cells, columns, f"level{n}") for n in range(1, MAX_LEVELS + 1)]
    depth = max((n for n, name in enumerate(raw, start=1) if name), default=0)
    names = tuple(raw[:depth])
    if not names:
        errors.append("分类名称为空")
    elif not all(names):
        errors.append("分类层级不连续（上一级名称为空）")
    for n, name in enumerate(names, start=1):
        _check(name, f"{_LEVEL_WORDS[n - 1]}级分类名称", MAX_NAME_CHARS, errors)
    codes: list[str | None] = []
    for n in range(1, depth + 1):
        code = _text(cells, columns, f"code{n}") or (
            _text(cells, columns, "code") if n == depth else ""
        )
        _check(code, "编码", MAX_CODE_CHARS, errors)
        codes.append(code or None)
    department = _text(cells, columns, "department")
    _check(department, "部门", 200, errors)
    return TaxonomyRow(line, names, tuple(codes), department, tuple(errors))


def derived_code(path: Sequence[str]) -> str:
    """A node's code when the file gives none: stable for the same path of names."""
    digest = hashlib.sha256("\x1f".join(normalise_name(n) for n in path).encode()).hexdigest()
    return f"T{digest[:10].upper()}"


def _merge(
    rows: Sequence[TaxonomyRow],
) -> tuple[dict[tuple[str, ...], dict[str, Any]], dict[int, str]]:
    """Nodes by normalised path, and a refusal per line whose codes or department conflict."""
    nodes: dict[tuple[str, ...], dict[str, Any]] = {}
    refused: dict[int, str] = {}
    for row in rows:
        for depth in range(1, len(row.names) + 1):
            path = row.names[:depth]
            key = tuple(normalise_name(n) for n in path)
            code = row.codes[depth - 1]
            node = nodes.setdefault(key, {"path": path, "code": code, "department": ""})
            if code and node["code"] and normalise_name(code) != normalise_name(node["code"]):
                refused[row.line] = f"「{path[-1]}」的编码与前面的行不一致（{node['code']}）"
            node["code"] = node["code"] or code
        leaf = nodes[tuple(normalise_name(n) for n in row.names)]
        if row.department:
            if leaf["department"] and normalise_name(leaf["department"]) != normalise_name(
                row.department
            ):
                refused[row.line] = f"「{row.names[-1]}」的部门与前面的行不一致"
            leaf["department"] = leaf["department"] or row.department
    return nodes, refused


def _labels(paths: Sequence[tuple[str, ...]]) -> list[str]:
    """Per path: the shortest tail of names no other path ends with (the full path at worst)."""
    labels = []
    for path in paths:
        for k in range(1, len(path) + 1):
            tail = _SEPARATOR.join(path[-k:])
            clashes = sum(1 for other in paths if _SEPARATOR.join(other[-k:]) == tail)
            if clashes == 1 or k == len(path):
                labels.append(tail)
                break
    return labels


def build_nodes(rows: Sequence[TaxonomyRow]) -> tuple[list[TaxonomyNode], dict[int, str]]:
    """The tree of the good rows (parents first), and a Chinese refusal per conflicting line.

    A line is refused when it gives a node a code or department another line contradicts,
    or its code is already another node's; the tree is built from the other lines.
    """
    refused: dict[int, str] = {}
    while True:  # each round drops at least one line, so this ends
        kept = [row for row in rows if not row.errors and row.line not in refused]
        nodes, found = _build(kept)
        if not found:
            return nodes, refused
        refused.update(found)


def _build(rows: Sequence[TaxonomyRow]) -> tuple[list[TaxonomyNode], dict[int, str]]:
    nodes, refused = _merge(rows)
    keys = list(nodes)
    for key in keys:
        nodes[key]["code"] = nodes[key]["code"] or derived_code(nodes[key]["path"])
    owners: dict[str, tuple[str, ...]] = {}
    for key in keys:
        owner = owners.setdefault(normalise_name(nodes[key]["code"]), key)
        if owner != key:
            line = next(
                r.line for r in rows if tuple(map(normalise_name, r.names))[: len(key)] == key
            )
            refused[line] = f"编码「{nodes[key]['code']}」已被「{nodes[owner]['path'][-1]}」使用"
    labels = _labels([nodes[key]["path"] for key in keys])
    built = []
    for key, label in zip(keys, labels, strict=True):
        node = nodes[key]
        parent = nodes[key[:-1]]["code"] if len(key) > 1 else None
        if len(label) > MAX_NAME_CHARS:
            label = node["code"]  # a deep repeated name: the code is the only short unique one
        built.append(
            TaxonomyNode(
                node["code"],
                node["path"][-1],
                len(key),
                parent,
                label,
                node["path"],
                node["department"],
            )
        )
    built.sort(key=lambda n: n.level)
    return built, refused


def label_lookup(nodes: Sequence[TaxonomyNode]) -> dict[str, str]:
    """Every accepted spelling (label, code, a name no other node has) -> the node's label.

    Keys are normalised (full-width folded, case and spaces ignored), as a label file's cells are.
    """
    names: dict[str, set[str]] = {}
    for node in nodes:
        names.setdefault(normalise_name(node.name), set()).add(node.label)
    lookup = {key: next(iter(found)) for key, found in names.items() if len(found) == 1}
    for node in nodes:
        lookup[normalise_name(node.code)] = node.label
        lookup[normalise_name(node.label)] = node.label
    return lookup
