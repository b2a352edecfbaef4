"""Topics of a period's messages: NMF on TF-IDF, K chosen by c_v and NPMI coherence together.

Input is token lists (``Segmenter.content_tokens``); tokens shorter than ``min_token_len``,
numbers and the anonymised place codes of the data (``A市``, ``A3区``, ``K7县``) are dropped
because they say where, not what (``exclude_pattern``).

``TopicModel.fit`` builds a TF-IDF matrix (smoothed IDF, L2-normalised rows) and fits one
scikit-learn NMF (``init="nndsvd"``, coordinate descent) per K in ``k_grid``. The top
``top_n`` words of every topic of every K are scored in one pass by gensim's CoherenceModel,
with ``c_v`` and ``c_npmi``, on a seeded sample of ``coherence_docs`` documents (gensim's
sliding windows are pure Python: on all 10,000 messages they cost more than every NMF fit
together; one sample serves every K, so K are compared fairly). **Rule for K**: both
measures are min-max scaled across the grid
and averaged; the K with the highest average wins (ties: higher NPMI, then smaller K). c_v alone
tends to favour the smallest K on short texts and NPMI alone the largest; requiring both keeps
topics coherent by document co-occurrence (NPMI) and by context (c_v).

Learned state: ``vocabulary_``, ``idf_``, ``components_`` (K x V), ``k_``, ``coherence_``
(K -> measures), ``topic_words_``, ``topic_labels_`` (top words joined by "/"), ``labels_`` (topic
of each training document, -1 when it has no known word), ``topic_counts_``. ``infer(tokens)``
gives ``(topic_id, weight)`` for a new message: the NMF weights of its TF-IDF vector with the
topics held fixed, ``weight`` being the winning topic's share of the total. ``save``/``load``
write ``<name>.npz`` (arrays, ``allow_pickle=False``) and ``<name>.json`` (everything else).

``fit_lda`` fits gensim LDA on the same tokens for comparison (benchmarks/bench_topics.py).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from gensim.corpora import Dictionary
from gensim.models import LdaModel
from gensim.models.coherencemodel import CoherenceModel
from sklearn.decomposition import NMF, non_negative_factorization
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

__all__ = [
    "DEFAULT_EXCLUDE",
    "DEFAULT_K_GRID",
    "STATE_VERSION",
    "LdaResult",
    "TopicModel",
    "choose_k",
    "coherence_by_k",
    "fit_lda",
]

#: Candidate numbers of topics.
DEFAULT_K_GRID: tuple[int, ...] = (6, 8, 10, 12, 14, 16, 20)
#: Tokens dropped before modelling: numbers and anonymised place codes (A市, A3区, K7县, G2).
DEFAULT_EXCLUDE = r"^[A-Za-z]+\d*[市区县省镇乡]?$|^[\d.%]+$"
#: Version of the saved layout.
STATE_VERSION = 1
_COHERENCE_MEASURES = ("c_v", "c_npmi")


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def coherence_by_k(
    topics_by_k: dict[int, list[list[str]]],
    texts: Sequence[Sequence[str]],
    dictionary: Dictionary | None = None,
) -> dict[int, dict[str, float]]:
    """Mean c_v and NPMI coherence of each K's topics (one gensim pass per measure for all K)."""
    dct = dictionary if dictionary is not None else Dictionary(texts)
    flat: list[list[str]] = []
    spans: dict[int, tuple[int, int]] = {}
    for k, topics in topics_by_k.items():
        kept = [[w for w in topic if w in dct.token2id] for topic in topics]
        spans[k] = (len(flat), len(flat) + len(kept))
        flat.extend(kept)
    result: dict[int, dict[str, float]] = {k: {} for k in topics_by_k}
    if not flat:
        return result
    topn = max(len(t) for t in flat)
    for measure in _COHERENCE_MEASURES:
        model = CoherenceModel(
            topics=flat,
            texts=[list(t) for t in texts],
            dictionary=dct,
            coherence=measure,
            topn=topn,
            processes=1,
        )
        per_topic = model.get_coherence_per_topic()
        for k, (lo, hi) in spans.items():
            values = [v for v in per_topic[lo:hi] if np.isfinite(v)]
            result[k][measure] = round(float(np.mean(values)), 4) if values else float("nan")
    return result


