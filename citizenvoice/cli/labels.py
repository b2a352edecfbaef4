"""``flask labels ...``: import labelled history, collect the product's labels, count, flag.

``labels import FILE --kind category|sentiment [--dry-run]`` exits 0 when every row was good,
1 when some rows were refused (the good ones are still stored, in one transaction; each refused
row is printed with its line), 2 when the file cannot be read at all or the options are wrong
(nothing is stored). docs/learning.md describes the file format.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import click
from flask.cli import with_appcontext

from citizenvoice.domain.label_rows import LabelRow
from citizenvoice.domain.labels import LabelKind
from citizenvoice.extensions import db
from citizenvoice.services.export import table_to_csv
from citizenvoice.services.label_capture import collect_existing
from citizenvoice.services.label_flags import (
    FlagOutcome,
    flag_disagreements,
    survey_disagreements,
)
from citizenvoice.services.label_import import LabelFile, read_labelled_file, store_rows
from citizenvoice.services.labels import count_labels, labels_for_training
from citizenvoice.services.uploads import UploadError

__all__ = ["labels_group"]

EXIT_SOME_REFUSED = 1
EXIT_UNREADABLE = 2

T = TypeVar("T")
# Rows shown per line of a dry run: enough of the text to recognise it.
_PREVIEW_CHARS = 40
_KIND_NAMES = {"category": "类别", "sentiment": "情感"}
_SOURCE_NAMES = {
    "import": "导入的历史数据",
    "staff_correction": "工作人员更正类别",
    "routing": "办公室分派",
    "follow_up": "回访评价意见",
    "rating": "公开评价（星级）",
    "survey": "问卷意见",
}


@click.group("labels")
def labels_group() -> None:
    """Training labels: import labelled history, collect the product's own, count, flag."""


