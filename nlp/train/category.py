"""Training and evaluation of the category model (called by ``python -m nlp``).

Category: the labelled TipDM messages (or any CSV with title, text, label) are grouped so that
duplicates never straddle a split -- two messages are in one group when their bodies are near
duplicates by ``nlp.dedup`` (MinHash over character 3-grams, Jaccard 0.8: the rule the app's
stored groups follow), or they share a normalised title or the first 50 normalised characters
of their body.
A stratified group split holds out 20% as the dev set, touched only for the final figures;
5-fold grouped cross-validation on the training part gives the tuning figures. The stored model
is trained on the training part only, so its card's dev metrics can be reproduced.

Sentiment training lives in :mod:`nlp.train.sentiment`; both models' cards begin with
:func:`nlp.train.cards.card_head` (``card.json`` and the first lines of ``MODEL_CARD.md``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nlp.classify import CategoryClassifier, load_default_classifier
from nlp.datasets import load_messages
from nlp.dedup import NearDuplicateIndex, normalise_for_dedup
from nlp.normalize import compose_text
from nlp.segment import Segmenter
from nlp.train.cards import write_card
from nlp.train.common import classification_metrics, open_text

__all__ = [
    "Documents",
    "duplicate_groups",
    "evaluate_category",
    "grouped_split",
    "load_category_csv",
    "shared_category_documents",
    "train_category",
]

# The card's notes describe the model as it is; the experiments behind its settings (what was
# measured and not kept, with figures) are in docs/model-experiments.md.
CATEGORY_NOTES = (
    "Inputs: title and body joined by a newline after the pipeline's normalisation and "
    "redaction; content tokens from nlp.segment. Features: TF-IDF (raw term frequency, "
    "per-block length normalisation) over hashed character 1-3-grams of the first 1,000 "
    "characters, character 1-3-grams of the first 25 characters (the title) as a second block, "
    "and word 1-2-grams of the content tokens; 2**22 hash buckets, buckets seen in fewer than 2 "
    "training messages dropped. Classifier: NBSVM in one-vs-rest form -- per class, features "
    "scaled by their log-count ratio (binarised presence, smoothing alpha=1), a binary "
    "LinearSVC (C=0.3, balanced class weights), the ratio folded back into the weights, so the "
    "stored model is one weight vector per class. Model selection by 5-fold grouped CV on the "
    "training split only (macro-F1 mean); the candidates measured and not kept are listed in "
    "docs/model-experiments.md. Probabilities: softmax of the one-vs-rest scores divided by one "
    "temperature fitted on 5-fold out-of-fold scores (log loss). `uncertain` is set below "
    "`uncertain_threshold`: the smallest confidence at which the out-of-fold predictions kept "
    "reach 0.97 precision. Rows whose text_source is segmented_only carry only the "
    "stopword-filtered segmentation: they are trained on as tokens plus the tokens' "
    "concatenation as text, and they are in the dev split too; `original_text_only` gives the "
    "dev figures on rows whose text is as posted. Stored as npz (allow_pickle=False) + JSON, "
    "coefficients as float16."
)
DEV_FOLDS = 5  # one fold of a stratified 5-fold group split is the dev set (20%)
CV_FOLDS = 5
#: Jaccard similarity of character 3-gram sets at which two bodies are one issue (as the app's).
DUPLICATE_THRESHOLD = 0.8


@dataclass(frozen=True, slots=True)
class Documents:
    """Model inputs: text (title, newline, body), content tokens, label, provenance."""

    texts: list[str]
    tokens: list[list[str]]
    labels: list[str]
    titles: list[str]
    bodies: list[str]
    sources: list[str]
    rows: list[int]

    def subset(self, index: Sequence[int] | npt.NDArray[np.int64]) -> Documents:
        """The documents at ``index``, in that order."""
        idx = [int(i) for i in index]
        return Documents(
            texts=[self.texts[i] for i in idx],
            tokens=[self.tokens[i] for i in idx],
            labels=[self.labels[i] for i in idx],
            titles=[self.titles[i] for i in idx],
            bodies=[self.bodies[i] for i in idx],
            sources=[self.sources[i] for i in idx],
            rows=[self.rows[i] for i in idx],
        )


_TERM_PARTS = re.compile(r"[和与及、]")


def taxonomy_terms(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    """The phrases of the terms feature block, from taxonomy rows (level1, level2, level3).

    Every level-2 and level-3 name, and its parts split at 和/与/及/、, of two or more
    characters, sorted and without repeats (530 phrases for the shared taxonomy).
    """
    terms: set[str] = set()
    for _, level2, level3 in rows:
        for name in (level2.strip(), level3.strip()):
            if not name:
                continue
            terms.add(name)
            terms.update(part.strip() for part in _TERM_PARTS.split(name))
    return sorted(t for t in terms if len(t) >= 2)


def shared_taxonomy_terms() -> list[str]:
    """``taxonomy_terms`` of the shared taxonomy.csv, or [] where the shared data is missing."""
    from nlp.datasets import load_taxonomy

    try:
        return taxonomy_terms(load_taxonomy())
    except FileNotFoundError:
        return []


def _documents(
    titles: list[str],
    bodies: list[str],
    segmented: list[str],
    labels: list[str],
    sources: list[str],
    rows: list[int],
    segmenter: Segmenter | None,
) -> Documents:
    seg = segmenter if segmenter is not None else Segmenter()
    texts: list[str] = []
    tokens: list[list[str]] = []
    for raw_title, raw_body, segs in zip(titles, bodies, segmented, strict=True):
        # the same preparation as the pipeline's: normalise, then mask personal data
        title, body = _prepare(raw_title), _prepare(raw_body)
        if not body.strip() and segs.strip():
            # Only the stopword-filtered segmentation survives: its tokens are the content
            # tokens, and their concatenation stands in for the body (stopwords missing).
            words = segs.split()
            texts.append(compose_text(title, "".join(words)))
            tokens.append(words)
        else:
            text = compose_text(title, body)
            texts.append(text)
            tokens.append(seg.content_tokens(text))
    return Documents(texts, tokens, labels, titles, bodies, sources, rows)


def _prepare(text: str) -> str:
    from nlp.normalize import normalize
    from nlp.redact import redact

    return redact(normalize(text)).text


def shared_category_documents(
    segmenter: Segmenter | None = None, rows: set[int] | None = None
) -> Documents:
    """The 8,438 labelled TipDM messages as model inputs (segmented_only rows use ``segmented``).

    ``rows`` restricts the result to messages with those ``row`` numbers (e.g. a dev split).
    """
    msgs = [m for m in load_messages() if rows is None or m.row in rows]
    return _documents(
        [m.title for m in msgs],
        [m.text for m in msgs],
        [m.segmented for m in msgs],
        [m.label for m in msgs],
        [m.text_source for m in msgs],
        [m.row for m in msgs],
        segmenter,
    )


def load_category_csv(path: Path, segmenter: Segmenter | None = None) -> Documents:
    """Read a CSV with columns title, text, label (optional: text_source, segmented)."""
    titles: list[str] = []
    bodies: list[str] = []
    segs: list[str] = []
    labels: list[str] = []
    sources: list[str] = []
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path} lacks column(s) {sorted(missing)}")
        for r in reader:
            titles.append(r.get("title") or "")
            bodies.append(r.get("text") or "")
            segs.append(r.get("segmented") or "")
            labels.append((r.get("label") or "").strip())
            sources.append(r.get("text_source") or "original")
    return _documents(titles, bodies, segs, labels, sources, list(range(len(titles))), segmenter)


def duplicate_groups(titles: Sequence[str], bodies: Sequence[str]) -> list[int]:
    """Group id per message: duplicates share a group, so a split never separates them.

    Near-duplicate bodies are ``nlp.dedup``'s groups (the rule the app's stored groups follow;
    the index's looser LSH layout, since a missed pair here leaks into the dev figures). Two
    more keys join messages the text rule can miss: the same comparison-form title, or the same
    first 50 comparison-form body characters (keys under 5 characters say nothing). Groups are
    joined transitively across the three rules; the id is the group's first message.
    """
    n = len(titles)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    index = NearDuplicateIndex(threshold=DUPLICATE_THRESHOLD, random_state=1)
    near = index.add_many((str(i), body) for i, body in enumerate(bodies))
    norm_bodies = [normalise_for_dedup(b) for b in bodies]
    titles_key = [normalise_for_dedup(t) for t in titles]
    prefix_key = [b[:50] for b in norm_bodies]
    for column, min_len in ((near, 0), (titles_key, 5), (prefix_key, 5)):
        first: dict[str, int] = {}
        for i, key in enumerate(column):
            if len(key) < min_len:
                continue
            if key in first:
                union(first[key], i)
            else:
                first[key] = i
    return [find(i) for i in range(n)]


def grouped_split(
    labels: Sequence[str], groups: Sequence[int], random_state: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Train and dev indices: the first fold of a stratified 5-fold group split is dev."""
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(DEV_FOLDS, shuffle=True, random_state=random_state)
    train, dev = next(splitter.split(np.zeros(len(labels)), list(labels), list(groups)))
    return train.astype(np.int64), dev.astype(np.int64)


