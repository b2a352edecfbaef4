"""Benchmark nlp.topics on 10,000 real messages; compare NMF with gensim LDA; hot issues.

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.bench_topics`` (add
``--k-stability`` to refit with two other coherence samples and with all documents).

Corpus: the 8,438 labelled messages of tipdm2020c (title + text; for the 865 rows that only
have the pre-segmented ``segmented`` column, the title's tokens plus those words) and the first
1,562 hot messages = 10,000 documents. Times: segmentation (default Segmenter) and
``TopicModel.fit`` (TF-IDF, one NMF per K in the grid, coherence of every K, K choice), and
their sum against the 60 s target, in wall and in process CPU seconds (the machine is shared:
CPU time does not depend on other people's jobs; numpy/BLAS threads add up). NMI: topic of
each labelled message (argmax weight) against its first-level category, for NMF at the chosen
K and at K=7, and for gensim LDA (5 passes, same tokens and vocabulary limits) at the same K.
Hot issues: the index of nlp.hot_issues over the 4,326 hot messages, once per NMF topic
(``transform``) and once per near-duplicate group (nlp.dedup), top 5 each.

Why it imports nlp internals: the comparison needs gensim LDA fitted on exactly the tokens and
vocabulary of ``TopicModel`` (``nlp.topics.fit_lda``). LDA is a baseline for this measurement
only, so it stays out of nlp's public API rather than becoming a promise to users.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from nlp import (
    HotRecord,
    NearDuplicateIndex,
    default_segmenter,
    hot_issue_index,
    load_hot_messages,
    load_messages,
)
from nlp.topics import TopicModel, fit_lda

TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")


def parse_time(value: str) -> datetime | None:
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


def nmi(labels: list[str], topics: list[int]) -> float:
    return round(float(normalized_mutual_info_score(labels, topics)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--k-stability",
        action="store_true",
        help="also refit with other coherence samples (random_state 2, 3) and with all documents",
    )
    parser.add_argument(
        "--docs", type=int, default=10_000, help="corpus size: labelled messages, then hot ones"
    )
    args = parser.parse_args()
    seg = default_segmenter()
    messages = load_messages()[: args.docs]
    hot = load_hot_messages()
    start, cpu_start = time.perf_counter(), time.process_time()
    docs: list[list[str]] = []
    for m in messages:
        if m.text:
            docs.append(seg.content_tokens(f"{m.title}\n{m.text}"))
        else:
            docs.append(seg.content_tokens(m.title) + seg.content_of(m.segmented.split()))
    n_hot = max(0, args.docs - len(messages))
    hot_docs = [seg.content_tokens(f"{h.title}\n{h.text}") for h in hot[:n_hot]]
    docs += hot_docs
    seg_seconds = time.perf_counter() - start
    seg_cpu = time.process_time() - cpu_start
    # The other hot messages are segmented outside the timed 10k corpus (for hot issues).
    hot_docs += [seg.content_tokens(f"{h.title}\n{h.text}") for h in hot[n_hot:]]

    start, cpu_start = time.perf_counter(), time.process_time()
    model = TopicModel(random_state=1).fit(docs)
    fit_seconds = time.perf_counter() - start
    fit_cpu = time.process_time() - cpu_start
    labels = [m.label for m in messages]
    n_lab = len(labels)
    nmf_topics = model.labels_[:n_lab].tolist()

    start = time.perf_counter()
    model7 = TopicModel(n_topics=7, random_state=1).fit(docs)
    nmf7_seconds = time.perf_counter() - start

    start = time.perf_counter()
    lda = fit_lda(docs, model.k_, model=model, random_state=1)
    lda_seconds = time.perf_counter() - start
    lda7 = fit_lda(docs, 7, model=model, random_state=1)

    # Determinism: a second fit with the same random_state gives the same topics.
    again = TopicModel(n_topics=model.k_, random_state=1).fit(docs)

    # Hot issues over the hot messages, per NMF topic and per near-duplicate group.
    times = [parse_time(h.time) for h in hot]
    topic_of = model.transform(hot_docs).argmax(axis=1)
    per_topic = hot_issue_index(
        HotRecord(int(k), t, h.likes)
        for k, t, h in zip(topic_of.tolist(), times, hot, strict=True)
        if t is not None
    )
    index = NearDuplicateIndex()
    groups = index.add_many((h.message_id, f"{h.title}\n{h.text}") for h in hot)
    title = {h.message_id: h.title for h in hot}
    per_group = hot_issue_index(
        HotRecord(g, t, h.likes)
        for g, t, h in zip(groups, times, hot, strict=True)
        if t is not None
    )

    result = {
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "documents": len(docs),
        "labelled_documents": n_lab,
        "segmentation_seconds": round(seg_seconds, 2),
        "fit_seconds_nmf_with_k_selection": round(fit_seconds, 2),
        "total_seconds": round(seg_seconds + fit_seconds, 2),
        "cpu_seconds_segmentation": round(seg_cpu, 2),
        "cpu_seconds_fit": round(fit_cpu, 2),
        "cpu_seconds_total": round(seg_cpu + fit_cpu, 2),
        "k_grid": list(model.k_grid),
        "chosen_k": model.k_,
        "k_rule": "max mean of min-max scaled c_v and NPMI over the grid",
        "coherence_per_k": {str(k): v for k, v in sorted(model.coherence_.items())},
        "vocabulary": len(model.vocabulary_),
        "topics": [
            {"id": i, "label": lab, "count": c, "words": [w for w, _ in model.topic_words_[i]]}
            for i, (lab, c) in enumerate(zip(model.topic_labels_, model.topic_counts_, strict=True))
        ],
        "nmi_vs_7_categories": {
            f"nmf_k{model.k_}": nmi(labels, nmf_topics),
            "nmf_k7": nmi(labels, model7.labels_[:n_lab].tolist()),
            f"lda_k{model.k_}": nmi(labels, list(lda.labels[:n_lab])),
            "lda_k7": nmi(labels, list(lda7.labels[:n_lab])),
        },
        "coherence_nmf_vs_lda": {
            f"nmf_k{model.k_}": model.coherence_[model.k_],
            f"lda_k{model.k_}": lda.coherence,
            "nmf_k7": model7.coherence_[7],
            "lda_k7": lda7.coherence,
        },
        "seconds_nmf_k7_fit": round(nmf7_seconds, 2),
        "seconds_lda_fit_chosen_k": round(lda_seconds, 2),
        "deterministic_refit_same_topics": bool(
            np.array_equal(again.labels_, model.labels_)
            and again.topic_labels_ == model.topic_labels_
        ),
        "lda_topics": [list(w[:5]) for w in lda.topic_words],
        "hot_topics_top5": [
            {
                "topic": model.topic_labels_[int(str(h.key))],
                "index": h.index,
                "volume": h.volume,
                "likes": h.likes,
                "growth": h.growth,
                "span_days": round(h.span_days, 1),
            }
            for h in per_topic[:5]
        ],
        "hot_groups_top5": [
            {
                "title": title[str(h.key)],
                "index": h.index,
                "volume": h.volume,
                "likes": h.likes,
                "growth": h.growth,
                "span_days": round(h.span_days, 1),
            }
            for h in per_group[:5]
        ],
    }
    if args.k_stability:
        runs = []
        for seed, sample in ((2, 4000), (3, 4000), (1, None)):
            start = time.perf_counter()
            other = TopicModel(random_state=seed, coherence_docs=sample).fit(docs)
            runs.append(
                {
                    "random_state": seed,
                    "coherence_docs": sample,
                    "chosen_k": other.k_,
                    "nmi": nmi(labels, other.labels_[:n_lab].tolist()),
                    "fit_seconds": round(time.perf_counter() - start, 2),
                    "coherence_per_k": {str(k): v for k, v in sorted(other.coherence_.items())},
                }
            )
        result["k_stability"] = runs
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
