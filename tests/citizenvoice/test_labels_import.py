"""``flask labels import|stats|export`` on PostgreSQL and SQLite: rows, errors, exit codes.

Hostile files (zip bombs, encodings, formulas, binary) for this path are in
test_hostile_imports.py with the product's other import paths.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from citizenvoice.extensions import db
from citizenvoice.models import TrainingLabel


@pytest.fixture
def app(db_app: Flask) -> Flask:
    """Both databases: the import's upsert is dialect-specific SQL."""
    return db_app


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def _run(app: Flask, tmp_path: Path, name: str, data: bytes, *args: str):
    path = tmp_path / name
    path.write_bytes(data)
    result = app.test_cli_runner().invoke(args=["labels", "import", str(path), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _labels(app: Flask) -> list[TrainingLabel]:
    with app.app_context():
        rows = db.session.scalars(select(TrainingLabel).order_by(TrainingLabel.id)).all()
        db.session.expunge_all()
        return list(rows)


CATEGORY_ROWS = [
    ["编号", "标题", "留言详情", "一级分类", "留言时间"],
    ["m1", "路灯不亮", "A1区人民路路灯坏了一个月", "城乡建设", "2020/1/6 12:09:38"],
    ["m2", "拖欠工资", "公司拖欠三个月工资", "劳动和社会保障", "2020-01-07"],
    ["m3", "噪音", "夜市噪音扰民", "不存在的类别", "2020-01-08"],
    ["m4", "", "", "环境保护", ""],
    ["m5", "公交", "公交车改线不方便", "交通运输", "昨天"],
]


def test_category_import_stores_good_rows_and_names_each_refused_row(app, tmp_path):
    result = _run(app, tmp_path, "history.csv", _csv(CATEGORY_ROWS), "--kind", "category")
    assert result.exit_code == 1, result.output
    assert "第 4 行：类别「不存在的类别」不是系统中的类别" in result.output
    assert "第 5 行：内容为空" in result.output
    assert "第 6 行：时间「昨天」无法识别" in result.output
    assert "已导入 2 条类别标签，拒绝 3 行" in result.output
    stored = _labels(app)
    assert [(r.label, r.source, r.strength, r.kind) for r in stored] == [
        ("城乡建设", "import", "strong", "category"),
        ("劳动和社会保障", "import", "strong", "category"),
    ]
    # Naive times are Beijing time: 12:09:38 +08:00 is 04:09:38 UTC.
    assert stored[0].labelled_at == datetime(2020, 1, 6, 4, 9, 38, tzinfo=UTC)
    assert stored[0].title == "路灯不亮" and stored[0].author == "import:history.csv"


def test_all_good_rows_exit_0_and_reimport_changes_nothing(app, tmp_path):
    rows = [CATEGORY_ROWS[0], *CATEGORY_ROWS[1:3]]
    first = _run(app, tmp_path, "h.csv", _csv(rows), "--kind", "category")
    assert first.exit_code == 0, first.output
    again = _run(app, tmp_path, "h.csv", _csv(rows), "--kind", "category")
    assert again.exit_code == 0
    assert len(_labels(app)) == 2
    # The same texts without an id column are identified by their text: still one row each.
    no_ids = [[r[1], r[2], r[3]] for r in rows]
    _run(app, tmp_path, "h2.csv", _csv(no_ids), "--kind", "category")
    _run(app, tmp_path, "h2.csv", _csv(no_ids), "--kind", "category")
    assert len(_labels(app)) == 4


def test_a_dry_run_prints_what_would_be_stored_and_stores_nothing(app, tmp_path):
    result = _run(app, tmp_path, "h.csv", _csv(CATEGORY_ROWS), "--kind", "category", "--dry-run")
    assert result.exit_code == 1
    assert "第 2 行\t城乡建设" in result.output and "A1区人民路路灯坏了一个月" in result.output
    assert "可导入 2 行，拒绝 3 行；未保存任何数据" in result.output
    assert _labels(app) == []


def test_sentiment_rows_map_stars_and_words(app, tmp_path):
    rows = [
        ["review", "rating", "label", "time"],
        ["很差劲", "1", "", ""],
        ["一般般", "2", "", ""],
        ["还行", "3", "", ""],
        ["不错", "4.0", "", ""],
        ["非常好", "5", "", ""],
        ["服务热情", "", "pos", ""],
        ["推诿扯皮", "", "负面", ""],
        ["六颗星", "6", "", ""],
        ["没标签", "", "maybe", ""],
    ]
    result = _run(app, tmp_path, "s.csv", _csv(rows), "--kind", "sentiment")
    assert result.exit_code == 1
    assert "第 9 行：评分「6」须为 1 到 5 的整数" in result.output
    assert "第 10 行：情感标签「maybe」无法识别" in result.output
    stored = {r.text: (r.label, r.raw_value, r.strength) for r in _labels(app)}
    assert stored == {
        "很差劲": ("neg", "1", "strong"),
        "一般般": ("neg", "2", "strong"),
        "还行": ("neu", "3", "strong"),
        "不错": ("pos", "4", "strong"),
        "非常好": ("pos", "5", "strong"),
        "服务热情": ("pos", "pos", "strong"),
        "推诿扯皮": ("neg", "负面", "strong"),
    }


def test_an_xlsx_with_chinese_headers_and_typed_cells_imports(app, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["内容", "星级", "时间"])
    sheet.append(["办事很快", 5, datetime(2021, 3, 1, 9, 30)])
    sheet.append(["态度差", 1.0, None])
    sheet.append(["数字当评分", "五", None])  # wrong type: a word where a number belongs
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _run(app, tmp_path, "s.xlsx", buffer.getvalue(), "--kind", "sentiment")
    assert result.exit_code == 1, result.output
    assert "第 4 行：评分「五」须为 1 到 5 的整数" in result.output
    stored = {r.text: (r.label, r.labelled_at) for r in _labels(app)}
    assert stored["办事很快"] == ("pos", datetime(2021, 3, 1, 1, 30, tzinfo=UTC))
    assert stored["态度差"][0] == "neg"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件为空"),
        (_csv([["标题", "留言详情", "一级分类"]]), "文件中没有数据行"),
        (_csv([["a", "b"], ["1", "2"]]), "表头无法识别"),
        (b"\x89PNG\r\n\x1a\n" + b"\xff\x80\xfe" * 100, "无法识别文件编码"),
    ],
)
def test_an_unreadable_file_exits_2_and_stores_nothing(app, tmp_path, data, message):
    result = _run(app, tmp_path, "bad.csv", data, "--kind", "category")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert _labels(app) == []