def _category_cv(
    model: CategoryClassifier, docs: Documents, groups: Sequence[int]
) -> dict[str, Any]:
    """Grouped, stratified k-fold macro-F1 of the uncalibrated SVM on the training part."""
    from sklearn.model_selection import StratifiedGroupKFold

    classes = sorted(set(docs.labels))
    y = np.array([classes.index(label) for label in docs.labels], dtype=np.int64)
    splitter = StratifiedGroupKFold(CV_FOLDS, shuffle=True, random_state=model.random_state + 1)
    scores: list[float] = []
    for a, b in splitter.split(np.zeros(len(y)), y, list(groups)):
        vec, coef, intercept = model._fit_scorer(
            [docs.texts[i] for i in a], [docs.tokens[i] for i in a], y[a]
        )
        x = vec.transform([docs.texts[i] for i in b], [docs.tokens[i] for i in b])
        pred = np.asarray(x @ coef.T + intercept).argmax(axis=1)
        m = classification_metrics([classes[i] for i in y[b]], [classes[i] for i in pred], classes)
        scores.append(float(m["macro_f1"]))
    return {
        "folds": CV_FOLDS,
        "macro_f1_mean": round(float(np.mean(scores)), 4),
        "macro_f1_std": round(float(np.std(scores)), 4),
        "macro_f1_folds": [round(s, 4) for s in scores],
    }


