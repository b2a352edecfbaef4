"""First characters of a regex match, read without CPython's private ``re._parser``."""

from __future__ import annotations

import re

import pytest

from nlp.regex_prefix import first_chars
from nlp.urgency import DEFAULT_LEXICON, load_lexicon


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("火灾|起火", {"火", "起"}),
        ("(?:煤气|燃气)(?:泄漏|漏气)|闻到", {"煤", "燃", "闻"}),
        ("[0-3]{2,}名", {"0", "1", "2", "3"}),
        (r"\d+年", set("0123456789")),
        ("(?:多名|集体)?[^，。]{0,6}中毒", None),  # can start with anything after the optional
        ("(?=[甲乙])(?P<x>甲|乙丙)", {"甲", "乙"}),
        ("了?多年", {"了", "多"}),
        (r"\.\d", {"."}),
        (".火", None),
        ("a*", None),  # can match the empty string
        ("(?i)fire", None),  # inline flags are outside the subset
    ],
)
def test_first_chars(pattern: str, expected: set[str] | None) -> None:
    assert first_chars([pattern]) == expected


def test_every_lexicon_match_starts_with_a_first_char() -> None:
    patterns = [e.pattern for e in load_lexicon(DEFAULT_LEXICON)]
    firsts = first_chars(patterns)
    assert firsts  # the shipped lexicon is inside the subset, so the lookahead is used
    text = (
        "昨晚小区起火，三楼燃气泄漏，闻到很浓的煤气味；20名农民工被拖欠工资，"
        "全小区停电3天，有人跳楼，儿童走失，危及群众生命。"
    )
    starts = {m.group()[0] for p in patterns for m in re.finditer(p, text)}
    assert starts
    assert starts <= firsts