def choose_k(coherence: dict[int, dict[str, float]]) -> int:
    """Pick K by the mean of min-max scaled c_v and NPMI (ties: higher NPMI, then smaller K)."""
    if not coherence:
        raise ValueError("no coherence values to choose from")
    ks = sorted(coherence)

    def scaled(measure: str) -> dict[int, float]:
        vals = np.array([coherence[k].get(measure, np.nan) for k in ks], dtype=float)
        vals = np.where(np.isfinite(vals), vals, np.nanmin(vals) if np.isfinite(vals).any() else 0)
        lo, hi = float(vals.min()), float(vals.max())
        return {
            k: (float(v) - lo) / (hi - lo) if hi > lo else 0.5
            for k, v in zip(ks, vals, strict=True)
        }

    cv, npmi = scaled("c_v"), scaled("c_npmi")
    return max(ks, key=lambda k: ((cv[k] + npmi[k]) / 2, npmi[k], -k))


class TopicModel:
    """NMF topic model on TF-IDF of token lists, sklearn-style (see the module docstring)."""

    def __init__(
        self,
        n_topics: int | None = None,
        k_grid: Sequence[int] = DEFAULT_K_GRID,
        top_n: int = 10,
        min_df: int = 3,
        max_df: float = 0.5,
        max_features: int = 8_000,
        min_token_len: int = 2,
        exclude_pattern: str = DEFAULT_EXCLUDE,
        max_iter: int = 200,
        tol: float = 1e-4,
        coherence_docs: int | None = 4000,
        random_state: int = 1,
    ) -> None:
        self.n_topics = n_topics
        self.k_grid = tuple(k_grid)
        self.top_n = top_n
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.min_token_len = min_token_len
        self.exclude_pattern = exclude_pattern
        self.max_iter = max_iter
        self.tol = tol
        self.coherence_docs = coherence_docs
        self.random_state = random_state

    # ------------------------------------------------------------------ features
    def filter_tokens(self, tokens: Sequence[str]) -> list[str]:
        """Drop short tokens, numbers and place codes (the tokens the model ignores)."""
        pattern = re.compile(self.exclude_pattern)
        return [t for t in tokens if len(t) >= self.min_token_len and not pattern.match(t)]

    def _tfidf(self, texts: Sequence[list[str]]) -> sp.csr_matrix:
        vec = CountVectorizer(analyzer=_identity, vocabulary=self.vocabulary_)
        counts = vec.transform(texts).astype(np.float64)
        return sp.csr_matrix(normalize(sp.csr_matrix(counts.multiply(self.idf_))))

    # ------------------------------------------------------------------ fitting
    def fit(self, docs: Sequence[Sequence[str]]) -> TopicModel:
        """Fit on token lists; choose K by coherence unless ``n_topics`` is set."""
        texts = [self.filter_tokens(d) for d in docs]
        if sum(1 for t in texts if t) < 2:
            raise ValueError("need at least two documents with usable tokens to fit topics")
        max_df: float | int = self.max_df if self.max_df < 1 else len(texts)
        vec = CountVectorizer(
            analyzer=_identity, min_df=self.min_df, max_df=max_df, max_features=self.max_features
        )
        try:
            counts = vec.fit_transform(texts)
        except ValueError as exc:
            raise ValueError(f"no vocabulary left to model topics ({exc})") from exc
        self.vocabulary_: list[str] = [str(w) for w in vec.get_feature_names_out()]
        n_docs = counts.shape[0]
        df = np.bincount(sp.csr_matrix(counts).indices, minlength=counts.shape[1])
        self.idf_: npt.NDArray[np.float64] = np.log((1 + n_docs) / (1 + df)) + 1.0
        x = self._tfidf(texts)
        limit = min(n_docs, len(self.vocabulary_))
        grid = [self.n_topics] if self.n_topics is not None else list(self.k_grid)
        grid = sorted({k for k in grid if 2 <= k <= limit})
        if not grid:
            raise ValueError(f"no number of topics fits {n_docs} documents / {limit} words")
        fitted: dict[int, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] = {}
        for k in grid:
            model = NMF(
                n_components=k,
                init="nndsvd",
                max_iter=self.max_iter,
                tol=self.tol,
                random_state=self.random_state,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                w = model.fit_transform(x)
            fitted[k] = (np.asarray(w), np.asarray(model.components_))
        vocab = np.array(self.vocabulary_)
        topics_by_k = {
            k: [vocab[np.argsort(-h, kind="stable")[: self.top_n]].tolist() for h in hs]
            for k, (_, hs) in fitted.items()
        }
        sample: Sequence[list[str]] = texts
        if self.coherence_docs is not None and len(texts) > self.coherence_docs:
            rng = np.random.default_rng(self.random_state)
            picked = np.sort(rng.choice(len(texts), size=self.coherence_docs, replace=False))
            sample = [texts[i] for i in picked.tolist()]
        self.coherence_: dict[int, dict[str, float]] = coherence_by_k(topics_by_k, sample)
        self.k_: int = grid[0] if len(grid) == 1 else choose_k(self.coherence_)
        w, h = fitted[self.k_]
        self._set_topics(h)
        self.labels_: npt.NDArray[np.int64] = np.where(w.sum(axis=1) > 0, w.argmax(axis=1), -1)
        self.topic_counts_: list[int] = np.bincount(
            self.labels_[self.labels_ >= 0], minlength=self.k_
        ).tolist()
        return self

    def _set_topics(self, components: npt.NDArray[np.float64]) -> None:
        self.components_: npt.NDArray[np.float64] = components
        self.topic_words_: list[list[tuple[str, float]]] = []
        for h in components:
            top = np.argsort(-h, kind="stable")[: self.top_n]
            self.topic_words_.append([(self.vocabulary_[i], round(float(h[i]), 4)) for i in top])
        self.topic_labels_: list[str] = ["/".join(w for w, _ in tw[:3]) for tw in self.topic_words_]

    # ------------------------------------------------------------------ inference
    def transform(self, docs: Sequence[Sequence[str]]) -> npt.NDArray[np.float64]:
        """Return the NMF topic weights (n_docs x K) of token lists, topics held fixed."""
        if not hasattr(self, "components_"):
            raise ValueError("TopicModel is not fitted")
        x = self._tfidf([self.filter_tokens(d) for d in docs])
        w = np.zeros((x.shape[0], self.k_), dtype=np.float64)
        rows = np.flatnonzero(x.getnnz(axis=1))
        if rows.size:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                sub, _, _ = non_negative_factorization(
                    x[rows],
                    H=self.components_,
                    n_components=self.k_,
                    update_H=False,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    random_state=self.random_state,
                )
            w[rows] = sub
        return w

    def infer(self, tokens: Sequence[str]) -> tuple[int, float]:
        """Return ``(topic_id, weight)`` of one message; ``(-1, 0.0)`` if no word is known."""
        w = self.transform([tokens])[0]
        total = float(w.sum())
        if total <= 0:
            return -1, 0.0
        k = int(w.argmax())
        return k, round(float(w[k]) / total, 4)

    # ------------------------------------------------------------------ persistence
    def to_state(self) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
        """Return (arrays, JSON-able metadata) describing the fitted model."""
        if not hasattr(self, "components_"):
            raise ValueError("TopicModel is not fitted")
        params = {
            k: getattr(self, k)
            for k in (
                "n_topics", "top_n", "min_df", "max_df", "max_features", "min_token_len",
                "exclude_pattern", "max_iter", "tol", "coherence_docs", "random_state",
            )
        }  # fmt: skip
        params["k_grid"] = list(self.k_grid)
        arrays = {
            "components": self.components_,
            "idf": self.idf_,
            "vocabulary": np.array(self.vocabulary_, dtype=str),
            "labels": self.labels_,
        }
        meta = {
            "version": STATE_VERSION,
            "params": params,
            "k": self.k_,
            "coherence": {str(k): v for k, v in self.coherence_.items()},
            "topic_labels": self.topic_labels_,
            "topic_counts": self.topic_counts_,
        }
        return arrays, meta

    @classmethod
    def from_state(cls, arrays: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> TopicModel:
        """Rebuild a fitted model from ``to_state`` output."""
        if meta.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported topic model version {meta.get('version')!r}")
        model = cls(**meta["params"])
        model.vocabulary_ = [str(w) for w in arrays["vocabulary"].tolist()]
        model.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        model.k_ = int(meta["k"])
        model.coherence_ = {int(k): dict(v) for k, v in meta["coherence"].items()}
        model._set_topics(np.asarray(arrays["components"], dtype=np.float64))
        model.labels_ = np.asarray(arrays["labels"], dtype=np.int64)
        model.topic_counts_ = [int(c) for c in meta["topic_counts"]]
        return model

    def save(self, directory: str | Path, name: str = "topic_model") -> None:
        """Write ``<name>.npz`` and ``<name>.json`` into ``directory``."""
        arrays, meta = self.to_state()
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path / f"{name}.npz",
            components=arrays["components"],
            idf=arrays["idf"],
            vocabulary=arrays["vocabulary"],
            labels=arrays["labels"],
        )
        (path / f"{name}.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: str | Path, name: str = "topic_model") -> TopicModel:
        """Read a model written by ``save`` (no pickle)."""
        path = Path(directory)
        meta = json.loads((path / f"{name}.json").read_text(encoding="utf-8"))
        with np.load(path / f"{name}.npz", allow_pickle=False) as data:
            arrays = {k: np.array(data[k]) for k in data.files}
        return cls.from_state(arrays, meta)


@dataclass(frozen=True, slots=True)
class LdaResult:
    """gensim LDA fitted for comparison: topic of each document (-1 if empty) and top words."""

    labels: tuple[int, ...]
    topic_words: tuple[tuple[str, ...], ...]
    coherence: dict[str, float]


def fit_lda(
    docs: Sequence[Sequence[str]],
    n_topics: int,
    model: TopicModel | None = None,
    passes: int = 5,
    random_state: int = 1,
) -> LdaResult:
    """Fit gensim LDA with the same token filter and vocabulary limits as ``model``."""
    ref = model if model is not None else TopicModel()
    texts = [ref.filter_tokens(d) for d in docs]
    dct = Dictionary(texts)
    max_df = ref.max_df if ref.max_df < 1 else 1.0
    dct.filter_extremes(no_below=ref.min_df, no_above=max_df, keep_n=ref.max_features)
    corpus = [dct.doc2bow(t) for t in texts]
    lda = LdaModel(
        corpus=corpus,
        id2word=dct,
        num_topics=n_topics,
        passes=passes,
        random_state=random_state,
        eval_every=None,
    )
    labels = []
    for bow in corpus:
        dist = lda.get_document_topics(bow, minimum_probability=0.0) if bow else []
        labels.append(int(max(dist, key=lambda kv: kv[1])[0]) if dist else -1)
    words = tuple(
        tuple(dct[i] for i, _ in lda.get_topic_terms(k, topn=ref.top_n)) for k in range(n_topics)
    )
    coh = coherence_by_k({n_topics: [list(w) for w in words]}, texts)[n_topics]
    return LdaResult(labels=tuple(labels), topic_words=words, coherence=coh)
