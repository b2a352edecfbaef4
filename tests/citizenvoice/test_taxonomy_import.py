"""``flask taxonomy import|list`` on PostgreSQL and SQLite: the tree, its routes, its labels.

The row rules (codes, labels, hostile cells) are tested pure in domain/test_taxonomy.py.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from citizenvoice.domain.labels import LabelKind
from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry, CategoryNode, CategoryRoute, Department, TrainingLabel
from citizenvoice.services.labels import labels_for_training
from citizenvoice.services.model_retrain import centre_classes
from citizenvoice.services.taxonomy import read_tree_file, store_tree
from citizenvoice.services.uploads import UploadError


@pytest.fixture
def app(db_app: Flask) -> Flask:
    """Both databases, with two departments; the tree's upserts are dialect-specific SQL."""
    with db_app.app_context():
        db.session.add_all(
            [
                Department(code="zj", name="市住建局", group="市直"),
                Department(code="hb", name="市生态环境局", group="市直"),
            ]
        )
        db.session.commit()
    return db_app


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _run(app: Flask, tmp_path: Path, data: bytes, *args: str, command: str = "taxonomy"):
    path = tmp_path / "tree.csv"
    path.write_bytes(data)
    extra = ["--kind", "category"] if command == "labels" else []
    result = app.test_cli_runner().invoke(args=[command, "import", str(path), *extra, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


TREE = [
    ["一级分类", "二级分类", "编码", "部门"],
    ["城乡建设", "供水", "CX01", "住建局"],
    ["城乡建设", "其他", "CX99", ""],
    ["环境保护", "噪音", "HB01", "hb"],
    ["环境保护", "其他", "HB99", "市生态环境局"],
]


def _tree(app: Flask) -> dict[str, tuple[str, int | None, str | None]]:
    with app.app_context():
        nodes = db.session.scalars(select(CategoryNode)).all()
        return {n.code: (n.label, n.level, n.parent_code) for n in nodes}


def _routes(app: Flask) -> dict[str, str]:
    with app.app_context():
        query = select(CategoryRoute.category, Department.code).join(
            Department, Department.id == CategoryRoute.department_id
        )
        return dict(db.session.execute(query).tuples().all())


def test_a_tree_is_imported_with_its_routes_audited_and_listed(app, tmp_path):
    result = _run(app, tmp_path, _csv(TREE))
    assert result.exit_code == 0, result.output
    tree = _tree(app)
    assert tree["CX01"] == ("供水", 2, tree["CX01"][2]) and len(tree) == 6
    assert tree["CX99"][0] == "城乡建设·其他" and tree["HB99"][0] == "环境保护·其他"
    assert _routes(app) == {"供水": "zj", "噪音": "hb", "环境保护·其他": "hb"}
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        assert entry.action == "taxonomy_import" and entry.actor == "import:tree.csv"
    listed = app.test_cli_runner().invoke(args=["taxonomy", "list", "--level", "2"])
    assert "城乡建设·其他\t" in listed.output and "分拨" in listed.output
    again = _run(app, tmp_path, _csv(TREE))
    assert again.exit_code == 0 and _tree(app) == tree and len(_routes(app)) == 3


def test_a_reimport_drops_what_the_file_no_longer_has(app, tmp_path):
    with app.app_context():  # a seeded route for a name the new tree keeps without a department
        zj = db.session.scalar(select(Department.id).where(Department.code == "zj"))
        db.session.add(CategoryRoute(category="城乡建设·其他", department_id=zj))
        db.session.commit()
    _run(app, tmp_path, _csv(TREE))
    smaller = [TREE[0], ["城乡建设", "供水", "CX01", ""], TREE[3]]
    result = _run(app, tmp_path, _csv(smaller))
    assert result.exit_code == 0, result.output
    assert "删除旧分类 2 个" in result.output
    tree = _tree(app)
    assert len(tree) == 4 and {"CX01", "HB01"} <= set(tree) and "CX99" not in tree
    assert _routes(app) == {"噪音": "hb"}  # 供水 lost its department: the office routes it


def test_refused_rows_are_named_and_exit_1_unreadable_files_exit_2(app, tmp_path):
    rows = [*TREE, ["城乡建设", "供电", "CX01", ""], ["交通", "=cmd|' /C calc'!A0", "", ""]]
    rows.append(["教育", "学校", "", "不存在的局"])
    result = _run(app, tmp_path, _csv(rows))
    assert result.exit_code == 1, result.output
    assert "第 6 行：编码「CX01」已被「供水」使用" in result.output
    assert "第 7 行：二级分类名称「=cmd|' /C calc'!A0」以 = + - @ 开头" in result.output
    assert "第 8 行：部门「不存在的局」不存在或不唯一" in result.output
    assert len(_tree(app)) == 6
    for data in (b"", _csv([["name", "x"], ["a", "b"]]), _csv([["level1"]]), b"\x00\x01binary"):
        assert _run(app, tmp_path, data).exit_code == 2
    dry = _run(app, tmp_path, _csv([TREE[0], ["交通运输", "公交"]]), "--dry-run")
    assert dry.exit_code == 0 and "未保存任何数据" in dry.output and len(_tree(app)) == 6


def test_labels_name_tree_categories_by_label_code_or_unique_name(app, tmp_path):
    before = [["内容", "类别"], ["夜市噪音扰民", "城乡建设"]]
    assert _run(app, tmp_path, _csv(before), command="labels").exit_code == 0  # no tree yet
    _run(app, tmp_path, _csv(TREE))
    rows = [
        ["内容", "类别"],
        ["停水三天", "供水"],
        ["工地夜间施工", "hb01"],
        ["其他问题", "环境保护·其他"],
        ["说不清的问题", "其他"],
        ["公交改线", "交通运输"],
    ]
    result = _run(app, tmp_path, _csv(rows), command="labels")
    assert result.exit_code == 1, result.output
    assert "第 5 行：类别「其他」不是系统中的类别" in result.output
    assert "第 6 行：类别「交通运输」不是系统中的类别" in result.output
    with app.app_context():
        stored = [label.label for label in labels_for_training(LabelKind.CATEGORY)]
        assert sorted(stored) == sorted(["城乡建设", "供水", "噪音", "环境保护·其他"])
        labels, classes = centre_classes(labels_for_training(LabelKind.CATEGORY), "category")
        # 城乡建设 was labelled before the tree and names a level-1 node: level 1 and 2 train
        assert classes == sorted(
            ["城乡建设", "环境保护", "供水", "城乡建设·其他", "噪音", "环境保护·其他"]
        )
        assert len(labels) == 4


def test_two_imports_of_one_tree_at_once_leave_one_tree(app, tmp_path):
    data = _csv(TREE)

    def import_once(_: int) -> int:
        with app.app_context():
            tree = read_tree_file("tree.csv", data)
            counts = store_tree(tree, "import:tree.csv")
            db.session.commit()
            return counts["nodes"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(import_once, range(2))) == [6, 6]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CategoryNode)) == 6
        assert db.session.scalar(select(func.count()).select_from(CategoryRoute)) == 3
        assert db.session.scalar(select(func.count()).select_from(TrainingLabel)) == 0


