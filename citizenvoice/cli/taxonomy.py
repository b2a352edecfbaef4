"""``flask taxonomy ...``: import a centre's own category tree, list it.

``taxonomy import FILE [--dry-run]`` exits 0 when every row was good, 1 when some rows were
refused (the good rows are stored), 2 when the file could not be read (nothing stored), like
``labels import``. See docs/learning.md ("A centre's own taxonomy").
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from citizenvoice.cli.labels import print_refused, read_upload_file
from citizenvoice.extensions import db
from citizenvoice.models import Department
from citizenvoice.services.taxonomy import (
    NOTHING_TO_STORE,
    TreeFile,
    read_tree_file,
    store_tree,
    tree_nodes,
)

__all__ = ["taxonomy_group"]

EXIT_SOME_REFUSED = 1


@click.group("taxonomy")
def taxonomy_group() -> None:
    """The centre's own category tree: import it, list it."""


def _read(path: Path) -> TreeFile:
    """The checked rows of the tree file, or exit 2 with the reason in Chinese."""
    return read_upload_file(path, read_tree_file)


@taxonomy_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show the tree; store nothing.")
@with_appcontext
def import_command(file: Path, dry_run: bool) -> None:
    """Import the category tree (CSV or XLSX); the file replaces the stored tree.

    Exit 0: every row stored. Exit 1: some rows refused (printed with their line), the good
    rows stored (none at all when every row is refused). Exit 2: the file could not be read;
    nothing stored.
    """
    tree = _read(file)
    refused = tree.refused
    print_refused(refused)
    parents = {n.parent_code for n in tree.nodes}
    leaves = sum(1 for n in tree.nodes if n.code not in parents)
    if dry_run:
        click.echo(
            f"预览：共 {len(tree.rows)} 行，拒绝 {len(refused)} 行；分类 {len(tree.nodes)} 个"
            f"（末级 {leaves} 个）；未保存任何数据"
        )
    elif not tree.nodes:
        click.echo(NOTHING_TO_STORE)
    else:
        try:
            counts = store_tree(tree, f"import:{file.name}"[:200])
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        click.echo(
            f"共 {len(tree.rows)} 行：已导入分类 {counts['nodes']} 个（末级 {leaves} 个），"
            f"删除旧分类 {counts['removed']} 个，设置分派规则 {counts['routes']} 条，"
            f"拒绝 {len(refused)} 行"
        )
    if refused:
        sys.exit(EXIT_SOME_REFUSED)


@taxonomy_group.command("list")
@click.option("--level", type=click.IntRange(1, 4), default=None, help="Only this level.")
@with_appcontext
def list_command(level: int | None) -> None:
    """Print the stored tree: code, level, label, parent code, department."""
    names = dict(db.session.execute(select(Department.id, Department.name)).tuples().all())
    nodes = [n for n in tree_nodes() if level is None or n.level == level]
    if not nodes:
        click.echo("尚未导入分类体系（使用系统内置的七个一级类别）")
        return
    for node in nodes:
        department = names.get(node.department_id, "") if node.department_id else "分拨"
        click.echo(
            f"{node.code}\t{node.level}\t{node.label}\t{node.parent_code or ''}\t{department}"
        )
    click.echo(f"共 {len(nodes)} 个分类")
