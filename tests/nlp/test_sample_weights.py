"""Sample weights in both estimators: the registry trains weak labels at a lower weight."""

from __future__ import annotations

import pytest

from nlp import CategoryClassifier, SentimentModel, default_segmenter

NOISE = "楼下餐馆每晚营业到凌晨噪音很大"
WAGES = "公司拖欠农民工三个月工资"
ROADS = "路口红绿灯坏了车辆拥堵"


def _docs(texts: list[str]) -> tuple[list[str], list[list[str]]]:
    seg = default_segmenter()
    return texts, [seg.content_tokens(t) for t in texts]


@pytest.mark.parametrize(("heavy", "light"), [("环境", "劳动"), ("劳动", "环境")])
def test_a_category_label_with_more_weight_wins_a_contradiction(heavy: str, light: str):
    texts = [f"{NOISE}{i}" for i in range(4)] * 2 + [f"{WAGES}{i}" for i in range(4)]
    texts += [f"{ROADS}{i}" for i in range(4)]
    labels = [heavy] * 4 + [light] * 4 + ["劳动"] * 4 + ["交通"] * 4
    weights = [1.0] * 4 + [0.05] * 4 + [1.0] * 8
    model = CategoryClassifier(calibration_folds=2, min_df=1, hash_bits=16)
    model.fit(*_docs(texts), labels, sample_weight=weights)
    (prediction,) = model.predict(*_docs([NOISE]))
    assert prediction.label == heavy


def test_sample_weights_must_match_the_texts():
    texts, tokens = _docs([NOISE, WAGES, ROADS, NOISE + "啊"])
    with pytest.raises(ValueError, match="sample_weight"):
        CategoryClassifier(calibration_folds=2, min_df=1, hash_bits=16).fit(
            texts, tokens, ["a", "b", "a", "b"], sample_weight=[1.0]
        )
    with pytest.raises(ValueError, match="sample_weight"):
        SentimentModel(min_df=1, hash_bits=16).fit(texts, tokens, [1, 0, 1, 0], sample_weight=[1])


@pytest.mark.parametrize("domain_average", [True, False])
def test_a_sentiment_label_with_more_weight_wins_a_contradiction(domain_average: bool):
    good, bad = "服务态度非常好很满意", "等了很久没人理很失望"
    texts = [good] * 6 + [bad] * 6 + [good] * 6
    labels = [1] * 6 + [0] * 6 + [0] * 6  # the last six contradict the first six
    weights = [1.0] * 12 + [0.02] * 6
    model = SentimentModel(min_df=1, hash_bits=16, domain_average=domain_average)
    model.fit(*_docs(texts), labels, sample_weight=weights)
    assert model.score(*_docs([good]))[0] > 0.5