def evaluate_documents(model: CategoryClassifier, docs: Documents) -> dict[str, Any]:
    """Metrics of ``model`` on ``docs``, overall and on rows whose text is as posted."""
    predictions = model.predict(docs.texts, docs.tokens)
    pred = [p.label for p in predictions]
    result = classification_metrics(docs.labels, pred, model.classes_)
    original = [i for i, s in enumerate(docs.sources) if s == "original"]
    if original and len(original) < len(docs.labels):
        sub = classification_metrics(
            [docs.labels[i] for i in original], [pred[i] for i in original], model.classes_
        )
        result["original_text_only"] = {k: sub[k] for k in ("accuracy", "macro_f1", "n")}
    kept = [i for i, p in enumerate(predictions) if not p.uncertain]
    if kept:
        result["kept_confident"] = {
            "share": round(len(kept) / len(pred), 4),
            "precision": round(sum(pred[i] == docs.labels[i] for i in kept) / len(kept), 4),
        }
    return result


def train_category(data: Path | None, out_dir: Path, random_state: int = 0) -> dict[str, Any]:
    """Train a category model on ``data`` (None: shared TipDM messages) into ``out_dir``.

    Returns the card: data, grouped split, cross-validation and dev metrics, date, version.
    """
    segmenter = Segmenter()
    docs = (
        shared_category_documents(segmenter) if data is None else load_category_csv(data, segmenter)
    )
    groups = duplicate_groups(docs.titles, docs.bodies)
    train_idx, dev_idx = grouped_split(docs.labels, groups, random_state)
    train_docs, dev_docs = docs.subset(train_idx), docs.subset(dev_idx)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    version = f"category-{today}-rs{random_state}"
    model = CategoryClassifier(random_state=random_state, version=version)
    cv = _category_cv(model, train_docs, [groups[i] for i in train_idx])
    model.fit(train_docs.texts, train_docs.tokens, train_docs.labels)
    model.save(out_dir)
    dev = evaluate_documents(load_default_classifier(out_dir), dev_docs)
    card = {
        "model": "category",
        "version": version,
        "date": today,
        "random_state": random_state,
        "data": str(data) if data is not None else "shared tipdm2020c/messages.csv.gz",
        "n_documents": len(docs.labels),
        "split": {
            "method": (
                "stratified 5-fold group split, fold 0 is dev; groups join messages whose "
                "bodies are near duplicates by nlp.dedup (MinHash, 128 perms, char 3-grams, "
                "Jaccard 0.8), or with the same normalised title or the same first 50 "
                "normalised body characters"
            ),
            "n_groups": len(set(groups)),
            "n_train": len(train_idx),
            "n_dev": len(dev_idx),
            "dev_rows": [docs.rows[i] for i in dev_idx],
        },
        "params": model.params(),
        "uncertain_threshold": model.uncertain_threshold_,
        "temperature": model.scorer_.temperature,
        "cross_validation": cv,
        "dev_metrics": dev,
        "notes": CATEGORY_NOTES,
    }
    write_card(out_dir, card)
    return card


def evaluate_category(data: Path, model_dir: Path | None = None) -> dict[str, Any]:
    """Metrics of the stored (default) category model on a labelled CSV (title, text, label)."""
    model = load_default_classifier(model_dir)
    return evaluate_documents(model, load_category_csv(data))
