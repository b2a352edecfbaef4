"""Analyzer: one segmentation pass feeding every step, on real citizen messages."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import pytest

from nlp.datasets import LabelledMessage
from nlp.keywords import DEFAULT_IDF_PATH
from nlp.pipeline import STEPS, Analysis, Analyzer, is_analyzable

CATEGORIES = {
    "城乡建设",
    "劳动和社会保障",
    "教育文体",
    "商贸旅游",
    "环境保护",
    "卫生计生",
    "交通运输",
}
TITLE = "A市A1区某小区物业违规收取停车费"
TEXT = (
    "尊敬的领导：A1区某小区物业公司未经业主同意，利用公共面积向业主收取停车费，"
    "业主多次向物业和社区反映，物业置之不理。请相关部门督促整改。联系电话13812345678。"
)


def _without_timings(a: Analysis) -> Analysis:
    return dataclasses.replace(a, timings_ms=())


def test_analysis_of_a_real_message(analyzer: Analyzer) -> None:
    a = analyzer.analyze(TITLE, TEXT)
    assert a.category in CATEGORIES
    assert a.category == "城乡建设"
    assert 0.0 <= a.category_confidence <= 1.0
    assert len(a.category_top3) == 3
    assert a.category_top3[0][0] == a.category
    probs = [p for _, p in a.category_top3]
    assert probs == sorted(probs, reverse=True)
    assert 0.0 <= a.sentiment <= 1.0
    assert a.sentiment_label in {"negative", "neutral", "positive"}
    words = [w for w, _ in a.keywords]
    assert "停车费" in words
    assert "物业" in words or "物业公司" in words
    assert not a.urgent
    assert a.urgency_level == "none"
    assert "category=" in a.model_version
    assert "sentiment=" in a.model_version
    assert [step for step, _ in a.timings_ms] == list(STEPS)
    assert all(ms >= 0 for _, ms in a.timings_ms)


def test_personal_data_is_redacted_before_segmentation(analyzer: Analyzer) -> None:
    a = analyzer.analyze(TITLE, TEXT)
    assert "13812345678" not in a.text
    assert "138****5678" in a.text
    assert [s.kind for s in a.redactions] == ["mobile"]
    span = a.redactions[0]
    assert a.text[span.start : span.end] == "138****5678"
    # Only the masked form reaches the tokens: the hidden middle digits never do.
    assert not any("1234" in t for t in a.tokens)
    assert "13812345678" not in "".join(a.tokens)
    assert not any("5678" in w for w, _ in a.keywords)  # numbers are never keywords


def test_text_is_normalised(analyzer: Analyzer) -> None:
    a = analyzer.analyze("", "這個小區的噪音擾民問題很嚴重，晚上１２點還在施工")
    assert a.text == "这个小区的噪音扰民问题很严重，晚上12点还在施工"
    assert a.title == ""


def test_urgent_message_uses_category_and_lexicon(analyzer: Analyzer) -> None:
    a = analyzer.analyze(
        "小区燃气泄漏", "A3区某小区楼道闻到很浓的煤气味，疑似燃气泄漏，请马上派人处理！"
    )
    assert a.urgent
    assert a.urgency_level == "critical"
    assert any(r.startswith("燃气泄漏") for r in a.urgency_reasons)


@pytest.mark.parametrize(
    ("title", "text"),
    [("", ""), ("   ", "\n\t \u3000"), ("", "😀😡👍🏻"), ("", "？！。，…"), ("\u200b", "\u200b")],
)
def test_nothing_to_analyse_raises_a_clear_value_error(
    analyzer: Analyzer, title: str, text: str
) -> None:
    assert not is_analyzable(title.strip(), text.strip().replace("\u200b", ""))
    with pytest.raises(ValueError, match="nothing to analyse"):
        analyzer.analyze(title, text)


def test_title_only_message_is_analysed(analyzer: Analyzer) -> None:
    a = analyzer.analyze("A7县教育局违规收取补课费", "")
    assert a.category in CATEGORIES
    assert a.text == ""


def test_100000_character_text_returns_a_result(analyzer: Analyzer) -> None:
    text = "小区楼下餐馆油烟扰民，噪音很大，晚上无法休息。" * 4_348  # ~100,000 characters
    assert len(text) >= 100_000
    a = analyzer.analyze("油烟扰民", text)  # its time: long_text_s of ``python -m nlp bench``
    assert len(a.text) == len(text)  # redaction and normalisation cover the whole text
    assert a.category in CATEGORIES
    assert a.keywords


def test_deterministic_and_batch_equals_single(analyzer: Analyzer) -> None:
    items = [
        (TITLE, TEXT),
        ("", "希望增加公交线路，方便市民出行"),
        ("学校乱收费", "某中学强制收取资料费"),
    ]
    batch = [_without_timings(a) for a in analyzer.analyze_batch(items)]
    single = [_without_timings(analyzer.analyze(t, x)) for t, x in items]
    assert batch == single
    again = [_without_timings(a) for a in analyzer.analyze_batch(items)]
    assert again == batch


def test_batch_error_names_the_message(analyzer: Analyzer) -> None:
    with pytest.raises(ValueError, match="message 1"):
        analyzer.analyze_batch([(TITLE, TEXT), ("", "  ")])
    assert analyzer.analyze_batch([]) == []


def test_analysis_is_frozen(analyzer: Analyzer) -> None:
    a = analyzer.analyze(TITLE, TEXT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.category = "x"  # type: ignore[misc]


@pytest.mark.slow
def test_model_dir_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "keywords").mkdir()
    shutil.copy(DEFAULT_IDF_PATH, tmp_path / "keywords" / "idf.tsv.gz")
    # category/ and sentiment/ fall back to the committed models
    loaded = Analyzer.load(tmp_path)
    assert loaded.analyze(TITLE, TEXT).category == "城乡建设"
    idf_digest = hashlib.sha256((tmp_path / "keywords" / "idf.tsv.gz").read_bytes()).hexdigest()
    assert f"idf={idf_digest[:8]}" in loaded.model_version
    # nlp reads no environment variable: the old one changes nothing.
    monkeypatch.setenv("CITIZENVOICE_NLP_MODEL_DIR", str(tmp_path / "missing"))
    assert Analyzer.load().model_version.startswith("category=")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Analyzer.load(tmp_path / "missing")


def test_real_messages_end_to_end(analyzer: Analyzer, messages: list[LabelledMessage]) -> None:
    sample = [m for m in messages if m.text_source == "original"][:200]
    results = analyzer.analyze_batch([(m.title, m.text) for m in sample])
    accuracy = sum(r.category == m.label for r, m in zip(results, sample, strict=True)) / len(
        sample
    )
    assert accuracy > 0.8  # most of these are training messages: a sanity check, not a metric
    assert all(r.keywords for r in results)
