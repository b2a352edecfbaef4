"""Throughput benchmark of the analysis pipeline on real messages, on one core.

``python -m nlp bench [--n 10000] [--snownlp-sample 300]`` prints one JSON object:

* ``load_s``: ``Analyzer.load()`` wall time in this process (segmenter with its prefix-dict
  cache, category and sentiment models, IDF table, lexicon); target < 2 s;
* ``segmentation``: the pipeline's own segmenter (``cut`` + content-token filter) alone on the
  model texts of the same messages: characters/s and messages/s. Segmentation alone and the full
  analysis are timed batch by batch, interleaved, so load from other processes on a shared
  machine affects both alike;
* ``full``: ``Analyzer.analyze_batch`` (normalize, redact, segment, classify, sentiment,
  keywords, urgency) on the same messages in batches: messages/s and the mean milliseconds of
  each step (from ``Analysis.timings_ms``);
* ``ratio_full_to_segmentation``: full messages/s divided by segmentation messages/s (target
  >= 0.70: the models should add little beyond tokenising);
* ``long_text_s``: one ``Analyzer.analyze`` of a 100,000-character text (the longest a
  submission may be is far shorter; this bounds the worst case of every step);
* ``snownlp``: SnowNLP's sentiment on the first ``snownlp_sample`` messages in a fresh
  subprocess (same CPU pinning): import time, resident memory added by the import, and
  milliseconds per message, for comparison with our sentiment step.

Messages: the title and text of the tipdm2020c labelled messages, then hot messages, then
replied messages (the department's replies are not used), in file order; when ``n`` exceeds
what exists the list is repeated (reported as ``n_distinct``). One core: the process pins itself
to one CPU with ``os.sched_setaffinity`` (where the OS supports it) before any timing, so
numpy/BLAS threads cannot use more. Each timed pass runs once, after a short warm-up pass on
the first 200 messages; absolute figures on a shared machine are noisy, the ratio less so, so
the 1-minute load average before and after the run is reported with them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nlp.pipeline import Analyzer

__all__ = ["bench_messages", "pin_to_one_core", "run_bench", "snownlp_figures"]

_SNOWNLP_SCRIPT = r"""
import json, sys, time

def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

texts = json.loads(sys.stdin.read())
before = rss_mb()
t0 = time.perf_counter()
from snownlp import SnowNLP
import_s = time.perf_counter() - t0
after_import = rss_mb()
SnowNLP(texts[0]).sentiments  # first call loads the sentiment model
after_load = rss_mb()
t1 = time.perf_counter()
for text in texts:
    SnowNLP(text).sentiments
elapsed = time.perf_counter() - t1
print(json.dumps({
    "n_messages": len(texts),
    "import_s": round(import_s, 3),
    "rss_import_mb": round(after_import - before, 1),
    "rss_after_first_call_mb": round(after_load - before, 1),
    "ms_per_message": round(elapsed * 1000 / len(texts), 3),
    "messages_per_s": round(len(texts) / elapsed, 1),
}))
"""


def pin_to_one_core() -> int | None:
    """Restrict this process to one CPU; return that CPU's number (None if unsupported)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def bench_messages(n: int) -> tuple[list[tuple[str, str]], int]:
    """Return ``n`` real (title, text) messages and how many of them are distinct."""
    from nlp.datasets import load_hot_messages, load_messages, load_replies

    pool: list[tuple[str, str]] = [(m.title, m.text) for m in load_messages()]
    pool += [(m.title, m.text) for m in load_hot_messages()]
    pool += [(m.title, m.text) for m in load_replies()]
    pool = [(t, x) for t, x in pool if (t + x).strip()]
    distinct = min(n, len(pool))
    return [pool[i % len(pool)] for i in range(n)], distinct