def test_the_office_page_previews_then_stores_the_tree(app):
    from factories import csrf_token, login, make_user

    make_user(app, "office", None, "office_tree")
    client = login(app, "office_tree")
    page = client.get("/office/taxonomy/import").get_data(as_text=True)
    assert 'id="no-tree"' in page
    bad = [*TREE, ["交通", "=1+1", "", ""]]
    preview = client.post(
        "/office/taxonomy/import",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(_csv(bad)), "tree.csv")},
        content_type="multipart/form-data",
    )
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="confirm-import"' in text
    assert "拒绝 1 行" in text and "疑似公式" in text and _tree(app) == {}
    tampered = client.post(
        "/office/taxonomy/import",
        data={"csrf_token": csrf_token(text), "confirm": "1", "payload": "!!", "sha256": "x"},
    )
    assert tampered.status_code == 400 and _tree(app) == {}
    payload = text.split('name="payload" value="')[1].split('"')[0]
    sha = text.split('name="sha256" value="')[1].split('"')[0]
    done = client.post(
        "/office/taxonomy/import",
        data={
            "csrf_token": csrf_token(text),
            "confirm": "1",
            "payload": payload,
            "sha256": sha,
            "filename": "tree.csv",
        },
    )
    assert done.status_code == 303 and len(_tree(app)) == 6
    assert _routes(app) == {"供水": "zj", "噪音": "hb", "环境保护·其他": "hb"}
    assert "城乡建设·其他" in client.get("/office/taxonomy/import").get_data(as_text=True)


def test_a_file_whose_every_row_is_refused_changes_nothing(app, tmp_path):
    # The file is the tree: storing one with no good row would delete every category and
    # route the office has. CLI, page and service all refuse it and keep what is stored.
    import base64
    import hashlib

    from factories import csrf_token, login, make_user

    assert _run(app, tmp_path, _csv(TREE)).exit_code == 0
    before_tree, before_routes = _tree(app), _routes(app)
    refused = _csv(
        [TREE[0], ["=cmd|' /C calc'!A0", "x", "", ""], ["教育", "学校", "", "没有这个局"]]
    )
    result = _run(app, tmp_path, refused)
    assert result.exit_code == 1, result.output
    assert "没有可导入的分类" in result.output and "已导入" not in result.output
    with app.app_context():
        with pytest.raises(UploadError, match="没有可导入的分类"):
            store_tree(read_tree_file("tree.csv", refused), "office")
        db.session.rollback()
    make_user(app, "office", None, "office_refused")
    client = login(app, "office_refused")
    page = client.get("/office/taxonomy/import").get_data(as_text=True)
    preview = client.post(
        "/office/taxonomy/import",
        data={"csrf_token": csrf_token(page), "file": (io.BytesIO(refused), "tree.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'id="nothing-to-store"' in preview and 'id="confirm-import"' not in preview
    forged = client.post(  # a confirm posted anyway, with the file's own payload and hash
        "/office/taxonomy/import",
        data={
            "csrf_token": csrf_token(preview),
            "confirm": "1",
            "payload": base64.b64encode(refused).decode("ascii"),
            "sha256": hashlib.sha256(refused).hexdigest(),
            "filename": "tree.csv",
        },
    )
    assert forged.status_code == 400 and "没有可导入的分类" in forged.get_data(as_text=True)
    assert _tree(app) == before_tree and _routes(app) == before_routes
