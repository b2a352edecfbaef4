"""Time the worker's analysis job on a backlog, in this process, against nlp alone on the same texts.

A quicker, RQ-free companion of ``bench_pipeline.py`` for trying changes to the job's drain:
files ``--stored`` + ``--n`` real TipDM messages into a fresh PostgreSQL database
``citizenvoice_drain`` (department 不确定, so routing runs), analyses the first ``--stored`` of
them (untimed, a fuller database), then per round:

1. nlp alone (``Analyzer.analyze_batch`` in batches of 500, as ``python -m nlp bench``) on the
   round's texts;
2. ``analyse_submission_job`` on the round's first pending submission, which analyses it and
   drains the rest of the backlog exactly as a worker's job does (on PostgreSQL);
3. nlp alone again.

Prints, per round and overall, the job's wall-clock and CPU seconds, nlp's mean seconds, and
their ratio (the target of the queued path is 0.70 of the in-process rate), and the cyclic
garbage collector's collections and seconds in the job and in the nlp run after it. Worker process
start-up, Redis and RQ's own bookkeeping are not in these figures; ``bench_pipeline.py``
measures the whole path.

Usage: .venv/bin/python benchmarks/profile_drain.py [--n 2000] [--stored 8000] [--rounds 2]
[--batch-size 500] [--switch-interval 0.001]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from profile_analysis_batch import file_messages, prepare_database  # noqa: E402

DRAIN_DB = "citizenvoice_drain"


class GcClock:
    """Seconds the cyclic garbage collector ran, by generation, while it is installed."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        """The ``gc.callbacks`` hook."""
        now = time.perf_counter()
        key = threading.get_ident()
        if phase == "start":
            self._started[key] = now
            return
        generation = int(info["generation"])
        self.collections[generation] += 1
        self.seconds[generation] += now - self._started.pop(key, now)

    def reset(self) -> None:
        """Start counting again from zero."""
        self.seconds, self.collections = [0.0, 0.0, 0.0], [0, 0, 0]


def _nlp_seconds(analyzer: Any, texts: list[tuple[str, str]]) -> float:
    """Seconds nlp alone takes on ``texts`` in batches of 500."""
    started = time.perf_counter()
    for start in range(0, len(texts), 500):
        analyzer.analyze_batch(texts[start : start + 500])
    return time.perf_counter() - started


def main() -> None:
    """Fill the database, then time the job against nlp alone, round by round."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="new messages per round")
    parser.add_argument("--stored", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="ANALYSIS_DRAIN_SWITCH_INTERVAL: the GIL switch interval while a read-ahead runs",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="ANALYSIS_BATCH_SIZE")
    args = parser.parse_args()

    prepare_database(DRAIN_DB)

    import gc

    from bench_pipeline import submittable_texts

    from citizenvoice import create_app
    from citizenvoice.extensions import db
    from citizenvoice.jobs import analyse_submission_job, get_analyzer
    from citizenvoice.services.analysis import analyse_pending_batch

    texts = submittable_texts(args.stored + args.n * args.rounds)
    app = create_app()
    if args.batch_size is not None:
        app.config["ANALYSIS_BATCH_SIZE"] = args.batch_size
    if args.switch_interval is not None:
        app.config["ANALYSIS_DRAIN_SWITCH_INTERVAL"] = args.switch_interval
    with app.app_context():
        analyzer = get_analyzer()
    gc.collect()
    gc.freeze()  # as worker.py does after loading the models
    gc_clock = GcClock()
    gc.callbacks.append(gc_clock)
    stored_ids = file_messages(app, texts[: args.stored])
    with app.app_context():
        for first in stored_ids[::200]:
            analyse_pending_batch(first, analyzer, batch_size=200)
            db.session.commit()
            db.session.remove()

    rounds = []
    for number in range(args.rounds):
        chunk = texts[args.stored + number * args.n :][: args.n]
        before = _nlp_seconds(analyzer, chunk)
        ids = file_messages(app, chunk)
        load = os.getloadavg()[0]
        gc_clock.reset()
        with app.app_context():
            t0, cpu0 = time.perf_counter(), time.process_time()
            result = analyse_submission_job(ids[0])
            job_seconds, job_cpu = time.perf_counter() - t0, time.process_time() - cpu0
            db.session.remove()
        job_gc = (list(gc_clock.collections), sum(gc_clock.seconds))
        gc_clock.reset()
        after = _nlp_seconds(analyzer, chunk)
        nlp_gc = (list(gc_clock.collections), sum(gc_clock.seconds))
        analysed = 1 + int(result["batch"]) - 1 + int(result["drained"])
        rounds.append(
            {
                "messages": len(chunk),
                "analysed_by_the_job": analysed,
                "job_seconds": round(job_seconds, 3),
                "job_cpu_seconds": round(job_cpu, 3),
                "nlp_seconds_before_after": [round(before, 3), round(after, 3)],
                "ratio": round((before + after) / 2 / job_seconds, 3),
                "load_average_1min": round(load, 2),
                "job_gc_collections_seconds": [job_gc[0], round(job_gc[1], 3)],
                "nlp_after_gc_collections_seconds": [nlp_gc[0], round(nlp_gc[1], 3)],
            }
        )
        print(json.dumps(rounds[-1]), file=sys.stderr)
    job_total = sum(r["job_seconds"] for r in rounds)
    nlp_total = sum(sum(r["nlp_seconds_before_after"]) / 2 for r in rounds)
    print(
        json.dumps(
            {
                "stored_before": args.stored,
                "rounds": rounds,
                "ratio_overall": round(nlp_total / job_total, 3),
                "job_ms_per_message": round(1000 * job_total / (args.n * len(rounds)), 3),
                "nlp_ms_per_message": round(1000 * nlp_total / (args.n * len(rounds)), 3),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
