"""normalize: width, whitespace, invisible characters, traditional to simplified."""

from nlp.normalize import normalize


def test_fullwidth_letters_digits_and_ascii_symbols_become_halfwidth() -> None:
    assert normalize("ＡＢＣ１２３＠ｑｑ．ｃｏｍ") == "ABC123@qq.com"
    assert normalize("电话：１３８１２３４５６７８") == "电话：13812345678"


def test_chinese_fullwidth_punctuation_is_kept() -> None:
    text = "您好，请问（A市）何时整改？谢谢！备注：无；"
    assert normalize(text) == text
    assert normalize("“噪音扰民”、《物权法》。") == "“噪音扰民”、《物权法》。"


def test_whitespace_collapses_and_is_stripped() -> None:
    assert normalize("  小区\u3000噪音\t\t扰民\n\n严重  ") == "小区 噪音 扰民 严重"


def test_zero_width_characters_are_removed() -> None:
    assert normalize("占\u200b道\u200d经\ufeff营") == "占道经营"


def test_traditional_becomes_simplified() -> None:
    assert normalize("這裡的噪音擾民問題很嚴重") == "这里的噪音扰民问题很严重"


def test_simplified_text_is_left_alone() -> None:
    text = "A市A1区著名的小区门口占道经营，头发店油烟扰民"
    assert normalize(text) == text


def test_idempotent() -> None:
    text = "  這裡ＡＢＣ\u200b，噪音  "
    once = normalize(text)
    assert normalize(once) == once


def test_empty_and_whitespace_only_give_empty_string() -> None:
    assert normalize("") == ""
    assert normalize(" \u3000\n\t\u200b") == ""


def test_long_text_is_handled() -> None:
    text = "噪音扰民。" * 20_000
    assert normalize(text) == text
