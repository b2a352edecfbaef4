"""Screen the taxonomy terms block of the category model on the grouped CV of the train part.

Not part of the product: it measures candidates for docs/model-experiments.md. The split and
the CV folds are the ones ``python -m nlp train category`` uses (``nlp.train.category``), so the
``--weights 0`` row reproduces the committed model's cross-validation figures. Dev is never
scored here. It also times the vectorizer's ``transform_fast`` with and without the block on
the same texts, since the block costs prediction time.

``taskset -c 0 python -m benchmarks.screen_category_terms --weights 0,0.5 [--seed 0]``

Why it imports nlp internals: the screen must use the training command's own grouping, split
and cross-validation (``nlp.train.category``, including the private ``_category_cv``), or
its figures would not be comparable with the committed model's card. It is research beside
the training code, not a user of nlp's public API.
"""

from __future__ import annotations

import argparse
import json
import time

from nlp import CategoryClassifier, Segmenter
from nlp.train.category import (
    _category_cv,
    duplicate_groups,
    grouped_split,
    shared_category_documents,
    shared_taxonomy_terms,
)


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per terms weight: CV folds, mean, sd, and the seconds it took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="0,0.5", help="comma-separated terms weights")
    parser.add_argument("--seed", type=int, default=0, help="random_state of split and CV")
    parser.add_argument(
        "--limit", type=int, default=None, help="only N evenly spaced messages (a smoke run)"
    )
    args = parser.parse_args(argv)
    docs = shared_category_documents(Segmenter())
    if args.limit is not None:
        # Evenly spaced, not the first N: the file is ordered by category.
        step = max(1, len(docs.texts) // args.limit)
        docs = docs.subset(range(0, len(docs.texts), step)[: args.limit])
    groups = duplicate_groups(docs.titles, docs.bodies)
    train_idx, _ = grouped_split(docs.labels, groups, args.seed)
    train = docs.subset(train_idx)
    train_groups = [groups[i] for i in train_idx]
    terms = shared_taxonomy_terms()
    for weight in (float(w) for w in args.weights.split(",")):
        model = CategoryClassifier(
            random_state=args.seed, terms=terms if weight > 0 else (), terms_weight=weight
        )
        started = time.perf_counter()
        cv = _category_cv(model, train, train_groups)
        vec = model._new_vectorizer().fit(train.texts, train.tokens)
        texts, tokens = docs.texts, docs.tokens
        t0 = time.perf_counter()
        for _ in range(3):
            vec.transform_fast(texts, tokens)
        transform_ms = (time.perf_counter() - t0) / 3 / len(texts) * 1000
        print(
            json.dumps(
                {
                    "terms_weight": weight,
                    "n_terms": len(model.terms),
                    "seed": args.seed,
                    **cv,
                    "transform_ms_per_message": round(transform_ms, 4),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
