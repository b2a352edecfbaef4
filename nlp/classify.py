"""First-level category of a citizen message, with calibrated probabilities and top-3.

The model is linear: TF-IDF over hashed character n-grams of the text, an extra block for the
first characters (the title comes first in the pipeline's text) and word n-grams of the
pipeline's content tokens (see :class:`nlp.vectorize.HashedNgramVectorizer`; an optional block
of taxonomy phrases, ``terms``, is off in the default model), scored by linear
SVMs. The default estimator is NBSVM (Wang and Manning, 2012) in one-vs-rest form: for each
class the features are scaled by their log-count ratio (how much more often a feature occurs
in messages of the class than in the others, with additive smoothing), a binary linear SVM is
fitted on the scaled features, and the ratio is folded back into its weights -- so the stored
model is still one weight vector per class and prediction costs the same as a plain linear
SVM. ``estimator="svm"`` gives the plain multi-class LinearSVC of earlier models.
Probabilities are a softmax of the scores with one temperature fitted on out-of-fold scores of
the training data (a one-parameter calibration that keeps the model storable as plain arrays).
The committed default model lives in ``nlp/models/category`` with its MODEL_CARD.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from nlp.modelio import (
    HashedNgramVectorizer,
    LinearScorer,
    fit_temperature,
    init_params_from_json,
    load_linear_model,
    save_linear_model,
    texts_and_tokens,
)

__all__ = [
    "DEFAULT_MODEL_DIR",
    "UNCERTAIN_THRESHOLD",
    "CategoryClassifier",
    "CategoryPrediction",
    "load_default_classifier",
    "log_count_ratios",
]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "category"
# The stored format (hashed vectorizer, one weight vector per class, temperature) is the same
# for both estimators, so the kind is unchanged; ``params.estimator`` says which one it is.
MODEL_KIND = "category-linear-svm/1"
ESTIMATORS = ("nbsvm", "svm")

# Below this calibrated confidence a prediction is flagged ``uncertain`` (its label is still the
# best class). How it is chosen: on the out-of-fold predictions of the training split, the
# smallest threshold at which the predictions kept (confidence >= threshold) reach 0.97
# precision. Every model stores its own value, found that way at training time, in model.json
# (``uncertain_threshold``): 0.8046 for the committed model (category-2026-12-04-rs0, NBSVM),
# which keeps 85.7% of the grouped dev split at 0.969 precision. This constant is only the
# fallback when no predictions are available to choose one (models of that family land at
# 0.80-0.85).
UNCERTAIN_THRESHOLD = 0.82
TARGET_KEPT_PRECISION = 0.97


@dataclass(frozen=True, slots=True)
class CategoryPrediction:
    """Best category, its probability, the three most likely categories, and a doubt flag."""

    label: str
    confidence: float
    top3: tuple[tuple[str, float], ...]
    uncertain: bool


def _check_inputs(texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> None:
    if len(texts) != len(tokens):
        raise ValueError(f"got {len(texts)} texts but {len(tokens)} token lists")
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__}")


def log_count_ratios(
    x: sp.csr_matrix, y: npt.NDArray[np.int64], n_classes: int, alpha: float = 1.0
) -> npt.NDArray[np.float64]:
    """One-vs-rest log-count ratios of binarised features, shape (n_classes, n_features).

    For class ``c``: ``log((p + alpha) / |p + alpha|_1) - log((q + alpha) / |q + alpha|_1)``,
    where ``p`` counts, per feature, the documents of class ``c`` that contain it and ``q`` the
    documents of the other classes that do.
    """
    if alpha <= 0:
        raise ValueError("alpha must be positive")
    present = sp.csr_matrix((np.ones_like(x.data, dtype=np.float64), x.indices, x.indptr), x.shape)
    onehot = sp.csr_matrix(
        (np.ones(y.shape[0]), (y, np.arange(y.shape[0]))), shape=(n_classes, y.shape[0])
    )
    p = np.asarray((onehot @ present).todense(), dtype=np.float64) + alpha
    q = np.asarray(present.sum(axis=0), dtype=np.float64) + 2 * alpha - p
    return np.asarray(
        np.log(p / p.sum(axis=1, keepdims=True)) - np.log(q / q.sum(axis=1, keepdims=True)),
        dtype=np.float64,
    )


class CategoryClassifier(BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """NBSVM (or plain linear SVM) over hashed n-gram TF-IDF, temperature-calibrated.

    Parameters follow scikit-learn conventions; learned state ends in ``_``. ``estimator`` is
    ``"nbsvm"`` (one-vs-rest SVMs on log-count-ratio scaled features, smoothing ``nb_alpha``)
    or ``"svm"`` (one multi-class LinearSVC).
    """

    def __init__(
        self,
        char_orders: tuple[int, ...] = (1, 2, 3),
        word_orders: tuple[int, ...] = (1, 2),
        head_chars: int = 25,
        head_weight: float = 1.0,
        word_weight: float = 1.0,
        max_chars: int = 1000,
        hash_bits: int = 22,
        min_df: int = 2,
        estimator: str = "nbsvm",
        C: float = 0.3,
        nb_alpha: float = 1.0,
        class_weight: str | None = "balanced",
        calibration_folds: int = 5,
        random_state: int = 0,
        version: str = "unversioned",
        terms: Sequence[str] = (),
        terms_weight: float = 0.5,
    ) -> None:
        self.char_orders = char_orders
        self.word_orders = word_orders
        self.head_chars = head_chars
        self.head_weight = head_weight
        self.word_weight = word_weight
        self.max_chars = max_chars
        self.hash_bits = hash_bits
        self.min_df = min_df
        self.estimator = estimator
        self.C = C
        self.nb_alpha = nb_alpha
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.version = version
        self.terms = terms
        self.terms_weight = terms_weight

    def _new_vectorizer(self) -> HashedNgramVectorizer:
        return HashedNgramVectorizer(
            char_orders=self.char_orders,
            word_orders=self.word_orders,
            head_chars=self.head_chars,
            head_orders=self.char_orders,
            max_chars=self.max_chars,
            hash_bits=self.hash_bits,
            min_df=self.min_df,
            head_weight=self.head_weight,
            word_weight=self.word_weight,
            terms=self.terms,
            terms_weight=self.terms_weight,
        )

    def _fit_scorer(
        self,
        texts: Sequence[str],
        tokens: Sequence[Sequence[str]],
        y: npt.NDArray[np.int64],
        sample_weight: npt.NDArray[np.float64] | None = None,
    ) -> tuple[HashedNgramVectorizer, npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        from sklearn.svm import LinearSVC

        if self.estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {ESTIMATORS}, got {self.estimator!r}")
        vectorizer = self._new_vectorizer()
        x = vectorizer.fit_transform(texts, tokens)
        if self.estimator == "svm":
            svm = LinearSVC(
                C=self.C, class_weight=self.class_weight, random_state=self.random_state
            )
            svm.fit(x, y, sample_weight=sample_weight)
            return vectorizer, svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32)
        n_classes = int(y.max()) + 1
        ratios = log_count_ratios(x, y, n_classes, self.nb_alpha)
        coef = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
        intercept = np.zeros(n_classes, dtype=np.float32)
        for c in range(n_classes):
            svm = LinearSVC(
                C=self.C, class_weight=self.class_weight, random_state=self.random_state
            )
            svm.fit(x @ sp.diags(ratios[c]), (y == c).astype(np.int64), sample_weight=sample_weight)
            # x * r scored by w equals x scored by w * r: fold the ratio into the weights
            coef[c] = svm.coef_.ravel() * ratios[c]
            intercept[c] = svm.intercept_[0]
        return vectorizer, coef, intercept

    def fit(
        self,
        texts: Sequence[Any],
        tokens: Sequence[Any],
        labels: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> CategoryClassifier:
        """Fit on documents and their labels; calibrate on out-of-fold scores.

        ``fit(texts, tokens, labels)``, or scikit-learn's ``fit(X, y)`` with ``X`` a sequence
        of ``(text, tokens)`` pairs. ``sample_weight`` (one per document, default 1) scales
        each document's loss in the SVMs, e.g. lower for weak labels.
        """
        from sklearn.model_selection import StratifiedKFold

        if labels is None:  # scikit-learn's fit(X, y): (text, tokens) pairs, then labels
            labels = tokens
            texts, tokens = texts_and_tokens(texts, None)
        _check_inputs(texts, tokens)
        if len(labels) != len(texts):
            raise ValueError("labels must match texts")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise ValueError("need at least two classes")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[label] for label in labels], dtype=np.int64)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weights is not None and weights.shape != y.shape:
            raise ValueError("sample_weight must have one entry per text")
        oof = np.zeros((len(texts), len(classes)), dtype=np.float64)
        folds = StratifiedKFold(
            self.calibration_folds, shuffle=True, random_state=self.random_state
        )
        for train_idx, test_idx in folds.split(np.zeros(len(y)), y):
            vec, coef, intercept = self._fit_scorer(
                [texts[i] for i in train_idx],
                [tokens[i] for i in train_idx],
                y[train_idx],
                None if weights is None else weights[train_idx],
            )
            x_test = vec.transform([texts[i] for i in test_idx], [tokens[i] for i in test_idx])
            oof[test_idx] = LinearScorer(coef, intercept).decision(x_test)
        temperature = fit_temperature(oof, y)
        self.vectorizer_, coef, intercept = self._fit_scorer(texts, tokens, y, weights)
        self.scorer_ = LinearScorer(coef, intercept, temperature)
        self.classes_: list[str] = classes
        self.uncertain_threshold_ = kept_precision_threshold(
            oof.argmax(axis=1) == y,
            _softmax_max(oof, temperature),
            TARGET_KEPT_PRECISION,
        )
        return self

    def predict_proba(
        self, texts: Sequence[Any], tokens: Sequence[Sequence[str]] | None = None
    ) -> npt.NDArray[np.float64]:
        """Calibrated class probabilities, columns in the order of ``classes_``.

        Without ``tokens``, ``texts`` holds ``(text, tokens)`` pairs (scikit-learn's ``X``).
        """
        texts, tokens = texts_and_tokens(texts, tokens)
        _check_inputs(texts, tokens)
        if not texts:
            return np.zeros((0, len(self.classes_)), dtype=np.float64)
        return self.scorer_.proba(self.vectorizer_.transform_fast(texts, tokens))

    def predict(
        self, texts: Sequence[Any], tokens: Sequence[Sequence[str]] | None = None
    ) -> list[CategoryPrediction]:
        """Predict the category of each text; ``tokens`` are its content tokens.

        An empty text gets the prior-driven best class with ``uncertain=True`` at most; inputs
        that are not strings raise TypeError, mismatched lengths ValueError.
        """
        proba = self.predict_proba(texts, tokens)
        order = np.argsort(-proba, axis=1)[:, :3]
        out: list[CategoryPrediction] = []
        for row, top in zip(proba, order, strict=True):
            best = int(top[0])
            confidence = float(row[best])
            out.append(
                CategoryPrediction(
                    label=self.classes_[best],
                    confidence=confidence,
                    top3=tuple((self.classes_[int(k)], float(row[int(k)])) for k in top),
                    uncertain=confidence < self.uncertain_threshold_,
                )
            )
        return out

    def params(self) -> dict[str, Any]:
        """Constructor parameters as JSON-friendly values."""
        return {
            "char_orders": list(self.char_orders),
            "word_orders": list(self.word_orders),
            "head_chars": self.head_chars,
            "head_weight": self.head_weight,
            "word_weight": self.word_weight,
            "max_chars": self.max_chars,
            "hash_bits": self.hash_bits,
            "min_df": self.min_df,
            "estimator": self.estimator,
            "C": self.C,
            "nb_alpha": self.nb_alpha,
            "class_weight": self.class_weight,
            "calibration_folds": self.calibration_folds,
            "random_state": self.random_state,
            "version": self.version,
            "terms_weight": self.terms_weight,
            "n_terms": len(self.terms),
        }

    def save(self, directory: Path) -> None:
        """Store the fitted model as npz + JSON (no pickle) in ``directory``."""
        meta = {"classes": self.classes_, "uncertain_threshold": self.uncertain_threshold_}
        save_linear_model(
            directory, MODEL_KIND, self.params(), self.vectorizer_, self.scorer_, meta
        )

    @classmethod
    def load(cls, directory: Path) -> CategoryClassifier:
        """Load a model stored by :meth:`save`."""
        parts = load_linear_model(directory, MODEL_KIND)
        model = cls(
            **init_params_from_json(
                cls,
                parts.params,
                estimator=parts.params.get("estimator", "svm"),  # before NBSVM: plain SVMs
                terms=tuple(parts.vectorizer.terms),
            )
        )
        model.vectorizer_ = parts.vectorizer
        model.scorer_ = parts.scorer
        model.classes_ = [str(c) for c in parts.meta["classes"]]
        model.uncertain_threshold_ = float(parts.meta["uncertain_threshold"])
        return model


def _softmax_max(scores: npt.NDArray[np.float64], temperature: float) -> npt.NDArray[np.float64]:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e.max(axis=1) / e.sum(axis=1), dtype=np.float64)


def kept_precision_threshold(
    correct: npt.NDArray[np.bool_], confidence: npt.NDArray[np.float64], target: float
) -> float:
    """Smallest confidence threshold whose kept predictions reach ``target`` precision.

    Predictions are sorted by confidence, highest first; the threshold is the confidence of the
    last prediction in the longest prefix whose precision is at least ``target``.
    """
    if confidence.shape[0] == 0:
        return UNCERTAIN_THRESHOLD
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, order.shape[0] + 1)
    ok = np.flatnonzero(precision >= target)
    if ok.size == 0:
        return float(confidence.max())
    return float(confidence[order[ok[-1]]])


def load_default_classifier(model_dir: Path | None = None) -> CategoryClassifier:
    """Load the committed default category model, or the one stored in ``model_dir``."""
    return CategoryClassifier.load(model_dir if model_dir is not None else DEFAULT_MODEL_DIR)
