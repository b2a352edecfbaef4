"""Safe model storage, shared by the category and sentiment models, and their linear scorer.

Nothing here can run code when a model is loaded: arrays live in a compressed ``.npz`` read with
``allow_pickle=False`` and everything else (parameters, labels, vocabularies) in JSON. A stored
model is reconstructed from those arrays into plain numpy/scipy objects. Both models are a
:class:`~nlp.vectorize.HashedNgramVectorizer` and a :class:`LinearScorer`, stored by one pair
of functions, :func:`save_linear_model` and :func:`load_linear_model`.

``LinearScorer``
    ``X @ coef.T + intercept`` and a temperature-scaled softmax (or sigmoid) for probabilities.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from nlp.vectorize import HashedNgramVectorizer, TermMatcher

__all__ = [
    "ARRAYS_FILE",
    "META_FILE",
    "HashedNgramVectorizer",
    "LinearModelParts",
    "LinearScorer",
    "TermMatcher",
    "init_params_from_json",
    "load_arrays",
    "load_linear_model",
    "save_arrays",
    "save_linear_model",
    "texts_and_tokens",
]

ARRAYS_FILE = "arrays.npz"
META_FILE = "model.json"

FloatArray = npt.NDArray[np.float32]


def save_arrays(
    directory: Path, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]
) -> None:
    """Write ``arrays`` to ``directory/arrays.npz`` (compressed) and ``meta`` to ``model.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if array.dtype == object:
            raise TypeError(f"array {name!r} has dtype object, which would need pickle")
    np.savez_compressed(directory / ARRAYS_FILE, **dict(arrays))  # type: ignore[arg-type]
    (directory / META_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def load_arrays(directory: Path) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """Read what :func:`save_arrays` wrote; pickled content is refused by numpy."""
    arrays_path = directory / ARRAYS_FILE
    meta_path = directory / META_FILE
    if not arrays_path.is_file() or not meta_path.is_file():
        raise FileNotFoundError(f"no model in {directory} (need {ARRAYS_FILE} and {META_FILE})")
    with np.load(arrays_path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_path} does not hold a JSON object")
    return arrays, meta


class LinearScorer:
    """Linear decision function with temperature-scaled softmax/sigmoid probabilities."""

    def __init__(self, coef: FloatArray, intercept: FloatArray, temperature: float = 1.0) -> None:
        self.coef = np.ascontiguousarray(coef, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.temperature = float(temperature)
        # (n_features, n_classes) contiguous: sparse @ dense without copying per call
        self._coef_t = np.ascontiguousarray(self.coef.T)

    def decision(self, x: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Raw scores, shape (n_docs, n_classes) or (n_docs,) for a binary model."""
        scores = np.asarray(x @ self._coef_t, dtype=np.float64) + self.intercept
        return scores[:, 0] if self.coef.shape[0] == 1 else scores

    def proba(self, x: sp.csr_matrix) -> npt.NDArray[np.float64]:
        """Class probabilities (multi-class) or P(positive class) (binary)."""
        return scores_to_proba(self.decision(x), self.temperature)


def scores_to_proba(scores: npt.NDArray[np.float64], temperature: float) -> npt.NDArray[np.float64]:
    """Softmax of ``scores / temperature`` by row, or the sigmoid for a 1-d score vector."""
    z = scores / temperature
    if z.ndim == 1:
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))), dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


def fit_temperature(scores: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> float:
    """Temperature minimising the log loss of out-of-fold ``scores`` (golden-section search)."""

    def nll(t: float) -> float:
        p = scores_to_proba(scores, t)
        py = np.where(y == 1, p, 1 - p) if p.ndim == 1 else p[np.arange(y.shape[0]), y]
        return float(-np.mean(np.log(np.clip(py, 1e-12, 1.0))))

    lo, hi = np.log(1e-3), np.log(1e2)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a = hi - ratio * (hi - lo)
        b = lo + ratio * (hi - lo)
        if nll(float(np.exp(a))) < nll(float(np.exp(b))):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


@dataclass(frozen=True, slots=True)
class LinearModelParts:
    """What :func:`load_linear_model` reads: stored parameters, vectorizer, scorer, metadata."""

    params: dict[str, Any]
    vectorizer: HashedNgramVectorizer
    scorer: LinearScorer
    meta: dict[str, Any]


def save_linear_model(
    directory: Path,
    kind: str,
    params: Mapping[str, Any],
    vectorizer: HashedNgramVectorizer,
    scorer: LinearScorer,
    meta: Mapping[str, Any],
) -> None:
    """Store a fitted vectorizer + linear scorer model of format ``kind`` in ``directory``.

    Coefficients are stored as float16 (half the size; predictions agree to the fourth
    decimal); ``meta`` adds the model's own learned state (classes, threshold, domains).
    """
    arrays, vec_meta = vectorizer.to_arrays("vec_")
    arrays["coef"] = scorer.coef.astype(np.float16)
    arrays["intercept"] = scorer.intercept
    stored = {
        **meta,
        "kind": kind,
        "params": dict(params),
        "temperature": scorer.temperature,
        "vectorizer": vec_meta,
    }
    save_arrays(directory, arrays, stored)


def load_linear_model(directory: Path, kind: str) -> LinearModelParts:
    """Read a model written by :func:`save_linear_model`; refuse one of another ``kind``."""
    arrays, meta = load_arrays(directory)
    if meta.get("kind") != kind:
        raise ValueError(f"{directory} does not hold a {kind} model")
    return LinearModelParts(
        params=dict(meta["params"]),
        vectorizer=HashedNgramVectorizer.from_arrays(arrays, meta["vectorizer"], "vec_"),
        scorer=LinearScorer(
            arrays["coef"].astype(np.float32), arrays["intercept"], float(meta["temperature"])
        ),
        meta=meta,
    )


def init_params_from_json(cls: type, stored: Mapping[str, Any], **overrides: Any) -> dict[str, Any]:
    """Constructor arguments of ``cls`` from stored JSON parameters.

    Only names ``cls.__init__`` takes are used (JSON extras such as ``n_terms`` are skipped);
    a JSON list becomes a tuple where the default is a tuple; a name missing from ``stored``
    keeps its default unless ``overrides`` says what models stored before it existed meant.
    """
    out: dict[str, Any] = {}
    for name, param in inspect.signature(cls).parameters.items():
        if name in overrides:
            out[name] = overrides[name]
        elif name in stored:
            value = stored[name]
            out[name] = tuple(value) if isinstance(param.default, tuple) else value
    return out


def texts_and_tokens(
    texts: Sequence[Any], tokens: Sequence[Sequence[str]] | None
) -> tuple[Sequence[str], Sequence[Sequence[str]]]:
    """``(texts, tokens)`` as given, or unzipped from ``(text, tokens)`` pairs when tokens is None.

    The models take a text and its content tokens per document. The pipeline passes the two
    lists; scikit-learn's ``fit(X, y)`` / ``predict(X)`` (``clone``, ``cross_val_score``) pass
    one ``X``: a sequence of ``(text, tokens)`` pairs.
    """
    if tokens is not None:
        return texts, tokens
    pairs = list(texts)
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError("without tokens, X must hold (text, tokens) pairs")
    return [p[0] for p in pairs], [p[1] for p in pairs]
