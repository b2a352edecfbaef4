"""Evaluate nlp.reply_quality on tipdm2020c replies.csv.gz (2,816 real department replies).

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.eval_reply_quality``
(``--write-idf`` first refits nlp/data/reply_idf.json from messages + replies; ``--show 20``
prints the 20 lowest- and 20 highest-scored replies to stderr for reading).

There are no quality labels, so the evaluation is indirect:
(a) relevance AUC: for every message, the relevance of its true reply against the relevance of
    the reply to another, randomly drawn message (seeded). A measure that tracks "answers this
    message" ranks the true reply higher. Reported for the combined relevance and for each
    signal alone; also with every quoted span “…” removed from the reply, because replies
    usually quote the message title, which makes the task easier than it is in general;
(b) distributions of score, components and parts found (``parts_found_rate`` over all replies;
    consultations are not required to report measures or a result);
(c) reply delay (reply_time - time) distribution and its Spearman correlation with timeliness
    (negative by construction: this checks the parsing and the curve, not the model);
(d) the lowest and highest scored replies, to read.

Why it imports nlp internals: (a) scores each relevance signal alone, which needs
``relevance_signals`` and the thresholds and patterns behind ``score_reply``
(``nlp.reply_quality``), and ``--write-idf`` refits the shipped IDF file (``fit_idf``,
``nlp.reply_idf.save_idf``). These are the scorer's own parts under measurement; the public
``score_reply`` alone could not separate them, and exporting them would freeze them.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from nlp import default_segmenter, load_messages, load_replies
from nlp.reply_idf import save_idf
from nlp.reply_quality import (
    CONSULTATION,
    CONSULTATION_HEAD_CHARS,
    COSINE_FULL,
    IDF_PATH,
    LOW_RELEVANCE,
    PART_PATTERNS,
    fit_idf,
    relevance_signals,
    score_reply,
)

TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
QUOTED = re.compile(r"[“\"][^”\"]{0,80}[”\"]")


def parse_time(value: str) -> datetime | None:
    value = value.strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _relevance(sig: dict[str, float | None]) -> float:
    parts = [float(sig["coverage"] or 0.0), min(1.0, float(sig["cosine"] or 0.0) / COSINE_FULL)]
    if sig["echo"] is not None:
        parts.append(float(sig["echo"]))
    return sum(parts) / len(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-idf", action="store_true")
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()
    seg = default_segmenter()
    replies = load_replies()
    if args.write_idf:
        docs = [seg.content_tokens(f"{m.title}\n{m.text}") for m in load_messages() if m.text]
        docs += [seg.content_tokens(r.reply) for r in replies]
        save_idf(fit_idf(docs, min_df=2))
    start = time.perf_counter()
    msg_text = [f"{r.title}\n{r.text}" for r in replies]
    m_tok = [seg.content_tokens(t) for t in msg_text]
    r_tok = [seg.content_tokens(r.reply) for r in replies]
    seg_seconds = time.perf_counter() - start

    # (b, c) scores
    start = time.perf_counter()
    results = []
    delays = []
    for r, mt, mtok, rtok in zip(replies, msg_text, m_tok, r_tok, strict=True):
        results.append(
            score_reply(mt, r.reply, parse_time(r.time), parse_time(r.reply_time), mtok, rtok)
        )
    score_seconds = time.perf_counter() - start
    for q in results:
        delays.append(q.delay_days)

    # (a) AUC: true reply vs the reply of another random message
    rng = random.Random(11)
    n = len(replies)
    other = [(i + rng.randrange(1, n)) % n for i in range(n)]
    sig_true, sig_fake, sig_true_q, sig_fake_q = [], [], [], []
    for i in range(n):
        j = other[i]
        sig_true.append(relevance_signals(msg_text[i], replies[i].reply, m_tok[i], r_tok[i]))
        sig_fake.append(relevance_signals(msg_text[i], replies[j].reply, m_tok[i], r_tok[j]))
        tq = QUOTED.sub("", replies[i].reply)
        fq = QUOTED.sub("", replies[j].reply)
        sig_true_q.append(relevance_signals(msg_text[i], tq, m_tok[i], seg.content_tokens(tq)))
        sig_fake_q.append(relevance_signals(msg_text[i], fq, m_tok[i], seg.content_tokens(fq)))

    def auc(true: list[dict[str, float | None]], fake: list[dict[str, float | None]]) -> dict:
        y = [1] * len(true) + [0] * len(fake)
        out = {"relevance": round(roc_auc_score(y, [_relevance(s) for s in true + fake]), 4)}
        for key in ("coverage", "cosine"):
            out[key] = round(roc_auc_score(y, [float(s[key] or 0.0) for s in true + fake]), 4)
        both = [(t, f) for t, f in zip(true, fake, strict=True) if t["echo"] is not None]
        if both:
            ye = [1] * len(both) + [0] * len(both)
            vals = [float(t["echo"] or 0.0) for t, _ in both] + [
                float(f["echo"] or 0.0) for _, f in both
            ]
            out["echo"] = round(roc_auc_score(ye, vals), 4)
            out["echo_pairs"] = len(both)
        return out

    scores = np.array([q.score for q in results])
    comp = np.array([q.completeness for q in results])
    rel = np.array([q.relevance for q in results])
    tl = [(d, q.timeliness) for d, q in zip(delays, results, strict=True) if d is not None]
    d_arr = np.array([d for d, _ in tl])
    t_arr = np.array([t for _, t in tl])
    q = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    reason_counts: dict[str, int] = {}
    for res in results:
        for reason in res.reasons:
            reason_counts[reason] = reason_counts.get(reason, 0) + 1
    out = {
        "replies": n,
        "segmentation_seconds": round(seg_seconds, 2),
        "scoring_ms_per_reply": round(score_seconds / n * 1000, 3),
        "auc_true_vs_random_reply": auc(sig_true, sig_fake),
        "auc_true_vs_random_reply_quotes_removed": auc(sig_true_q, sig_fake_q),
        "low_relevance_flag_rate": {
            "threshold": LOW_RELEVANCE,
            "true_reply": round(sum(_relevance(x) < LOW_RELEVANCE for x in sig_true) / n, 4),
            "true_reply_200_chars_or_more": round(
                sum(
                    _relevance(x) < LOW_RELEVANCE and len(replies[i].reply) >= 200
                    for i, x in enumerate(sig_true)
                )
                / n,
                4,
            ),
            "reply_of_other_message": round(
                sum(_relevance(x) < LOW_RELEVANCE for x in sig_fake) / n, 4
            ),
        },
        "score_quantiles": dict(
            zip(map(str, q), np.quantile(scores, q).round(3).tolist(), strict=True)
        ),
        "relevance_quantiles": dict(
            zip(map(str, q), np.quantile(rel, q).round(3).tolist(), strict=True)
        ),
        "completeness_quantiles": dict(
            zip(map(str, q), np.quantile(comp, q).round(3).tolist(), strict=True)
        ),
        "parts_found_rate": {
            p: round(sum(p in r.parts for r in results) / n, 4) for p in PART_PATTERNS
        },
        "template_only_rate": round(sum(r.template_only for r in results) / n, 4),
        "consultation_share": round(
            sum(bool(CONSULTATION.search(t[:CONSULTATION_HEAD_CHARS])) for t in msg_text) / n, 4
        ),
        "reasons_top": dict(sorted(reason_counts.items(), key=lambda kv: -kv[1])[:12]),
        "delay": {
            "with_both_times": len(tl),
            "days_quantiles": dict(
                zip(map(str, q), np.quantile(d_arr, q).round(2).tolist(), strict=True)
            ),
            "share_within_7_days": round(float((d_arr <= 7).mean()), 4),
            "share_within_15_days": round(float((d_arr <= 15).mean()), 4),
            "spearman_timeliness_vs_delay": round(float(spearmanr(d_arr, t_arr)[0]), 4),
            "spearman_completeness_vs_delay": round(
                float(
                    spearmanr(
                        d_arr,
                        [results[i].completeness for i, d in enumerate(delays) if d is not None],
                    )[0]
                ),
                4,
            ),
        },
        "idf_file": str(IDF_PATH.relative_to(Path(__file__).resolve().parent.parent)),
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.show:
        order = np.argsort(scores, kind="stable")
        for label, idxs in (("LOWEST", order[: args.show]), ("HIGHEST", order[::-1][: args.show])):
            print(f"===== {label}", file=sys.stderr)
            for i in idxs.tolist():
                r, res = replies[i], results[i]
                print(
                    f"--- score={res.score} rel={res.relevance} comp={res.completeness} "
                    f"time={res.timeliness} parts={','.join(res.parts)} "
                    f"reasons={'/'.join(res.reasons)}\n"
                    f"  MSG {r.title} | {r.text[:120]}\n  REPLY {r.reply[:300]}",
                    file=sys.stderr,
                )


if __name__ == "__main__":
    main()
