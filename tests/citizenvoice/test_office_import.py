"""Dimension imports read departments as people write them and show what the office knows."""

from __future__ import annotations

import io

import pytest
from factories import csrf_token, make_user, sign_in
from openpyxl import Workbook

from citizenvoice.domain.department_names import DepartmentResolver
from citizenvoice.services.appraisal import ensure_periods
from citizenvoice.services.dimension_import import preview as import_preview

DEPARTMENTS = [("zjj", "市住房和城乡建设局"), ("cgzf", "市城市管理综合执法局"), ("gaj", "市公安局")]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("zjj", "zjj"),
        ("ZJJ ", "zjj"),
        ("市住房和城乡建设局", "zjj"),
        ("住房和城乡建设局", "zjj"),
        ("住建局", "zjj"),
        ("城管", "cgzf"),
        ("公安局", "gaj"),
        ("ｚｊｊ", "zjj"),  # full-width, as some spreadsheets carry it
        ("城", None),  # never a partial match
        ("市", None),
        ("", None),
    ],
)
def test_resolver_matches_code_name_or_alias_exactly(cell, code):
    assert DepartmentResolver(DEPARTMENTS).resolve(cell) == code


def test_a_key_two_departments_share_is_not_guessed():
    resolver = DepartmentResolver([("a", "市甲局"), ("b", "市乙局")], {"a": ("局",), "b": ("局",)})
    assert resolver.resolve("局") is None and resolver.resolve("甲局") == "a"


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["部门", "维度", "得分"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_preview_accepts_names_and_aliases_and_shows_dimension_names(seeded):
    data = _xlsx(
        [
            ["市交通运输局", "goals", 88],
            ["住建局", "领导考评", "90"],
            ["城管", "创新创优", 1.5],
        ]
    )
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        result = import_preview(period, "s.xlsx", data)
    assert result.ok, [r.errors for r in result.rows]
    assert [r.department for r in result.rows] == ["jtys", "zjj", "cgzf"]
    assert [r.department_name for r in result.rows] == [
        "市交通运输局",
        "市住房和城乡建设局",
        "市城市管理综合执法局",
    ]
    assert [r.dimension for r in result.rows] == ["goals", "leadership", "bonus"]
    assert [r.dimension_name for r in result.rows] == ["目标考核", "领导考评", "创新创优"]


@pytest.mark.parametrize("cell", ["九十", "#DIV/0!", "nan", "80分"])
def test_a_non_numeric_cell_is_shown_as_written(seeded, cell):
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        (row,) = import_preview(period, "s.xlsx", _xlsx([["jtys", "目标考核", cell]])).rows
    assert row.score is None and row.score_text == cell
    assert f"得分不是数字：「{cell}」" in row.errors


def test_import_page_lists_the_known_dimensions_and_shows_the_bad_cell(seeded, client):
    make_user(seeded, "office", username="o1")
    sign_in(seeded, "o1", client=client)
    with seeded.app_context():
        code = next(p for p in ensure_periods() if p.kind == "month").code
    page = client.get(f"/office/periods/{code}/import").get_data(as_text=True)
    known = page[page.index('id="known-dimensions"') :].split("</p>")[0]
    for name in ("目标考核", "领导考评", "创新创优"):
        assert name in known
    token = csrf_token(page)
    body = client.post(
        f"/office/periods/{code}/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(_xlsx([["住建局", "goals", "九十"]])), "s.xlsx"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "市住房和城乡建设局" in body and "目标考核" in body
    assert "得分不是数字：「九十」" in body and 'id="import-blocked"' in body


def test_import_without_a_file_or_with_an_unreadable_one_shows_the_form_again(seeded, client):
    make_user(seeded, "office", username="o1")
    sign_in(seeded, "o1", client=client)
    with seeded.app_context():
        code = next(p for p in ensure_periods() if p.kind == "month").code
    url = f"/office/periods/{code}/import"
    token = csrf_token(client.get(url).get_data(as_text=True))
    for file, message in (
        (None, "请选择文件"),
        ((io.BytesIO(b"\x00\x01 not a table"), "s.xlsx"), ""),
    ):
        data = {"csrf_token": token} | ({"file": file} if file else {})
        response = client.post(url, data=data, content_type="multipart/form-data")
        body = response.get_data(as_text=True)
        assert response.status_code == 400
        assert 'id="known-dimensions"' in body and 'id="import-blocked"' not in body
        assert message in body


def test_cli_import_accepts_names_and_prints_dimension_names(seeded, tmp_path):
    with seeded.app_context():
        code = next(p for p in ensure_periods() if p.kind == "month").code
    path = tmp_path / "s.xlsx"
    path.write_bytes(_xlsx([["卫健委", "领导考评", 91]]))
    result = seeded.test_cli_runner().invoke(
        args=["appraisal", "import", "--period", code, str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "第2行 市卫生健康委员会 领导考评 91.0: OK" in result.output
