"""The tree file's row rules, codes and labels (pure)."""

from __future__ import annotations

from citizenvoice.domain.taxonomy import (
    MAX_NAME_CHARS,
    build_nodes,
    columns_of,
    derived_code,
    interpret_row,
    label_lookup,
)

HEADER = ["level1", "level2", "level3", "code", "department"]


def _rows(table: list[list[object]]):
    columns = columns_of(table[0])
    return [interpret_row(n, cells, columns) for n, cells in enumerate(table[1:], start=2)]


def test_chinese_headers_and_level_codes_are_recognised():
    columns = columns_of(["一级分类", "二级分类", "三级分类", "一级编码", "承办部门", "x"])
    assert columns == {"level1": 0, "level2": 1, "level3": 2, "code1": 3, "department": 4}


def test_derived_codes_do_not_depend_on_row_order():
    table = [HEADER, ["城乡建设", "安全生产", "事故处理"], ["环境保护", "环境污染", "噪音"]]
    first, _ = build_nodes(_rows(table))
    second, _ = build_nodes(_rows([HEADER, table[2], table[1]]))
    assert {n.code for n in first} == {n.code for n in second}
    assert derived_code(["城乡建设"]) == derived_code([" 城乡建设 "])


def test_repeated_names_get_the_shortest_unique_tail_as_label():
    table = [
        HEADER,
        ["城乡建设", "安全生产", "事故处理"],
        ["经济管理", "安全生产", "事故处理"],
        ["国土资源", "其他"],
        ["民政", "其他"],
        ["民政", "优抚"],
    ]
    nodes, refused = build_nodes(_rows(table))
    assert not refused
    labels = {n.label for n in nodes}
    assert {"城乡建设·安全生产·事故处理", "国土资源·其他", "民政·其他", "优抚"} <= labels
    lookup = label_lookup(nodes)
    assert lookup["优抚"] == "优抚" and "其他" not in lookup  # ambiguous: a code or label is needed
    assert len(labels) == len(nodes)


def test_file_codes_are_kept_and_conflicts_refuse_the_line():
    table = [
        ["level1", "level2", "code1", "code2"],
        ["城乡建设", "供水", "A", "A01"],
        ["城乡建设", "供电", "B", "A02"],  # level-1 code contradicts line 2
        ["环境保护", "噪音", "C", "A01"],  # A01 is already 供水's
    ]
    nodes, refused = build_nodes(_rows(table))
    assert "编码与前面的行不一致" in refused[3]
    assert "已被「供水」使用" in refused[4]
    assert {n.code: n.parent_code for n in nodes}["A01"] == "A"


def test_hostile_cells_refuse_their_row_only():
    huge = "路" * (10 * 1024 * 1024)
    table = [
        HEADER,
        ["城乡\x00建设", "供\r\n水", "停水", "", ""],  # NUL removed, line break flattened
        ["=cmd|' /C calc'!A0", "x", "y", "", ""],
        ["城乡建设", huge, "z", "", ""],
        ["城乡建设", "", "断层", "", ""],
        [12.0, None, True, "", '=HYPERLINK("x")'],
        ["", "", "", "", ""],
    ]
    rows = _rows(table)
    assert rows[0].errors == () and rows[0].names == ("城乡建设", "供 水", "停水")
    assert "疑似公式" in rows[1].errors[0]
    assert "过长" in rows[2].errors[0]
    assert "不连续" in rows[3].errors[0]
    assert rows[4].names == ("12", "", "True") and any("疑似公式" in e for e in rows[4].errors)
    assert "分类名称为空" in rows[5].errors
    nodes, _ = build_nodes(rows)
    assert {n.name for n in nodes} == {"城乡建设", "供 水", "停水"}
    assert all(len(n.label) <= MAX_NAME_CHARS for n in nodes)
