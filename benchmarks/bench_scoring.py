"""Benchmark citizenvoice.domain.scoring: a full period in pure Python and with numpy.

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.bench_scoring [--n 1000000]``.

Generates (seeded) 100 departments in three groups with Zipf-like volumes (so a few fall
under the minimum n), ``n`` cases, ``n`` follow-ups and ``n`` ratings (one of each per case),
with a few injected rating bursts. Then times:

* ``build_records``: turning the generated arrays into plain frozen records (not scoring);
* ``python_aggregate``: ``aggregate()`` over the records (the pure-Python GROUP BY);
* ``python_integrity``: ``detect_anomalies()`` over all ratings, then ``select_scored()``;
* ``numpy_aggregate``: the same counts with ``np.bincount`` (what a GROUP BY would hand in);
* ``compute_period``: indicators, citizen scores, totals and ranks from the counts;
* ``canonical_json`` / ``verify``: serialising the result and comparing a recomputation.

After building, the records are moved out of the cyclic GC's view (``gc.freeze``) unless
``--gc`` is given: otherwise full collections over three million live objects dominate.

``numpy_equals_python`` says whether both aggregation paths give byte-identical canonical
JSON (they should: float sums differ only far below the canonical rounding).
The PostgreSQL version of this benchmark (GROUP BY over real tables) is separate.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import numpy as np

from citizenvoice.domain.scoring import (
    HANGZHOU_PERIOD,
    CaseRecord,
    DepartmentCounts,
    FollowUpRecord,
    MomentSums,
    PeriodInput,
    RatingRecord,
    Satisfaction,
    aggregate,
    canonical_sha256,
    compute_period,
    detect_anomalies,
    select_scored,
    verify_period,
)

T = TypeVar("T")
GROUPS = ("综合管理", "执法监管", "公共服务")
SATISFACTION = (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.DISSATISFIED)
PERIOD_START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD_SECONDS = 30 * 86400


CPU_SECONDS: dict[str, float] = {}


def timed(label: str, timings: dict[str, float], fn: Callable[[], T]) -> T:
    """Run ``fn``, recording wall seconds in ``timings`` and CPU seconds in CPU_SECONDS."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    timings[label] = round(time.perf_counter() - start, 3)
    CPU_SECONDS[label] = round(time.process_time() - cpu, 3)
    return result


