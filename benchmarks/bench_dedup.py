"""Benchmark nlp.dedup: precision on hot_messages and speed/memory at 100,000 messages.

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.bench_dedup [--n 100000]``.

Precision on hot_messages.csv.gz (title + text of 4,326 real messages), over every pair
(group founder, later member) the index produces:
* ``proxy_same_user_or_title``: the two messages share the user id, or their titles have a
  character-bigram Dice similarity >= 0.5 (an objective proxy for "same issue");
  ``random_pair_proxy_rate`` gives the same proxy on random pairs as a baseline;
* ``manual_sample``: a seeded sample of pairs printed with ``--show`` and judged by reading
  (the judgement is recorded in docs/text-mining-evaluation.md, not computed here).

Scale (``--n``): every real message text of the three tipdm2020c files (hot, labelled,
replied; ~14.7k unique texts) plus seeded synthetic variants of randomly chosen real messages
until ``n`` rows: typos (1-3% of characters replaced), a greeting or closing added, the last
sentence dropped, punctuation/spaces changed, or several at once. ``variant_recall`` is the share
of variants put in the group of their source message. Time (wall and process CPU, as the
machine is shared) is ``add_many`` over all rows
(signatures, exact pass, LSH) after loading; memory is peak RSS (ru_maxrss) of the process and
the growth of RSS across the build.

Why it imports an nlp internal: the exact-copy check compares texts in the index's own
comparison form (``nlp.dedup.normalise_for_dedup``), so "exact" means what the index means.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sys
import time

from nlp import load_hot_messages, load_messages, load_replies
from nlp.dedup import NearDuplicateIndex, normalise_for_dedup

GREETINGS = ["尊敬的领导：您好！", "市长您好，", "尊敬的书记：", "您好！我想反映一个问题。"]
CLOSINGS = ["请尽快处理，谢谢！", "望相关部门重视。", "恳请领导关注！", "希望早日解决，谢谢。"]
PUNCT = "，。！？、；： "


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 1024.0 / 1024.0


def _bigram_dice(a: str, b: str) -> float:
    x = {a[i : i + 2] for i in range(len(a) - 1)}
    y = {b[i : i + 2] for i in range(len(b) - 1)}
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _jaccard(a: str, b: str, k: int = 3) -> float:
    x, y = normalise_for_dedup(a), normalise_for_dedup(b)
    sx = {x[i : i + k] for i in range(max(len(x) - k + 1, 1))}
    sy = {y[i : i + k] for i in range(max(len(y) - k + 1, 1))}
    return len(sx & sy) / max(len(sx | sy), 1)


def _variant(text: str, rng: random.Random) -> str:
    kinds = rng.choice(["typo", "greet", "trim", "punct", "combo"])
    steps = ["typo", "greet", "trim", "punct"] if kinds == "combo" else [kinds]
    out = text
    for step in steps:
        if step == "typo" and out:
            chars = list(out)
            n = max(1, int(len(chars) * rng.uniform(0.01, 0.03)))
            for _ in range(n):
                chars[rng.randrange(len(chars))] = rng.choice(chars)
            out = "".join(chars)
        elif step == "greet":
            out = rng.choice(GREETINGS) + out + rng.choice(CLOSINGS)
        elif step == "trim":
            cut = out.rfind("。", 0, max(len(out) - 1, 0))
            if cut > len(out) * 0.7:
                out = out[: cut + 1]
        elif step == "punct":
            out = "".join(
                rng.choice(PUNCT) if ch in PUNCT and rng.random() < 0.5 else ch for ch in out
            )
    return out


def hot_precision(show: int) -> dict[str, object]:
    """Group hot_messages and measure pair precision by proxy; print a sample if asked."""
    hot = load_hot_messages()
    by_id = {m.message_id: m for m in hot}
    index = NearDuplicateIndex()
    start = time.perf_counter()
    index.add_many((m.message_id, f"{m.title}\n{m.text}") for m in hot)
    elapsed = time.perf_counter() - start
    groups = index.groups()
    pairs = [(g, k) for g, keys in groups.items() for k in keys[1:]]

    def proxy(a: str, b: str) -> bool:
        x, y = by_id[a], by_id[b]
        return x.user == y.user or _bigram_dice(x.title, y.title) >= 0.5

    rng = random.Random(7)
    ids = list(by_id)
    random_pairs = [tuple(rng.sample(ids, 2)) for _ in range(5000)]
    sample = random.Random(3).sample(pairs, min(show, len(pairs))) if show else []
    for g, k in sample:
        a, b = by_id[g], by_id[k]
        print(
            f"--- {g} / {k}\n  A {a.title} | {a.text[:160]}\n  B {b.title} | {b.text[:160]}",
            file=sys.stderr,
        )
    sizes = sorted((len(v) for v in groups.values()), reverse=True)
    return {
        "messages": len(hot),
        "groups": len(groups),
        "groups_with_duplicates": sum(1 for s in sizes if s > 1),
        "largest_groups": sizes[:10],
        "pairs": len(pairs),
        "pairs_exact_after_normalising": sum(
            1
            for g, k in pairs
            if normalise_for_dedup(f"{by_id[g].title}\n{by_id[g].text}")
            == normalise_for_dedup(f"{by_id[k].title}\n{by_id[k].text}")
        ),
        "proxy_same_user_or_title": round(sum(proxy(g, k) for g, k in pairs) / len(pairs), 4),
        "proxy_same_user": round(
            sum(by_id[g].user == by_id[k].user for g, k in pairs) / len(pairs), 4
        ),
        "random_pair_proxy_rate": round(
            sum(proxy(a, b) for a, b in random_pairs) / len(random_pairs), 4
        ),
        "seconds": round(elapsed, 3),
    }


def scale(n: int) -> dict[str, object]:
    """Build n rows from real texts plus variants and time add_many; report memory and recall."""
    texts: list[str] = []
    seen: set[str] = set()
    for t in (
        [f"{m.title}\n{m.text}" for m in load_hot_messages()]
        + [f"{m.title}\n{m.text}" for m in load_messages() if m.text]
        + [f"{m.title}\n{m.text}" for m in load_replies()]
    ):
        if t not in seen:
            seen.add(t)
            texts.append(t)
    rng = random.Random(2020)
    items: list[tuple[str, str]] = [(f"r{i}", t) for i, t in enumerate(texts)]
    source: dict[str, str] = {}
    while len(items) < n:
        src = rng.randrange(len(texts))
        key = f"v{len(items)}"
        items.append((key, _variant(texts[src], rng)))
        source[key] = f"r{src}"
    items = items[:n]
    order = list(range(len(items)))
    rng.shuffle(order)
    items = [items[i] for i in order]
    total_chars = sum(len(t) for _, t in items)
    gc.collect()
    rss_before = _current_rss_mb()
    index = NearDuplicateIndex()
    start, cpu_start = time.perf_counter(), time.process_time()
    index.add_many(items)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    rss_after = _current_rss_mb()
    groups = index.groups()
    text_of = dict(items)
    similar, hit_similar, hit_all = 0, 0, 0
    foreign_jaccard: list[float] = []
    for key, src in source.items():
        same = index.group_of(key) == index.group_of(src)
        hit_all += same
        if _jaccard(text_of[key], text_of[src]) >= index.threshold:
            similar += 1
            hit_similar += same
        # Joined a group founded by a message derived from another real text: a wrong join
        # (or a true duplicate among the real texts themselves).
        founder = index.group_of(key)
        if source.get(founder, founder) != src:
            foreign_jaccard.append(_jaccard(text_of[src], text_of[source.get(founder, founder)]))
    fresh = random.Random(99)
    stream_keys = [
        (f"s{i}", _variant(texts[fresh.randrange(len(texts))], fresh)) for i in range(2000)
    ]
    start = time.perf_counter()
    for key, text in stream_keys:
        index.add(key, text)
    per_msg_ms = (time.perf_counter() - start) / len(stream_keys) * 1000
    state = index.to_state()
    return {
        "rows": len(items),
        "real_texts": len(texts),
        "synthetic_variants": len(items) - len(texts),
        "chars": total_chars,
        "seconds_add_many": round(elapsed, 2),
        "cpu_seconds_add_many": round(cpu, 2),
        "messages_per_second": round(len(items) / elapsed),
        "groups": len(groups),
        "variant_recall_all": round(hit_all / max(len(source), 1), 4),
        "variants_true_jaccard_ge_threshold": similar,
        "variant_recall_true_jaccard_ge_threshold": round(hit_similar / max(similar, 1), 4),
        "variants_joined_group_of_other_real_text": len(foreign_jaccard),
        # Jaccard between the variant's real source and the real source of the group founder:
        # high values mean the two real texts are themselves near-duplicates (a correct join).
        "those_joins_source_jaccard_min": round(min(foreign_jaccard, default=1.0), 3),
        "those_joins_source_jaccard_below_0_5": sum(j < 0.5 for j in foreign_jaccard),
        "stream_add_ms_per_new_variant_at_100k": round(per_msg_ms, 3),
        "rss_before_mb": round(rss_before, 1),
        "rss_after_mb": round(rss_after, 1),
        "rss_growth_mb": round(rss_after - rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
        "state_signatures_mb": round(state["signatures"].nbytes / 1024 / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--show", type=int, default=0, help="print N sampled pairs to stderr")
    args = parser.parse_args()
    result = {
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "hot_messages": hot_precision(args.show),
        "scale": scale(args.n),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