def test_usage_errors_exit_2(app, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(
        args=["labels", "import", str(tmp_path / "nope.csv"), "--kind", "category"]
    )
    assert missing.exit_code == 2 and "无法读取文件" in missing.output
    good = tmp_path / "h.csv"
    good.write_bytes(_csv(CATEGORY_ROWS[:2]))
    assert runner.invoke(args=["labels", "import", str(good), "--kind", "colour"]).exit_code == 2
    assert runner.invoke(args=["labels", "import", str(good)]).exit_code == 2


def test_stats_and_export_after_an_import(app, tmp_path):
    rows = [["内容", "类别"], ["=1+1 小区路灯坏了", "城乡建设"], ["-2+3 工资", "劳动和社会保障"]]
    assert _run(app, tmp_path, "f.csv", _csv(rows), "--kind", "category").exit_code == 0
    runner = app.test_cli_runner()
    stats = runner.invoke(args=["labels", "stats"])
    assert "类别\t导入的历史数据\t强\t2" in stats.output and "合计\t\t\t2" in stats.output
    out = tmp_path / "out.csv"
    exported = runner.invoke(args=["labels", "export", str(out), "--kind", "category"])
    assert exported.exit_code == 0, exported.output
    cells = [row[-1] for row in csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")))]
    # Stored as the text it is, exported so no spreadsheet runs it.
    assert cells[1:] == ["'=1+1 小区路灯坏了", "'-2+3 工资"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TrainingLabel)) == 2
