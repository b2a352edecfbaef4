"""Safe model storage and the hashed n-gram TF-IDF building block."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.modelio import (
    LinearScorer,
    fit_temperature,
    load_arrays,
    save_arrays,
    scores_to_proba,
)
from nlp.vectorize import HashedNgramVectorizer, TermMatcher, _codes

TEXTS = [
    "小区物业乱收停车费\n业主多次反映无果",
    "学校违规补课收费\n家长负担太重",
    "工地夜间施工噪音扰民\n影响居民休息",
    "小区停车费太贵\n物业不作为",
    "",
]
TOKENS = [
    ["小区", "物业", "乱收", "停车费", "业主", "反映"],
    ["学校", "违规", "补课", "收费", "家长", "负担"],
    ["工地", "夜间", "施工", "噪音", "扰民", "居民", "休息"],
    ["小区", "停车费", "物业", "不作为"],
    [],
]


def test_arrays_round_trip_without_pickle(tmp_path: Path) -> None:
    arrays = {"a": np.arange(5, dtype=np.int32), "b": np.ones((2, 3), dtype=np.float16)}
    save_arrays(tmp_path, arrays, {"name": "模型", "n": 3})
    loaded, meta = load_arrays(tmp_path)
    assert meta == {"name": "模型", "n": 3}
    assert set(loaded) == {"a", "b"}
    np.testing.assert_array_equal(loaded["a"], arrays["a"])
    assert loaded["b"].dtype == np.float16


def test_object_arrays_are_refused_on_save_and_load(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="pickle"):
        save_arrays(tmp_path, {"x": np.array([{"a": 1}], dtype=object)}, {})
    # a hand-made npz that needs pickle must not load
    np.savez(tmp_path / "arrays.npz", x=np.array([{"a": 1}], dtype=object))
    (tmp_path / "model.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="allow_pickle"):
        load_arrays(tmp_path)


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"arrays\.npz"):
        load_arrays(tmp_path)


def test_fast_transform_equals_canonical_transform() -> None:
    vec = HashedNgramVectorizer(head_chars=5, min_df=1).fit(TEXTS, TOKENS)
    fast = vec.transform_fast(TEXTS, TOKENS)
    canonical = vec.transform(TEXTS, TOKENS)
    np.testing.assert_allclose(fast.toarray(), canonical.toarray(), rtol=1e-6)
    assert canonical.shape == (5, vec.n_features)
    # every non-empty document has unit norm per block: 3 blocks of weight 1
    norms = np.asarray(canonical.multiply(canonical).sum(axis=1)).ravel()
    assert norms[-1] == 0.0
    assert np.all(norms[:-1] > 0.5)


def test_shared_ngrams_make_similar_documents_closer() -> None:
    vec = HashedNgramVectorizer(min_df=1).fit(TEXTS, TOKENS)
    x = vec.transform(TEXTS, TOKENS).toarray()
    parking_a, school, _, parking_b, _ = x
    assert parking_a @ parking_b > parking_a @ school


def test_unknown_words_and_ngrams_are_ignored() -> None:
    vec = HashedNgramVectorizer(min_df=2).fit(TEXTS, TOKENS)
    assert "小区" in vec.words_
    assert "学校" not in vec.words_  # seen in one document only
    x = vec.transform(["完全陌生的内容☺"], [["陌生", "内容"]])
    assert x.shape == (1, vec.n_features)


def test_vectorizer_round_trip(tmp_path: Path) -> None:
    vec = HashedNgramVectorizer(head_chars=4, min_df=1).fit(TEXTS, TOKENS)
    arrays, meta = vec.to_arrays("v_")
    save_arrays(tmp_path, arrays, {"vec": meta})
    loaded, loaded_meta = load_arrays(tmp_path)
    again = HashedNgramVectorizer.from_arrays(loaded, loaded_meta["vec"], "v_")
    np.testing.assert_array_equal(
        again.transform(TEXTS, TOKENS).toarray(), vec.transform(TEXTS, TOKENS).toarray()
    )


def _found(matcher: TermMatcher, texts: list[str]) -> set[tuple[int, str]]:
    codes, doc = _codes(texts)
    term, where = matcher.find(codes, doc)
    return {(int(d), matcher.terms[int(t)]) for t, d in zip(term, where, strict=True)}


def test_term_matcher_finds_nested_and_overlapping_phrases_inside_one_text() -> None:
    matcher = TermMatcher(
        ["噪音扰民", "噪音", "扰民", "劳动关系与劳动争议", "劳动争议", "物业", "乱"]
    )
    assert matcher.terms == sorted(
        ["噪音扰民", "噪音", "扰民", "劳动关系与劳动争议", "劳动争议", "物业"]
    )
    texts = ["小区噪音扰民严重", "劳动关系与劳动争议调解", "物", "业主反映", "", "噪音"]
    assert _found(matcher, texts) == {
        (0, "噪音扰民"),
        (0, "噪音"),
        (0, "扰民"),
        (1, "劳动关系与劳动争议"),
        (1, "劳动争议"),
        (5, "噪音"),
    }
    # a phrase never matches across the boundary of two texts ("物" + "业主")
    assert not any(term == "物业" for _, term in _found(matcher, texts))


def test_term_matcher_agrees_with_substring_search_on_real_phrases() -> None:
    phrases = ["停车费", "物业管理", "物业", "违规补课", "补课", "收费", "施工噪音", "居民"]
    matcher = TermMatcher(phrases)
    expected = {(i, p) for i, t in enumerate(TEXTS) for p in phrases if p in t}
    assert _found(matcher, TEXTS) == expected


def test_terms_block_adds_one_column_per_phrase_and_round_trips(tmp_path: Path) -> None:
    terms = ["停车费", "物业", "补课", "噪音扰民"]
    vec = HashedNgramVectorizer(min_df=1, terms=terms, terms_weight=0.5).fit(TEXTS, TOKENS)
    plain = HashedNgramVectorizer(min_df=1).fit(TEXTS, TOKENS)
    assert vec.n_features == plain.n_features + 4
    x = vec.transform(TEXTS, TOKENS).toarray()
    block = x[:, plain.n_features :]
    # text 0 has 物业 and 停车费 (not 噪音扰民): two columns of 0.5 / sqrt(2)
    np.testing.assert_allclose(np.sort(block[0])[-2:], [0.5 / np.sqrt(2)] * 2, rtol=1e-6)
    assert np.count_nonzero(block[2]) == 1  # 噪音扰民
    assert np.count_nonzero(block[4]) == 0  # empty text
    np.testing.assert_allclose(x[:, : plain.n_features], plain.transform(TEXTS, TOKENS).toarray())
    np.testing.assert_allclose(vec.transform_fast(TEXTS, TOKENS).toarray(), x, rtol=1e-6)
    arrays, meta = vec.to_arrays("v_")
    save_arrays(tmp_path, arrays, {"vec": meta})
    loaded, loaded_meta = load_arrays(tmp_path)
    again = HashedNgramVectorizer.from_arrays(loaded, loaded_meta["vec"], "v_")
    assert again.terms == tuple(terms)
    np.testing.assert_array_equal(again.transform(TEXTS, TOKENS).toarray(), x)


def test_scorer_probabilities() -> None:
    coef = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    scorer = LinearScorer(coef, np.zeros(2, dtype=np.float32), temperature=0.5)
    from scipy import sparse

    p = scorer.proba(sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 0.0]], dtype=np.float32)))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[0, 0] > 0.85
    np.testing.assert_allclose(p[1], [0.5, 0.5])
    binary = scores_to_proba(np.array([0.0, 100.0, -100.0]), 1.0)
    np.testing.assert_allclose(binary, [0.5, 1.0, 0.0], atol=1e-12)


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 3)) * 3
    true_t = 2.0
    p = scores_to_proba(logits, true_t)
    y = np.array([rng.choice(3, p=row) for row in p])
    assert fit_temperature(logits, y) == pytest.approx(true_t, rel=0.15)