def generate(n: int, departments: int, seed: int) -> dict[str, Any]:
    """Column arrays of cases, follow-ups and ratings with department-specific quality."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, departments + 1) ** 1.1
    dept = rng.choice(departments, size=n, p=weights / weights.sum())
    # Three new, small departments stay under the minimum n (30) of the follow-up indicators.
    for small, size in ((departments - 1, 12), (departments - 2, 25), (departments - 3, 29)):
        rows = np.flatnonzero(dept == small)
        dept[rows[size:]] = 0
    quality = rng.uniform(0.0, 1.0, size=departments)[dept]
    contacted = rng.random(n) < 0.85 + 0.14 * quality
    resolved = contacted & (rng.random(n) < 0.45 + 0.45 * quality)
    answer = rng.random(n)
    sat_code = np.where(
        ~contacted, -1, np.where(answer < 0.4 + 0.5 * quality, 0, np.where(answer < 0.95, 1, 2))
    )
    stars = np.clip(np.rint(rng.normal(2.8 + 2.0 * quality, 1.0)), 1, 5).astype(np.int64)
    seconds = rng.integers(0, PERIOD_SECONDS, size=n)
    ip = rng.integers(0, n * 4, size=n)
    # Inject 20 bursts of 8 ratings from one IP within 8 minutes.
    for b in range(20):
        rows = rng.choice(n, size=8, replace=False)
        seconds[rows] = 86400 * (b + 1) + 60 * np.arange(8)
        ip[rows] = -(b + 1)
    sentiment = rng.beta(1 + 3 * quality, 2.0)
    reply_quality = rng.beta(2 + 4 * quality, 2.0)
    on_time = np.where(rng.random(n) < 0.1, -1, (rng.random(n) < 0.7 + 0.28 * quality).astype(int))
    dup = np.where(rng.random(n) < 0.15, rng.integers(0, n // 20 + 1, size=n), -1)
    return {
        "dept": dept, "contacted": contacted, "resolved": resolved, "sat": sat_code,
        "stars": stars, "seconds": seconds, "ip": ip, "sentiment": sentiment,
        "reply_quality": reply_quality, "on_time": on_time, "dup": dup,
    }  # fmt: skip


def build_records(
    cols: dict[str, Any], codes: list[str]
) -> tuple[list[FollowUpRecord], list[RatingRecord], list[CaseRecord]]:
    """Plain records, as the services would read them from the database."""
    dept = [codes[d] for d in cols["dept"].tolist()]
    n = len(dept)
    sat = [None if s < 0 else SATISFACTION[s] for s in cols["sat"].tolist()]
    follow_ups = list(
        map(
            FollowUpRecord,
            range(n),
            dept,
            cols["contacted"].tolist(),
            cols["resolved"].tolist(),
            sat,
        )
    )
    times = [PERIOD_START + timedelta(seconds=s) for s in cols["seconds"].tolist()]
    ips = [f"ip{i}" for i in cols["ip"].tolist()]
    ratings = list(map(RatingRecord, range(n), range(n), dept, cols["stars"].tolist(), times, ips))
    on_time = [None if v < 0 else bool(v) for v in cols["on_time"].tolist()]
    dup = [None if g < 0 else g for g in cols["dup"].tolist()]
    cases = list(
        map(
            CaseRecord,
            range(n),
            dept,
            on_time,
            cols["sentiment"].tolist(),
            cols["reply_quality"].tolist(),
            dup,
        )
    )
    return follow_ups, ratings, cases


def numpy_counts(
    cols: dict[str, Any], codes: list[str], keep: np.ndarray
) -> list[DepartmentCounts]:
    """The same sufficient statistics with bincount (ratings restricted to ``keep``)."""
    d, k = cols["dept"], len(codes)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(d[mask], minlength=k)

    def moments(mask: np.ndarray, values: np.ndarray) -> list[MomentSums]:
        n = count(mask)
        s = np.bincount(d[mask], weights=values[mask], minlength=k)
        q = np.bincount(d[mask], weights=values[mask] ** 2, minlength=k)
        return [MomentSums(int(a), float(b), float(c)) for a, b, c in zip(n, s, q, strict=True)]

    everything = np.ones(len(d), dtype=bool)
    sat = cols["sat"]
    dup = cols["dup"]
    group_size = np.bincount(dup[dup >= 0]) if (dup >= 0).any() else np.zeros(1, dtype=int)
    repeat = (dup >= 0) & (group_size[np.maximum(dup, 0)] >= 2)
    stars = cols["stars"].astype(float)
    columns = {
        "follow_ups": count(everything), "contacted": count(cols["contacted"]),
        "resolved": count(cols["resolved"]), "satisfied": count(sat == 0),
        "basically_satisfied": count(sat == 1), "dissatisfied": count(sat == 2),
        "cases": count(everything), "repeat_cases": count(repeat),
        "due_cases": count(cols["on_time"] >= 0), "on_time_cases": count(cols["on_time"] == 1),
    }  # fmt: skip
    ratings = moments(keep, stars)
    sentiment = moments(everything, cols["sentiment"])
    quality = moments(everything, cols["reply_quality"])
    return [
        DepartmentCounts(
            codes[i],
            ratings=ratings[i],
            sentiment=sentiment[i],
            reply_quality=quality[i],
            **{name: int(values[i]) for name, values in columns.items()},
        )
        for i in range(k)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases, follow-ups and ratings")
    parser.add_argument("--departments", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--gc", action="store_true", help="leave the records in the GC's view")
    args = parser.parse_args()

    timings: dict[str, float] = {}
    codes = [f"D{i:03d}" for i in range(args.departments)]
    groups = {code: GROUPS[i % len(GROUPS)] for i, code in enumerate(codes)}
    imported = {
        code: {"goals": 60.0 + (i * 7) % 40, "leadership": 80.0 + i % 20}
        for i, code in enumerate(codes)
    }
    bonuses = {code: float(i % 5) for i, code in enumerate(codes)}

    cols = timed("generate_arrays", timings, lambda: generate(args.n, args.departments, args.seed))
    follow_ups, ratings, cases = timed("build_records", timings, lambda: build_records(cols, codes))
    if not args.gc:
        # Three million long-lived records make every full collection walk them all; a worker
        # that loads a period does the same freeze. ``--gc`` measures without it.
        gc.collect()
        gc.freeze()

    report = timed("python_integrity", timings, lambda: detect_anomalies(ratings))
    selection = timed(
        "python_select_scored", timings, lambda: select_scored(ratings, held=report.held)
    )
    py_counts = timed(
        "python_aggregate",
        timings,
        lambda: list(aggregate(follow_ups, selection.scored, cases, codes).values()),
    )

    held_ids = np.fromiter(report.held, dtype=np.int64, count=len(report.held))
    keep = np.ones(args.n, dtype=bool)
    keep[held_ids] = False
    np_counts = timed("numpy_aggregate", timings, lambda: numpy_counts(cols, codes, keep))

    def period(counts: list[DepartmentCounts]) -> Any:
        return compute_period(
            PeriodInput.build("2026-11", HANGZHOU_PERIOD, groups, counts, imported, bonuses)
        )

    result = timed("compute_period", timings, lambda: period(np_counts))
    stored = timed("canonical_json", timings, result.canonical_json)
    differences = timed("verify", timings, lambda: verify_period(stored, period(np_counts)))
    py_json = period(py_counts).canonical_json()

    ranked = sum(t.rank is not None for t in result.totals)
    print(
        json.dumps(
            {
                "n_cases": args.n,
                "n_follow_ups": len(follow_ups),
                "n_ratings": len(ratings),
                "departments": args.departments,
                "gc_frozen": not args.gc,
                "held_ratings": len(report.held),
                "held_by_kind": dict(sorted(Counter(f.kind.value for f in report.flags).items())),
                "ranked_departments": ranked,
                "unranked_departments": args.departments - ranked,
                "canonical_json_bytes": len(stored.encode()),
                "result_sha256": canonical_sha256(result),
                "numpy_equals_python": py_json == stored,
                "recomputation_identical": differences == [],
                "seconds": timings,
                # The machine is shared: CPU seconds of this process are the steadier figure.
                "cpu_seconds": CPU_SECONDS,
                "python_full_period_seconds": round(
                    timings["python_integrity"]
                    + timings["python_select_scored"]
                    + timings["python_aggregate"]
                    + timings["compute_period"],
                    3,
                ),
                "numpy_full_period_seconds": round(
                    timings["numpy_aggregate"] + timings["compute_period"], 3
                ),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
