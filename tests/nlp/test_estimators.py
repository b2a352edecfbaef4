"""Both models follow scikit-learn's estimator conventions and share one storage format."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from nlp import CategoryClassifier, SentimentModel
from nlp.segment import Segmenter

CATEGORY_TEXTS = {
    "交通运输": [
        "公交车晚点严重",
        "地铁站出口拥堵",
        "出租车拒载乘客",
        "道路红绿灯故障",
        "公交线路调整不便",
    ],
    "环境保护": [
        "工厂排放废气刺鼻",
        "河道污水发黑发臭",
        "夜间施工噪音扰民",
        "垃圾焚烧烟雾很大",
        "餐馆油烟污染严重",
    ],
    "教育文体": [
        "学校乱收补课费",
        "幼儿园学位不足",
        "体育场馆不开放",
        "老师体罚学生",
        "学区划分不合理",
    ],
}
SENTIMENT_TEXTS = {
    1: [
        "服务很好，非常满意",
        "处理及时，感谢",
        "态度热情，点赞",
        "很快解决了，好评",
        "工作人员耐心细致",
    ],
    0: [
        "态度很差，不满意",
        "拖了很久没人管",
        "推诿扯皮，太差了",
        "投诉多次无果，失望",
        "敷衍了事，差评",
    ],
}


def _documents(
    by_label: dict[Any, list[str]], segmenter: Segmenter
) -> tuple[list[tuple[str, list[str]]], list[Any]]:
    x = [(t, segmenter.content_tokens(t)) for texts in by_label.values() for t in texts]
    y = [label for label, texts in by_label.items() for _ in texts]
    return x, y


def _small_category() -> CategoryClassifier:
    return CategoryClassifier(min_df=1, hash_bits=14, calibration_folds=2, head_chars=4)


def _small_sentiment() -> SentimentModel:
    return SentimentModel(min_df=1, hash_bits=14, domain_average=False)


def _accuracy(model: Any, x: Sequence[tuple[str, list[str]]], y: Sequence[Any]) -> float:
    if isinstance(model, CategoryClassifier):
        predicted = [p.label for p in model.predict(x)]
    else:
        predicted = [int(s >= 0.5) for s in model.score(x)]
    return float(np.mean([p == t for p, t in zip(predicted, y, strict=True)]))


@pytest.mark.parametrize("make", [_small_category, _small_sentiment])
def test_init_only_stores_parameters(make: Any) -> None:
    model = make()
    names = list(inspect.signature(type(model)).parameters)
    assert set(model.get_params()) == set(names)
    assert not [k for k in vars(model) if k.endswith("_") or k.startswith("_")]
    # invalid values are reported by fit, not by the constructor (scikit-learn's rule)
    odd = CategoryClassifier(estimator="forest")
    assert odd.estimator == "forest"


@pytest.mark.parametrize("make", [_small_category, _small_sentiment])
def test_clone_round_trip(make: Any) -> None:
    model = make()
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    copy.set_params(C=0.5)
    assert copy.C == 0.5 and model.C != 0.5


def test_category_cross_val_score(segmenter: Segmenter) -> None:
    x, y = _documents(CATEGORY_TEXTS, segmenter)
    scores = cross_val_score(_small_category(), x, y, cv=3, scoring=_accuracy)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))


def test_sentiment_cross_val_score(segmenter: Segmenter) -> None:
    x, y = _documents(SENTIMENT_TEXTS, segmenter)
    order = np.random.default_rng(0).permutation(len(y))  # both labels in every fold
    x, y = [x[i] for i in order], [y[i] for i in order]
    scores = cross_val_score(_small_sentiment(), x, y, cv=2, scoring=_accuracy)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_invalid_estimator_fails_at_fit(segmenter: Segmenter) -> None:
    x, y = _documents(CATEGORY_TEXTS, segmenter)
    with pytest.raises(ValueError, match="estimator must be one of"):
        CategoryClassifier(estimator="forest", min_df=1, calibration_folds=2).fit(x, y)


@pytest.mark.parametrize(
    ("make", "texts"), [(_small_category, CATEGORY_TEXTS), (_small_sentiment, SENTIMENT_TEXTS)]
)
def test_save_load_round_trip(
    make: Any, texts: dict[Any, list[str]], segmenter: Segmenter, tmp_path: Path
) -> None:
    x, y = _documents(texts, segmenter)
    model = make().fit(x, y)
    model.save(tmp_path)
    loaded = type(model).load(tmp_path)
    assert loaded.get_params() == model.get_params()
    if isinstance(model, CategoryClassifier):
        assert loaded.classes_ == model.classes_
        np.testing.assert_allclose(loaded.predict_proba(x), model.predict_proba(x), atol=2e-3)
    else:
        assert loaded.domains_ == model.domains_
        np.testing.assert_allclose(loaded.score(x), model.score(x), atol=2e-3)
    # the two-list call the pipeline uses gives the same as scikit-learn's X of pairs
    texts_only, tokens = [t for t, _ in x], [k for _, k in x]
    assert loaded.predict(texts_only, tokens) == loaded.predict(x)


def test_committed_models_load_through_the_shared_storage() -> None:
    from nlp.classify import load_default_classifier
    from nlp.sentiment import load_default_sentiment

    category, sentiment = load_default_classifier(), load_default_sentiment()
    assert category.estimator == "nbsvm" and len(category.classes_) == 7
    assert sentiment.word_orders == (1, 2) and sentiment.domains_
