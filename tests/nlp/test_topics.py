"""Tests for nlp.topics (NMF topics, K by coherence) and nlp.hot_issues (hot-issue index)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.datasets import data_dir, load_messages
from nlp.hot_issues import (
    GROWTH_WEIGHT,
    LIKES_WEIGHT,
    SPAN_WEIGHT,
    VOLUME_WEIGHT,
    HotRecord,
    hot_issue_index,
)
from nlp.segment import default_segmenter
from nlp.topics import TopicModel, choose_k, coherence_by_k, fit_lda

THEMES = {
    "noise": ["噪音", "扰民", "施工", "夜间", "居民", "休息", "工地", "搅拌站"],
    "wages": ["拖欠", "工资", "农民工", "公司", "劳动", "讨薪", "工人", "老板"],
    "school": ["学校", "学生", "补课", "老师", "家长", "教育局", "收费", "孩子"],
    "housing": ["业主", "开发商", "物业", "交房", "房产证", "小区", "质量", "维修"],
}


def _corpus(n: int, seed: int = 0) -> tuple[list[list[str]], list[str]]:
    rng = random.Random(seed)
    docs, labels = [], []
    names = sorted(THEMES)
    for i in range(n):
        theme = names[i % len(names)]
        words = THEMES[theme]
        other = THEMES[names[(i + 1) % len(names)]]
        doc = [rng.choice(words) for _ in range(8)] + [rng.choice(other)] + ["A市", "A3区", "2019"]
        docs.append(doc)
        labels.append(theme)
    return docs, labels


def _small_model(**kwargs: object) -> TopicModel:
    params: dict[str, object] = {"k_grid": (2, 4, 6), "min_df": 1, "max_df": 0.9}
    params.update(kwargs)
    return TopicModel(**params)  # type: ignore[arg-type]


def test_fit_finds_the_planted_themes() -> None:
    docs, labels = _corpus(120)
    model = _small_model().fit(docs)
    assert model.k_ in (2, 4, 6)
    assert set(model.coherence_) == {2, 4, 6}
    assert all({"c_v", "c_npmi"} <= set(v) for v in model.coherence_.values())
    assert sum(model.topic_counts_) == len(docs)
    # Place codes and numbers are never topic words.
    words = {w for topic in model.topic_words_ for w, _ in topic}
    assert not words & {"A市", "A3区", "2019"}
    fixed = _small_model(n_topics=4).fit(docs)
    by_theme: dict[str, set[int]] = {}
    for lab, topic in zip(labels, fixed.labels_.tolist(), strict=True):
        by_theme.setdefault(lab, set()).add(topic)
    # Each planted theme maps to one topic, and the four themes to four topics.
    assert all(len(t) == 1 for t in by_theme.values())
    assert len(set.union(*by_theme.values())) == 4
    assert all("/" in label for label in fixed.topic_labels_)


def test_infer_new_message() -> None:
    docs, _ = _corpus(80)
    model = _small_model(n_topics=4).fit(docs)
    topic, weight = model.infer(["工地", "夜间", "噪音", "扰民", "休息"])
    assert 0 <= topic < 4 and 0.5 < weight <= 1.0
    noise_words = {w for w, _ in model.topic_words_[topic][:4]}
    assert noise_words & set(THEMES["noise"])
    assert model.infer([]) == (-1, 0.0)
    assert model.infer(["完全", "陌生", "词语"]) == (-1, 0.0)
    assert model.infer(["😀", "A市"]) == (-1, 0.0)
    weights = model.transform([["工资"] * 50_000, []])
    assert weights.shape == (2, 4) and weights[1].sum() == 0


def test_deterministic_and_state_round_trip(tmp_path: Path) -> None:
    docs, _ = _corpus(100, seed=3)
    a = _small_model(random_state=4).fit(docs)
    b = _small_model(random_state=4).fit(docs)
    assert a.k_ == b.k_ and a.topic_labels_ == b.topic_labels_
    assert np.array_equal(a.components_, b.components_)
    a.save(tmp_path, "period")
    assert {p.name for p in tmp_path.iterdir()} == {"period.npz", "period.json"}
    loaded = TopicModel.load(tmp_path, "period")
    assert loaded.k_ == a.k_ and loaded.topic_labels_ == a.topic_labels_
    assert loaded.coherence_ == a.coherence_
    probe = ["拖欠", "工资", "农民工"]
    assert loaded.infer(probe) == a.infer(probe)
    assert np.allclose(loaded.transform(docs[:5]), a.transform(docs[:5]))


@pytest.mark.parametrize("docs", [[], [[]], [["😀"], ["A市"]], [["噪音"]]])
def test_too_little_input_is_a_clear_error(docs: list[list[str]]) -> None:
    with pytest.raises(ValueError):
        _small_model().fit(docs)


def test_unfitted_model_refuses_inference() -> None:
    with pytest.raises(ValueError, match="not fitted"):
        TopicModel().infer(["噪音"])


def test_choose_k_needs_both_measures() -> None:
    # c_v alone would pick 5, NPMI alone 20; 10 is good on both.
    coherence = {
        5: {"c_v": 0.72, "c_npmi": 0.05},
        10: {"c_v": 0.70, "c_npmi": 0.16},
        20: {"c_v": 0.60, "c_npmi": 0.17},
    }
    assert choose_k(coherence) == 10
    with pytest.raises(ValueError):
        choose_k({})


def test_coherence_is_higher_for_planted_topics() -> None:
    docs, _ = _corpus(80)
    planted = [THEMES["noise"][:5], THEMES["wages"][:5]]
    mixed = [THEMES["noise"][:3] + THEMES["wages"][:2], [*THEMES["school"][:3], "物业", "交房"]]
    scores = coherence_by_k({1: planted, 2: mixed}, docs)
    assert scores[1]["c_npmi"] > scores[2]["c_npmi"]


def test_lda_comparison_runs() -> None:
    docs, _ = _corpus(60)
    result = fit_lda(docs, 4, model=_small_model(), passes=2, random_state=1)
    assert len(result.labels) == 60 and len(result.topic_words) == 4
    assert set(result.coherence) == {"c_v", "c_npmi"}


# ---------------------------------------------------------------------- hot issues
NOW = datetime(2019, 12, 31, 12, 0)


def test_hot_issue_index_formula_and_order() -> None:
    records = [HotRecord("flat", NOW - timedelta(days=d), 0) for d in (3, 10, 17, 24, 31)]
    records += [HotRecord("rising", NOW - timedelta(days=d / 2), 2) for d in range(5)]
    records += [HotRecord("liked", NOW - timedelta(days=60), 500)]
    result = hot_issue_index(records, now=NOW)
    by_key = {h.key: h for h in result}
    rising = by_key["rising"]
    assert rising.volume == 5 and rising.recent == 5 and rising.likes == 10
    expected = (
        VOLUME_WEIGHT * np.log1p(5)
        + LIKES_WEIGHT * np.log1p(10)
        + GROWTH_WEIGHT * np.log(6 / 1)
        + SPAN_WEIGHT * np.log1p(2.0)
    )
    assert rising.index == pytest.approx(expected, abs=1e-3)
    assert by_key["flat"].growth < 0.5
    assert result[0].key == "rising"
    assert [h.index for h in result] == sorted((h.index for h in result), reverse=True)


def test_hot_issue_index_edges() -> None:
    assert hot_issue_index([]) == []
    one = hot_issue_index([("g1", NOW, 0)])
    assert one[0].span_days == 0 and one[0].volume == 1
    future = hot_issue_index([("g1", NOW, 0), ("g2", NOW + timedelta(days=1), 9)], now=NOW)
    assert [h.key for h in future] == ["g1"]
    with pytest.raises(ValueError):
        hot_issue_index([("g1", NOW, -1)])
    with pytest.raises(ValueError):
        hot_issue_index([("g1", NOW, 1)], recent_days=0)
    # Default "now" is the latest record: results do not depend on the wall clock.
    assert hot_issue_index([("a", NOW, 1)]) == hot_issue_index([("a", NOW, 1)], now=NOW)


@pytest.mark.slow
@pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available")
def test_topics_on_real_messages_relate_to_categories() -> None:
    from sklearn.metrics import normalized_mutual_info_score

    messages = [m for m in load_messages() if m.text_source == "original"][:1200]
    seg = default_segmenter()
    docs = [seg.content_tokens(f"{m.title}\n{m.text}") for m in messages]
    model = TopicModel(k_grid=(7, 10), min_df=2, coherence_docs=600, random_state=1).fit(docs)
    nmi = normalized_mutual_info_score([m.label for m in messages], model.labels_)
    # On the full 10,000-document benchmark NMI is about 0.4; a random split scores ~0.
    assert nmi > 0.2


@settings(max_examples=30, deadline=None)
@given(
    offsets=st.lists(st.floats(0, 90), min_size=1, max_size=20),
    likes=st.lists(st.integers(0, 5000), min_size=1, max_size=20),
    extra=st.integers(1, 1000),
)
def test_more_likes_or_messages_never_lower_the_index(
    offsets: list[float], likes: list[int], extra: int
) -> None:
    records = [
        HotRecord("k", NOW - timedelta(days=d), likes[i % len(likes)])
        for i, d in enumerate(offsets)
    ]
    base = hot_issue_index(records, now=NOW)[0]
    liked = hot_issue_index(
        [*records[:-1], HotRecord("k", records[-1].time, records[-1].likes + extra)], now=NOW
    )[0]
    assert liked.index >= base.index
    more = hot_issue_index([*records, HotRecord("k", NOW, 0)], now=NOW)[0]
    assert more.index >= base.index
    assert base.index >= 0
