"""Drift measures: how far a week of analyses moved from the data a model was trained on.

``population_stability_index(expected, actual)``
    PSI = sum over bins of (a - e) * ln(a / e), where e and a are the two distributions'
    shares. A bin that is empty on one side would make the logarithm infinite, so every share
    is floored at ``PSI_EPSILON`` (1e-4, i.e. 0.01%) before the sum: an empty bin then
    contributes a large but finite term (about 0.0009 + share * ln(share / 1e-4)). PSI is
    always >= 0 and 0 for identical distributions. It is not exactly symmetric: swapping the
    arguments gives the same value when no bin is floored (each term (a - e) ln(a / e) is
    symmetric), and a slightly different value when a bin is empty on one side only (the
    flooring then adds its mass to one side's total only).
``oov_rate(tokens, vocabulary)``
    Share of tokens not in the model's word vocabulary (the vectorizer's ``words``).
``model_vocabulary(model_dir)``, ``load_reference(model_dir)``
    Read a model directory's word vocabulary (``model.json``) and its committed reference
    distribution (``reference.json``, written by ``python -m nlp reference``), without loading
    the model's arrays.

Usual reading of PSI (credit-scoring practice): below 0.1 no shift, 0.1-0.25 moderate, above
0.25 significant. The application decides which of these warn (docs/learning.md, "Drift").
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "PSI_EPSILON",
    "REFERENCE_FILE",
    "SHIPPED_MODELS_DIR",
    "label_mix",
    "load_reference",
    "model_vocabulary",
    "oov_rate",
    "population_stability_index",
]

#: Floor of every share in the PSI sum, so an empty bin costs a finite amount (see above).
PSI_EPSILON = 1e-4
#: Name of the reference distribution file inside a model directory.
REFERENCE_FILE = "reference.json"
#: The models shipped with the library (``nlp/models/{category,sentiment}``).
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent / "models"


def label_mix(labels: Iterable[str | None]) -> dict[str, float]:
    """Share of each label among ``labels`` (None is skipped); empty input gives {}."""
    counts: dict[str, int] = {}
    for label in labels:
        if label is not None:
            counts[label] = counts.get(label, 0) + 1
    total = sum(counts.values())
    return {k: v / total for k, v in sorted(counts.items())} if total else {}


def _shares(dist: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
    total = sum(max(float(v), 0.0) for v in dist.values())
    if total <= 0:
        raise ValueError("distribution is empty")
    return {k: max(max(float(dist.get(k, 0.0)), 0.0) / total, PSI_EPSILON) for k in keys}


def population_stability_index(expected: Mapping[str, float], actual: Mapping[str, float]) -> float:
    """PSI of ``actual`` against ``expected`` (counts or shares per bin; renormalised here).

    Bins are the union of both keys; shares are floored at ``PSI_EPSILON``. Raises ValueError
    when either distribution is empty (the caller reports "no data" instead of a number).
    """
    keys = sorted(set(expected) | set(actual))
    e = _shares(expected, keys)
    a = _shares(actual, keys)
    return float(sum((a[k] - e[k]) * math.log(a[k] / e[k]) for k in keys))


def oov_rate(tokens: Iterable[str], vocabulary: frozenset[str] | set[str]) -> float | None:
    """Share of ``tokens`` outside ``vocabulary``; None when there are no tokens."""
    total = missing = 0
    for token in tokens:
        total += 1
        if token not in vocabulary:
            missing += 1
    return missing / total if total else None


def model_vocabulary(model_dir: Path) -> frozenset[str]:
    """The word vocabulary of the model in ``model_dir`` (its vectorizer's ``words``)."""
    meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    return frozenset(str(w) for w in meta.get("vectorizer", {}).get("words", []))


def load_reference(model_dir: Path) -> dict[str, Any] | None:
    """The reference distribution committed beside a model, or None when it has none."""
    path = model_dir / REFERENCE_FILE
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
