"""keywords: TF-IDF with the committed IDF table, and TextRank, on real message text."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.keywords import DEFAULT_IDF_PATH, KeywordExtractor, is_candidate, textrank
from nlp.segment import Segmenter

MESSAGE = (
    "投诉A市盛世耀凯小区物业无故停水。小区物业公司多次无故停水，业主多次向物业反映，"
    "物业置之不理，停水期间业主生活严重受影响，请相关部门督促物业公司及时恢复供水。"
)


@pytest.fixture(scope="module")
def extractor() -> KeywordExtractor:
    return KeywordExtractor.load()


def test_committed_idf_table_is_small_and_loads(extractor: KeywordExtractor) -> None:
    assert DEFAULT_IDF_PATH.stat().st_size < 1_000_000
    assert extractor.n_documents_ > 10_000
    assert len(extractor.idf_) > 10_000
    # Common words have a low IDF, specific ones a high one.
    assert extractor.idf_["小区"] < extractor.idf_["停水"] < extractor.default_idf_


def test_tfidf_ranks_the_specific_words_of_a_message(
    extractor: KeywordExtractor, segmenter: Segmenter
) -> None:
    keywords = extractor.tfidf(segmenter.content_tokens(MESSAGE), top_k=5)
    words = [w for w, _ in keywords]
    assert "停水" in words
    assert "物业" in words or "物业公司" in words
    weights = [s for _, s in keywords]
    assert weights == sorted(weights, reverse=True)
    assert all(is_candidate(w) for w in words)


def test_textrank_returns_ranked_keywords_with_top_weight_one(segmenter: Segmenter) -> None:
    keywords = textrank(segmenter.content_tokens(MESSAGE), top_k=5)
    assert keywords[0][1] == 1.0
    assert "物业" in [w for w, _ in keywords]
    weights = [s for _, s in keywords]
    assert weights == sorted(weights, reverse=True)


def test_numbers_single_characters_and_negations_are_not_keywords() -> None:
    assert not is_candidate("2019")
    assert not is_candidate("3.5")
    assert not is_candidate("水")
    assert not is_candidate("没有")
    assert is_candidate("A7县")
    assert is_candidate("噪音扰民")


def test_empty_input_gives_empty_lists(extractor: KeywordExtractor) -> None:
    assert extractor.tfidf([]) == []
    assert textrank([]) == []
    assert textrank(["的", "2019", "，"]) == []


def test_single_candidate(extractor: KeywordExtractor) -> None:
    assert textrank(["噪音扰民"]) == [("噪音扰民", 1.0)]
    assert [w for w, _ in extractor.tfidf(["噪音扰民"])] == ["噪音扰民"]


def test_deterministic(extractor: KeywordExtractor, segmenter: Segmenter) -> None:
    tokens = segmenter.content_tokens(MESSAGE)
    assert extractor.tfidf(tokens) == extractor.tfidf(list(tokens))
    assert textrank(tokens) == textrank(list(tokens))


def test_fit_save_load_round_trip(tmp_path: Path) -> None:
    docs = [["噪音扰民", "小区"], ["小区", "停水"], ["小区", "停水", "物业"], ["物业"]]
    fitted = KeywordExtractor(min_df=2).fit(docs)
    assert set(fitted.idf_) == {"小区", "停水", "物业"}
    assert fitted.idf_["小区"] < fitted.idf_["停水"]
    path = tmp_path / "idf.tsv.gz"
    fitted.save(path)
    first_bytes = path.read_bytes()
    loaded = KeywordExtractor.load(path)
    assert loaded.idf_ == pytest.approx(fitted.idf_, abs=1e-6)
    assert loaded.default_idf_ == pytest.approx(fitted.default_idf_, abs=1e-6)
    fitted.save(path)
    assert path.read_bytes() == first_bytes  # reproducible file


def test_fit_on_empty_corpus_raises() -> None:
    with pytest.raises(ValueError, match="empty corpus"):
        KeywordExtractor().fit([])


@pytest.mark.slow
def test_long_input_is_handled(extractor: KeywordExtractor) -> None:
    tokens = ["噪音扰民", "小区", "物业", "停水"] * 25_000
    assert len(extractor.tfidf(tokens)) == 4
    assert len(textrank(tokens)) == 4


@pytest.mark.slow
def test_whole_words_are_dictionary_words_of_a_content_part_of_speech() -> None:
    from nlp.keywords import is_whole_word
    from nlp.segment import default_segmenter

    segmenter = default_segmenter()
    assert segmenter.cut("五里牌镇")[:2] == ["五里", "牌镇"]  # jieba's guesses at a place name
    assert not is_whole_word("牌镇", segmenter)  # in no dictionary
    assert not is_whole_word("五里", segmenter)  # a numeral phrase
    assert not is_whole_word("一个多月", segmenter)
    for word in ("垃圾", "噪音扰民", "物业", "停车场", "投诉"):
        assert is_whole_word(word, segmenter), word