def _one_line(text: str, limit: int = _PREVIEW_CHARS) -> str:
    """Text for one terminal line: line breaks and tabs as spaces, shortened."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def read_upload_file(path: Path, read: Callable[[str, bytes], T]) -> T:
    """``read(name, bytes)`` of the file, or exit 2 with the reason in Chinese.

    The office's file imports (labels, the category tree) share it: a file that cannot be
    opened or that ``read`` refuses as a whole (UploadError) stores nothing.
    """
    try:
        data = path.read_bytes()
    except OSError:
        click.echo(f"无法读取文件：{path.name}", err=True)
        sys.exit(EXIT_UNREADABLE)
    try:
        return read(path.name, data)
    except UploadError as exc:
        click.echo(f"文件无法导入：{exc}", err=True)
        sys.exit(EXIT_UNREADABLE)


def _read(path: Path, kind: LabelKind) -> LabelFile:
    """The checked rows of a labels file, or exit 2 with the reason in Chinese."""
    return read_upload_file(path, lambda name, data: read_labelled_file(name, data, kind))


class _RefusedRow(Protocol):
    @property
    def line(self) -> int: ...

    @property
    def errors(self) -> tuple[str, ...]: ...


def print_refused(rows: Sequence[_RefusedRow]) -> None:
    """One line per refused row of an office file: its line number and its errors."""
    for row in rows:
        click.echo(f"第 {row.line} 行：{'；'.join(row.errors)}")


def _print_preview(rows: Sequence[LabelRow]) -> None:
    for row in rows:
        moment = row.labelled_at.isoformat(timespec="minutes") if row.labelled_at else "导入时间"
        click.echo(f"第 {row.line} 行\t{row.label}\t{moment}\t{_one_line(row.text)}")


@labels_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind", required=True, type=click.Choice(["category", "sentiment"]), help="What it labels."
)
@click.option("--dry-run", is_flag=True, help="Check and show what would be stored; store nothing.")
@with_appcontext
def import_command(file: Path, kind: str, dry_run: bool) -> None:
    """Import labelled history (CSV or XLSX) as strong labels; see docs/learning.md.

    Exit 0: every row stored. Exit 1: some rows refused (printed with their line), the good
    rows stored. Exit 2: the file could not be read; nothing stored.
    """
    labelled = _read(file, LabelKind(kind))
    good, refused = labelled.good, labelled.refused
    print_refused(refused)
    if dry_run:
        _print_preview(good)
        click.echo(
            f"预览：共 {len(labelled.rows)} 行，可导入 {len(good)} 行，拒绝 {len(refused)} 行；"
            "未保存任何数据"
        )
    else:
        author = f"import:{file.name}"[:200]
        try:
            with click.progressbar(length=len(good), label="导入中", file=sys.stderr) as bar:
                stored = store_rows(labelled, author, progress=bar.update)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        # Rows naming one label twice (a message posted twice, no id column) are stored once.
        click.echo(
            f"共 {len(labelled.rows)} 行：已导入 {stored} 条{_KIND_NAMES[kind]}标签，"
            f"拒绝 {len(refused)} 行（重复的标签只保存一条）"
        )
    if refused:
        sys.exit(EXIT_SOME_REFUSED)


def _print_counts() -> None:
    counts = count_labels()
    if not counts:
        click.echo("标签库为空")
        return
    click.echo("类型\t来源\t强度\t数量")
    for (kind, source, strength), n in sorted(counts.items()):
        strength_name = "强" if strength == "strong" else "弱"
        click.echo(
            f"{_KIND_NAMES.get(kind, kind)}\t{_SOURCE_NAMES.get(source, source)}"
            f"\t{strength_name}\t{n}"
        )
    click.echo(f"合计\t\t\t{sum(counts.values())}")


@labels_group.command("stats")
@with_appcontext
def stats_command() -> None:
    """Stored labels by kind, source and strength."""
    _print_counts()


@labels_group.command("collect")
@with_appcontext
def collect_command() -> None:
    """Capture labels from existing corrections, 评价 and follow-ups (safe to run again)."""
    try:
        total = collect_existing()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    click.echo(f"已从现有记录收集 {total} 条标签（重复运行不会重复保存）")
    _print_counts()


@labels_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--kind", required=True, type=click.Choice(["category", "sentiment"]))
@with_appcontext
def export_command(file: Path, kind: str) -> None:
    """Write the labels of a kind to CSV (cells a spreadsheet would run as formulas neutralised)."""
    rows = [
        (
            r.source,
            r.strength,
            r.label,
            r.raw_value or "",
            r.labelled_at.isoformat(),
            r.title,
            r.text,
        )
        for r in labels_for_training(LabelKind(kind))
    ]
    header = ["来源", "强度", "标签", "原始值", "时间", "标题", "内容"]
    file.write_bytes(table_to_csv(header, rows))
    click.echo(f"已导出 {len(rows)} 条{_KIND_NAMES[kind]}标签到 {file.name}")


def _comment_scorer() -> tuple[Callable[[Sequence[str]], list[float]], str]:
    """A function scoring comments with the analysis sentiment model, and its version."""
    from citizenvoice.jobs.base import get_analyzer
    from nlp import is_analyzable

    analyzer = get_analyzer()

    def score(comments: Sequence[str]) -> list[float]:
        usable = [c for c in comments if is_analyzable("", c)]
        found = iter(a.sentiment for a in analyzer.analyze_batch([("", c) for c in usable]))
        # A comment with nothing to analyse (only punctuation) reads as neutral: never a flag.
        return [next(found) if is_analyzable("", c) else 0.5 for c in comments]

    return score, analyzer.model_version


def _print_outcome(outcome: FlagOutcome, what: str = "回访", verb: str = "标记") -> None:
    click.echo(
        f"已检查 {outcome.checked} 条有意见的满意/不满意{what}，{verb} {outcome.flagged} 条"
        f"评价与意见不一致（{outcome.rate:.1%}）"
    )
    for name, (checked, flagged) in outcome.by_department.items():
        share = flagged / checked if checked else 0.0
        click.echo(f"{name}\t{flagged}/{checked}\t{share:.1%}")


@labels_group.command("flags")
@with_appcontext
def flags_command() -> None:
    """Flag judgements whose comment reads clearly the opposite, for the integrity review."""
    score, version = _comment_scorer()
    try:
        outcome = flag_disagreements(score, version)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _print_outcome(outcome)
    # Survey answers: the same rule, measured only (anonymous, no case to review).
    _print_outcome(survey_disagreements(score), what="问卷答卷", verb="其中")