def snownlp_figures(texts: list[str]) -> dict[str, Any]:
    """Run SnowNLP sentiment on ``texts`` in a fresh subprocess and return its figures."""
    proc = subprocess.run(  # noqa: S603 -- fixed script, our own interpreter
        [sys.executable, "-c", _SNOWNLP_SCRIPT],
        input=json.dumps(texts, ensure_ascii=False),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    figures: dict[str, Any] = json.loads(proc.stdout)
    return figures


def _loadavg() -> float | None:
    """The 1-minute load average (None where the OS has none): other load skews timings."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


@dataclass(slots=True)
class _Timings:
    """Seconds spent segmenting and analysing, and each pipeline step's total milliseconds."""

    seg_s: float = 0.0
    full_s: float = 0.0
    step_totals: dict[str, float] = field(default_factory=dict)


def _time_batches(
    analyzer: Analyzer,
    messages: list[tuple[str, str]],
    model_texts: list[str],
    batch_size: int,
) -> _Timings:
    """Time segmentation alone and the full analysis, batch by batch, interleaved.

    Interleaving makes load from other processes on a shared machine hit both measurements
    alike, so their ratio holds even when the absolute rates do not.
    """
    timings = _Timings()
    for start in range(0, len(messages), batch_size):
        t0 = time.perf_counter()
        analyzer.segment_only(model_texts[start : start + batch_size])
        t1 = time.perf_counter()
        analyses = analyzer.analyze_batch(messages[start : start + batch_size])
        t2 = time.perf_counter()
        timings.seg_s += t1 - t0
        timings.full_s += t2 - t1
        for analysis in analyses:
            for step, ms in analysis.timings_ms:
                timings.step_totals[step] = timings.step_totals.get(step, 0.0) + ms
    return timings


def _long_text_seconds(analyzer: Analyzer, message: tuple[str, str]) -> float:
    """Seconds to analyse one message whose body is repeated up to 100,000 characters."""
    title, body = message
    long_text = (body or title) * (100_000 // max(1, len(body)) + 1)
    t0 = time.perf_counter()
    analyzer.analyze(title, long_text[:100_000])
    return time.perf_counter() - t0


def run_bench(n: int = 10_000, snownlp_sample: int = 300, batch_size: int = 256) -> dict[str, Any]:
    """Measure and return every figure described in the module docstring."""
    from nlp.normalize import compose_text
    from nlp.pipeline import Analyzer, is_analyzable

    cpu = pin_to_one_core()
    load_before = _loadavg()
    messages, distinct = bench_messages(n)
    messages = [m for m in messages if is_analyzable(*m)]

    t0 = time.perf_counter()
    analyzer = Analyzer.load()
    load_s = time.perf_counter() - t0

    analyzer.analyze_batch(messages[:200])  # warm-up
    model_texts = [compose_text(t.strip(), x) for t, x in messages]
    n_chars = sum(len(t) for t in model_texts)
    timed = _time_batches(analyzer, messages, model_texts, batch_size)
    seg_s, full_s = timed.seg_s, timed.full_s
    long_text_s = _long_text_seconds(analyzer, messages[0])

    seg_rate = len(messages) / seg_s
    full_rate = len(messages) / full_s
    steps = {k: round(v / len(messages), 4) for k, v in timed.step_totals.items()}
    result: dict[str, Any] = {
        "n_messages": len(messages),
        "n_distinct": distinct,
        "n_chars": n_chars,
        "cpu_pinned": cpu,
        "load_s": round(load_s, 3),
        "segmentation": {
            "seconds": round(seg_s, 3),
            "chars_per_s": round(n_chars / seg_s),
            "messages_per_s": round(seg_rate, 1),
        },
        "full": {
            "seconds": round(full_s, 3),
            "messages_per_s": round(full_rate, 1),
            "chars_per_s": round(n_chars / full_s),
            "mean_ms_per_step": steps,
        },
        "ratio_full_to_segmentation": round(full_rate / seg_rate, 3),
        "long_text_s": round(long_text_s, 3),
        "model_version": analyzer.model_version,
        "loadavg_1m_before_after": [load_before, _loadavg()],
        "cpus_online": os.cpu_count(),
    }
    if snownlp_sample > 0:
        sample = [compose_text(t.strip(), x) for t, x in messages[:snownlp_sample]]
        result["snownlp"] = snownlp_figures(sample)
        ours = steps.get("sentiment")
        if ours and "ms_per_message" in result["snownlp"]:
            result["snownlp"]["ours_sentiment_ms_per_message"] = ours
    return result


def _main() -> None:  # pragma: no cover - convenience for ``python -m nlp.bench``
    print(json.dumps(run_bench(), ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    _main()
