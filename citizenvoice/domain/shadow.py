"""Shadow mode rules and figures, pure (issue 22).

A challenger in shadow scores each new message beside the champion; these functions turn the
stored pairs (and any labels that arrived later for those messages) into the figures the
office reads before a promotion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_SHADOW_DAYS",
    "ShadowPair",
    "comparable_label",
    "sentiment_confidence",
    "shadow_figures",
]

# A shadow longer than a quarter is a forgotten one: it costs a prediction per message.
MAX_SHADOW_DAYS = 90


@dataclass(frozen=True)
class ShadowPair:
    """One message scored by both: the champion's and the challenger's label and confidence."""

    submission_id: int
    champion_label: str | None
    champion_confidence: float | None
    label: str
    confidence: float


def comparable_label(kind: str, label: str | None) -> str | None:
    """A label in the labels store's vocabulary: sentiment 'positive' -> 'pos' and so on."""
    if label is None:
        return None
    if kind == "sentiment":
        return {"positive": "pos", "negative": "neg", "neutral": "neu"}.get(label, label)
    return label


def sentiment_confidence(score: float) -> float:
    """How sure a positive-probability score is of its side: 0.5 -> 0.5, 0.9 or 0.1 -> 0.9."""
    return max(score, 1.0 - score)


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def shadow_figures(kind: str, pairs: list[ShadowPair], labels: Mapping[int, str]) -> dict[str, Any]:
    """n, agreement rate, mean confidences and, on the labelled messages, both accuracies.

    ``labels`` maps a submission id to the label that arrived for it (store vocabulary).
    Rates are None when there is nothing to divide by.
    """
    n = len(pairs)
    agree = sum(
        1
        for p in pairs
        if comparable_label(kind, p.champion_label) == comparable_label(kind, p.label)
    )
    labelled = [p for p in pairs if p.submission_id in labels]
    right_champion = sum(
        1 for p in labelled if comparable_label(kind, p.champion_label) == labels[p.submission_id]
    )
    right_challenger = sum(
        1 for p in labelled if comparable_label(kind, p.label) == labels[p.submission_id]
    )
    m = len(labelled)
    return {
        "n": n,
        "agreement": round(agree / n, 4) if n else None,
        "champion_mean_confidence": _mean(p.champion_confidence for p in pairs),
        "challenger_mean_confidence": _mean(p.confidence for p in pairs),
        "n_labelled": m,
        "champion_accuracy": round(right_champion / m, 4) if m else None,
        "challenger_accuracy": round(right_challenger / m, 4) if m else None,
    }
