"""A centre's own category tree: import it, read it, route by it (``flask taxonomy ...``).

Two steps, as for the office's other imports: :func:`read_tree_file` reads and checks every
row and changes nothing (``--dry-run`` stops there); :func:`store_tree` writes the tree in the
caller's transaction. The file is the tree: a re-import upserts every node by its code and
deletes the nodes the file no longer has, so importing the same file again changes nothing and
two imports of it at once end with one tree (INSERT ... ON CONFLICT on both databases). A node
with a department becomes that category's ``category_route`` (the analysis routes by it); a
node without one has its route removed, so its cases go to the office (分拨) like any category
without a route.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, select

from citizenvoice.domain.department_names import DepartmentResolver, normalise_name
from citizenvoice.domain.taxonomy import (
    TaxonomyNode,
    TaxonomyRow,
    build_nodes,
    columns_of,
    interpret_row,
    label_lookup,
)
from citizenvoice.extensions import db
from citizenvoice.models import CategoryNode, CategoryRoute, Department, TrainingLabel
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.bulk import upsert_rows
from citizenvoice.services.uploads import UploadError, read_table

__all__ = [
    "MAX_TREE_ROWS",
    "NOTHING_TO_STORE",
    "TreeFile",
    "category_lookup",
    "read_tree_file",
    "store_tree",
    "stored_classes",
    "tree_classes",
    "tree_nodes",
]

NOTHING_TO_STORE = "文件中没有可导入的分类（所有行都被拒绝），现有分类体系保持不变"

# A national 12345 tree has a few thousand leaves; the bound keeps a hostile file cheap.
MAX_TREE_ROWS = 20_000
_MAX_FILE_BYTES = 16 * 1024 * 1024
_MAX_INFLATED = 128 * 1024 * 1024


@dataclass(frozen=True)
class TreeFile:
    """A read tree file: every row (with its errors) and the tree of the good rows."""

    rows: tuple[TaxonomyRow, ...]
    nodes: tuple[TaxonomyNode, ...]
    departments: dict[str, str]  # raw department cell (normalised) -> department code

    @property
    def refused(self) -> list[TaxonomyRow]:
        """Rows with errors, in file order."""
        return [row for row in self.rows if row.errors]


def _with_departments(
    rows: list[TaxonomyRow], resolver: DepartmentResolver
) -> tuple[list[TaxonomyRow], dict[str, str]]:
    found: dict[str, str] = {}
    checked = []
    for row in rows:
        if row.department and not row.errors:
            code = resolver.resolve(row.department)
            if code is None:
                message = f"部门「{row.department[:40]}」不存在或不唯一（请用部门编码或全称）"
                row = replace(row, errors=(*row.errors, message))
            else:
                found[normalise_name(row.department)] = code
        checked.append(row)
    return checked, found


def read_tree_file(filename: str, data: bytes) -> TreeFile:
    """Read and check every row; raises UploadError (Chinese) for an unreadable file."""
    table = read_table(
        filename,
        data,
        max_rows=MAX_TREE_ROWS + 1,
        max_bytes=_MAX_FILE_BYTES,
        max_inflated=_MAX_INFLATED,
    )
    if not table:
        raise UploadError("文件为空")
    columns = columns_of(table[0])
    if "level1" not in columns:
        raise UploadError("表头无法识别：需要“level1”（或“一级分类”）列")
    if len(table) < 2:
        raise UploadError("文件中没有数据行")
    rows = [interpret_row(line, cells, columns) for line, cells in enumerate(table[1:], start=2)]
    active = db.session.execute(
        select(Department.code, Department.name).where(Department.active.is_(True))
    ).tuples()
    rows, departments = _with_departments(rows, DepartmentResolver(list(active)))
    nodes, conflicts = build_nodes(rows)
    rows = [
        replace(row, errors=(*row.errors, conflicts[row.line])) if row.line in conflicts else row
        for row in rows
    ]
    return TreeFile(tuple(rows), tuple(nodes), departments)


def _department_ids(tree: TreeFile) -> dict[str, int]:
    codes = set(tree.departments.values())
    if not codes:
        return {}
    return dict(
        db.session.execute(select(Department.code, Department.id).where(Department.code.in_(codes)))
        .tuples()
        .all()
    )


def _node_rows(tree: TreeFile) -> list[dict[str, Any]]:
    ids = _department_ids(tree)
    now = utcnow()
    rows = []
    for node in tree.nodes:
        code = tree.departments.get(normalise_name(node.department)) if node.department else None
        rows.append(
            {
                "code": node.code,
                "name": node.name,
                "label": node.label,
                "level": node.level,
                "parent_code": node.parent_code,
                "department_id": ids.get(code) if code else None,
                "imported_at": now,
            }
        )
    return rows


def store_tree(tree: TreeFile, actor: str) -> dict[str, int]:
    """Make the stored tree the file's good rows; routes follow. Flushes; the caller commits.

    Returns counts: nodes stored, nodes removed, routes set, routes removed. A file with no
    good row is refused (UploadError) before anything changes: storing it would delete the
    whole stored tree and every route it set.
    """
    if not tree.nodes:
        raise UploadError(NOTHING_TO_STORE)
    # The audit chain's lock, taken first, also makes two imports at once run one after the other.
    record(actor, "taxonomy_import", "category_tree", len(tree.nodes), {"rows": len(tree.rows)})
    rows = _node_rows(tree)
    codes = [row["code"] for row in rows]
    gone = list(
        db.session.scalars(select(CategoryNode.label).where(CategoryNode.code.not_in(codes)))
    )
    db.session.execute(delete(CategoryNode).where(CategoryNode.code.not_in(codes)))
    upsert_rows(
        CategoryNode.__table__,
        rows,
        "code",
        ("name", "label", "level", "parent_code", "department_id", "imported_at"),
    )
    routed = [
        {"category": row["label"], "department_id": row["department_id"]}
        for row in rows
        if row["department_id"] is not None
    ]
    upsert_rows(CategoryRoute.__table__, routed, "category", ("department_id",))
    unrouted = [row["label"] for row in rows if row["department_id"] is None] + gone
    removed = db.session.execute(delete(CategoryRoute).where(CategoryRoute.category.in_(unrouted)))
    counts = {
        "nodes": len(rows),
        "removed": len(gone),
        "routes": len(routed),
        "routes_removed": int(getattr(removed, "rowcount", 0) or 0),
    }
    db.session.flush()
    return counts


def tree_nodes() -> list[CategoryNode]:
    """The stored tree, parents before children (by level, then code)."""
    return list(
        db.session.scalars(select(CategoryNode).order_by(CategoryNode.level, CategoryNode.code))
    )


def tree_classes(used: Collection[str]) -> list[str] | None:
    """The tree labels a category model learns, or None without a tree.

    Every tree label at the levels ``used`` (labels given so far) name, level 1 when they name
    none: labels at one level make one flat set of classes, and a shipped name at that level
    keeps its shipped corpus rows.
    """
    return _classes_of(tree_nodes(), used)


def stored_classes() -> list[str] | None:
    """``tree_classes`` of the stored category labels: what staff may correct a case to.

    Without a tree (the usual case, on every inbox and case page) the labels are not read.
    """
    nodes = tree_nodes()
    if not nodes:
        return None
    used = db.session.scalars(
        select(TrainingLabel.label).where(TrainingLabel.kind == "category").distinct()
    )
    return _classes_of(nodes, set(used))


def _classes_of(nodes: list[CategoryNode], used: Collection[str]) -> list[str] | None:
    if not nodes:
        return None
    level_of = {node.label: node.level for node in nodes}
    levels = {level_of[label] for label in used if label in level_of} or {1}
    return sorted(node.label for node in nodes if node.level in levels)


def category_lookup() -> dict[str, str] | None:
    """Every accepted spelling of a tree category -> its label, or None without a tree."""
    nodes = tree_nodes()
    if not nodes:
        return None
    plain = [
        TaxonomyNode(n.code, n.name, n.level, n.parent_code, n.label, (n.name,)) for n in nodes
    ]
    return label_lookup(plain)
