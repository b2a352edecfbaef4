"""Category classifier: interface, determinism, storage round trip, odd inputs, committed model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from nlp.classify import (
    DEFAULT_MODEL_DIR,
    CategoryClassifier,
    CategoryPrediction,
    kept_precision_threshold,
    load_default_classifier,
    log_count_ratios,
)
from nlp.datasets import LabelledMessage
from nlp.normalize import compose_text
from nlp.segment import Segmenter


@pytest.fixture(scope="module")
def small_corpus(
    messages: list[LabelledMessage], segmenter: Segmenter
) -> tuple[list[str], list[list[str]], list[str]]:
    """60 real messages of each of three categories with original text."""
    picked: list[LabelledMessage] = []
    for label in ("教育文体", "环境保护", "交通运输"):
        picked += [m for m in messages if m.label == label and m.text_source == "original"][:60]
    texts = [compose_text(m.title, m.text) for m in picked]
    return texts, [segmenter.content_tokens(t) for t in texts], [m.label for m in picked]


@pytest.fixture(scope="module")
def small_model(small_corpus: tuple[list[str], list[list[str]], list[str]]) -> CategoryClassifier:
    texts, tokens, labels = small_corpus
    return CategoryClassifier(calibration_folds=3, random_state=0).fit(texts, tokens, labels)


@pytest.fixture(scope="module")
def default_model() -> CategoryClassifier:
    return load_default_classifier()


@pytest.mark.slow
def test_prediction_shape_and_probabilities(
    small_model: CategoryClassifier, segmenter: Segmenter
) -> None:
    text = "学校违规组织学生假期补课\n某中学寒假期间强制学生到校补课并收取补课费，请教育局查处。"
    [pred] = small_model.predict([text], [segmenter.content_tokens(text)])
    assert isinstance(pred, CategoryPrediction)
    assert pred.label == "教育文体"
    assert pred.top3[0] == (pred.label, pred.confidence)
    assert [c for c, _ in pred.top3] == sorted(
        {c for c, _ in pred.top3}, key=lambda c: -dict(pred.top3)[c]
    )
    assert 0.0 < pred.confidence <= 1.0
    assert sum(p for _, p in pred.top3) == pytest.approx(1.0)  # three classes in this model
    assert pred.uncertain == (pred.confidence < small_model.uncertain_threshold_)


@pytest.mark.slow
def test_fit_is_deterministic_with_a_fixed_random_state(
    small_corpus: tuple[list[str], list[list[str]], list[str]], small_model: CategoryClassifier
) -> None:
    texts, tokens, labels = small_corpus
    again = CategoryClassifier(calibration_folds=3, random_state=0).fit(texts, tokens, labels)
    np.testing.assert_array_equal(again.scorer_.coef, small_model.scorer_.coef)
    assert again.scorer_.temperature == small_model.scorer_.temperature
    np.testing.assert_array_equal(
        again.predict_proba(texts, tokens), small_model.predict_proba(texts, tokens)
    )


def test_save_load_round_trip_gives_identical_predictions(
    tmp_path: Path,
    small_corpus: tuple[list[str], list[list[str]], list[str]],
    small_model: CategoryClassifier,
) -> None:
    texts, tokens, _ = small_corpus
    small_model.save(tmp_path)
    loaded = CategoryClassifier.load(tmp_path)
    assert loaded.classes_ == small_model.classes_
    first, second = small_model.predict(texts, tokens), loaded.predict(texts, tokens)
    # coefficients are stored as float16: the same labels, probabilities within rounding
    assert [p.label for p in first] == [p.label for p in second]
    np.testing.assert_allclose(
        [p.confidence for p in first], [p.confidence for p in second], atol=2e-3
    )
    # a stored model reloads to exactly the same predictions every time
    again = CategoryClassifier.load(tmp_path)
    assert again.predict(texts, tokens) == second


@pytest.mark.slow  # trains a model with the optional block: seconds
def test_terms_block_is_stored_with_the_model(
    tmp_path: Path, small_corpus: tuple[list[str], list[list[str]], list[str]]
) -> None:
    texts, tokens, labels = small_corpus
    terms = ["补课", "噪音扰民", "交通事故", "垃圾处理", "停车"]
    model = CategoryClassifier(
        calibration_folds=3, random_state=0, terms=terms, terms_weight=0.5
    ).fit(texts, tokens, labels)
    plain = CategoryClassifier(calibration_folds=3, random_state=0).fit(texts, tokens, labels)
    assert model.scorer_.coef.shape[1] == plain.scorer_.coef.shape[1] + len(terms)
    model.save(tmp_path)
    loaded = CategoryClassifier.load(tmp_path)
    assert loaded.terms == tuple(terms)
    assert loaded.params()["n_terms"] == len(terms)
    np.testing.assert_allclose(
        loaded.predict_proba(texts, tokens), model.predict_proba(texts, tokens), atol=2e-3
    )


def test_loading_another_kind_of_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "arrays.npz").write_bytes((DEFAULT_MODEL_DIR / "arrays.npz").read_bytes())
    meta = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    meta["kind"] = "something-else"
    (tmp_path / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="does not hold"):
        CategoryClassifier.load(tmp_path)


def test_default_model_loads_and_has_a_version() -> None:
    model = load_default_classifier()  # its load time is in load_s of ``python -m nlp bench``
    assert model.version.startswith("category-")
    assert len(model.classes_) == 7


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        ("   \n\t ", []),
        ("😀😡🎉", []),
        ("噪音扰民" * 25_000, ["噪音", "扰民"] * 25_000),
    ],
    ids=["empty", "whitespace", "emoji", "100k-chars"],
)
def test_odd_inputs_give_a_prediction(
    default_model: CategoryClassifier, text: str, tokens: list[str]
) -> None:
    [pred] = default_model.predict([text], [tokens])
    assert pred.label in default_model.classes_
    assert 0.0 <= pred.confidence <= 1.0
    assert len(pred.top3) == 3


def test_bad_inputs_raise_clear_errors(default_model: CategoryClassifier) -> None:
    with pytest.raises(ValueError, match="token lists"):
        default_model.predict(["a", "b"], [["a"]])
    with pytest.raises(TypeError, match="str"):
        default_model.predict([None], [[]])  # type: ignore[list-item]
    assert default_model.predict([], []) == []


def test_real_dev_messages_are_mostly_right(
    messages: list[LabelledMessage], default_model: CategoryClassifier, segmenter: Segmenter
) -> None:
    card = json.loads((DEFAULT_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    dev_rows = set(card["split"]["dev_rows"])
    picked = [m for m in messages if m.row in dev_rows and m.text_source == "original"][:100]
    texts = [compose_text(m.title, m.text) for m in picked]
    preds = default_model.predict(texts, [segmenter.content_tokens(t) for t in texts])
    accuracy = np.mean([p.label == m.label for p, m in zip(preds, picked, strict=True)])
    assert accuracy >= 0.85


def test_kept_precision_threshold() -> None:
    correct = np.array([True, True, True, False, True, False])
    confidence = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    assert kept_precision_threshold(correct, confidence, 1.0) == 0.9
    assert kept_precision_threshold(correct, confidence, 0.8) == 0.7
    assert kept_precision_threshold(correct, confidence, 0.0) == 0.6


def test_log_count_ratios_by_hand() -> None:
    # three documents, two classes; feature 0 only in class 0, feature 1 everywhere,
    # feature 2 only in class 1 (the TF-IDF values do not matter, only presence)
    x = sp.csr_matrix(np.array([[0.5, 0.2, 0.0], [0.7, 0.0, 0.0], [0.0, 0.9, 0.3]]))
    y = np.array([0, 0, 1])
    r = log_count_ratios(x, y, 2, alpha=1.0)
    p0 = np.array([3.0, 2.0, 1.0])  # class 0 document counts + 1
    q0 = np.array([1.0, 2.0, 2.0])  # class 1 document counts + 1
    expected0 = np.log(p0 / p0.sum()) - np.log(q0 / q0.sum())
    np.testing.assert_allclose(r[0], expected0)
    np.testing.assert_allclose(r[1], -expected0)  # two classes: the ratios are opposite
    assert r[0, 0] > 0 > r[0, 2]
    with pytest.raises(ValueError, match="alpha"):
        log_count_ratios(x, y, 2, alpha=0.0)


def test_nbsvm_folds_the_ratios_into_linear_weights(
    small_corpus: tuple[list[str], list[list[str]], list[str]], segmenter: Segmenter
) -> None:
    """The stored NBSVM weights score raw TF-IDF exactly as the per-class scaled SVMs do."""
    from sklearn.svm import LinearSVC

    texts, tokens, labels = small_corpus
    model = CategoryClassifier(calibration_folds=3, random_state=0)
    assert model.estimator == "nbsvm"
    classes = sorted(set(labels))
    y = np.array([classes.index(label) for label in labels], dtype=np.int64)
    vec, coef, intercept = model._fit_scorer(texts, tokens, y)
    x = vec.transform(texts, tokens)
    ratios = log_count_ratios(x, y, len(classes), model.nb_alpha)
    query = "小区旁边工厂排放废气\n附近化工厂夜间偷排废气，气味刺鼻，请环保局查处。"
    xq = vec.transform([query], [segmenter.content_tokens(query)])
    for c in range(len(classes)):
        svm = LinearSVC(C=model.C, class_weight="balanced", random_state=0)
        svm.fit(x @ sp.diags(ratios[c]), (y == c).astype(np.int64))
        direct = float(svm.decision_function(xq @ sp.diags(ratios[c]))[0])
        assert float((xq @ coef[c])[0] + intercept[c]) == pytest.approx(direct, abs=1e-4)
    assert classes[int(np.argmax(xq @ coef.T + intercept))] == "环境保护"


@pytest.mark.slow
def test_plain_svm_estimator_still_works_and_round_trips(
    tmp_path: Path, small_corpus: tuple[list[str], list[list[str]], list[str]]
) -> None:
    texts, tokens, labels = small_corpus
    model = CategoryClassifier(estimator="svm", C=1.0, calibration_folds=3).fit(
        texts, tokens, labels
    )
    model.save(tmp_path)
    loaded = CategoryClassifier.load(tmp_path)
    assert loaded.estimator == "svm"
    assert [p.label for p in loaded.predict(texts, tokens)] == labels  # training data
    odd = CategoryClassifier(estimator="forest")  # the constructor only stores (scikit-learn)
    with pytest.raises(ValueError, match="estimator"):
        odd.fit(texts, tokens, labels)


@pytest.mark.slow
def test_committed_model_reproduces_its_dev_metrics(
    messages: list[LabelledMessage], segmenter: Segmenter, default_model: CategoryClassifier
) -> None:
    from nlp.train.category import evaluate_documents, shared_category_documents

    card = json.loads((DEFAULT_MODEL_DIR / "card.json").read_text(encoding="utf-8"))
    dev_rows = card["split"]["dev_rows"]
    docs = shared_category_documents(segmenter, rows=set(dev_rows))
    assert sorted(docs.rows) == sorted(dev_rows)
    metrics = evaluate_documents(default_model, docs)
    expected = card["dev_metrics"]
    assert metrics["n"] == expected["n"]
    assert metrics["macro_f1"] == pytest.approx(expected["macro_f1"], abs=0.005)
    assert metrics["accuracy"] == pytest.approx(expected["accuracy"], abs=0.005)
