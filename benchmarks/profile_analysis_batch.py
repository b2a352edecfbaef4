"""Profile the storage side of batch analysis: everything ``analyse_batch`` does outside nlp.

Files N real TipDM messages through ``submit_feedback`` (department 不确定, so routing runs) into a
fresh PostgreSQL database ``citizenvoice_profile`` (or a SQLite file with ``--sqlite``), runs
the nlp pipeline on them once up front, then drains them with ``analyse_batch`` in
batches (one commit each, as the worker does) with an analyzer that hands back the precomputed
results. So the figures are the per-message cost of the database work alone: loading and
locking, the analysis upsert, routing and its status events, duplicate groups, the outbox, the
commit. Prints ms per message for nlp and for storage, and the cProfile top by cumulative time.

``--stored K`` files and analyses K more messages first, untimed, to see how the cost grows
with the rows already stored.

``--sql`` times each SQL statement of the timed batches instead (from execute to result, so
the database's own work and the round trip).

Usage: .venv/bin/python -m benchmarks.profile_analysis_batch [--n 2000] [--batch 200] [--sqlite]
[--stored K] [--steps | --sql] [--dump FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

PROFILE_DB = "citizenvoice_profile"


class CachedAnalyzer:
    """Hands back precomputed nlp results, so only the storage side is timed."""

    def __init__(self, results: dict[tuple[str, str], Any]) -> None:
        self._results = results

    def analyze(self, title: str, text: str) -> Any:
        """The stored result of one message."""
        return self._results[(title, text)]

    def analyze_batch(self, items: list[tuple[str, str]]) -> list[Any]:
        """The stored results of a batch."""
        return [self._results[item] for item in items]


def _interleaved(app: Any, analyzer: Any, batch: int) -> None:
    """Per batch: nlp alone on the batch's texts, then the service (nlp + storage) on it."""
    from citizenvoice.extensions import db
    from citizenvoice.models import Submission
    from citizenvoice.services.analysis import analyse_batch

    nlp_seconds = service_seconds = 0.0
    with app.app_context():
        rows = db.session.execute(
            db.select(Submission.id, Submission.title, Submission.text).order_by(Submission.id)
        ).all()
        db.session.remove()
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            t0 = time.perf_counter()
            analyzer.analyze_batch([(r.title or "", r.text) for r in chunk])
            t1 = time.perf_counter()
            outcomes = analyse_batch(analyzer, first=chunk[0].id, batch_size=batch)
            db.session.commit()
            db.session.remove()
            t2 = time.perf_counter()
            assert len(outcomes) == len(chunk)
            nlp_seconds += t1 - t0
            service_seconds += t2 - t1
    n = len(rows)
    print(
        f"interleaved, batches of {batch}: nlp alone {n / nlp_seconds:.1f} msg/s, "
        f"service (nlp + storage + commit) {n / service_seconds:.1f} msg/s, "
        f"ratio {nlp_seconds / service_seconds:.3f}, load average {os.getloadavg()[0]:.2f}"
    )


def _time_steps(steps: dict[str, float]) -> None:
    """Wrap the service's steps so their wall-clock and CPU time add up in ``steps``.

    The CPU time (``label (cpu)``) is this thread's: the Python side of the step, without the
    database's own work and the waits for it.
    """
    import functools

    from citizenvoice.services import analysis, duplicates, workflow

    def timed(owner: Any, name: str, label: str) -> None:
        inner = getattr(owner, name)

        @functools.wraps(inner)
        def wrapper(*a: Any, **k: Any) -> Any:
            t0, cpu0 = time.perf_counter(), time.thread_time()
            try:
                return inner(*a, **k)
            finally:
                steps[label] = steps.get(label, 0.0) + time.perf_counter() - t0
                cpu = f"{label} (cpu)"
                steps[cpu] = steps.get(cpu, 0.0) + time.thread_time() - cpu0

        setattr(owner, name, wrapper)

    timed(analysis, "_locked_rows", "load and lock submissions")
    timed(analysis, "assign_duplicate_groups", "duplicate groups (signatures, bands)")
    timed(duplicates._index(), "signatures", "  of which MinHash signatures")
    timed(duplicates, "band_buckets", "  of which band hashes")
    timed(duplicates, "_stored_signatures", "  of which candidate lookup (SQL)")
    timed(duplicates, "_insert_bands", "  of which band insert (SQL)")
    timed(analysis, "_upsert_analyses", "analysis upsert")
    timed(analysis, "_route_batch", "routing (decisions, workflow batch)")
    timed(workflow.SystemActionBatch, "write", "  of which workflow writes")
    timed(workflow.SystemActionBatch, "attempt", "  of which workflow rules (attempt)")
    timed(analysis, "_result_values", "result columns")
    timed(analysis, "_analyse_locked", "whole batch (analyse_batch)")


def _time_statements(engine: Any, statements: dict[str, list[float]]) -> None:
    """Add each SQL statement's wall-clock time (from execute to its result) to ``statements``.

    Keyed by the statement's first 100 characters, whitespace collapsed; each value is
    [executions, seconds]. The caller clears the dict where the timing should start.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["statement_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seconds = time.perf_counter() - conn.info.pop("statement_started")
        found = statements.setdefault(" ".join(statement.split())[:100], [0, 0.0])
        found[0] += 1
        found[1] += seconds


def _database_url(use_sqlite: bool, name: str) -> str:
    if use_sqlite:
        path = Path(tempfile.mkdtemp(prefix="cv-profile-")) / "profile.sqlite3"
        return f"sqlite:///{path}"
    import psycopg

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def prepare_database(name: str = PROFILE_DB, use_sqlite: bool = False) -> None:
    """Recreate a profiling database (PostgreSQL ``name``, or a SQLite file), migrate and seed it.

    Points this process's environment at it, so ``create_app()`` afterwards uses it.
    """
    env = dict(os.environ)
    env.update(
        {
            "CITIZENVOICE_ENV": "development" if use_sqlite else "production",
            "SECRET_KEY": "profile-only-secret",
            "CITIZENVOICE_PII_KEY": "profile-only-pii-key",
            "CITIZENVOICE_AUDIT_KEY": "profile-only-audit-key",
            "DATABASE_URL": _database_url(use_sqlite, name),
            "REDIS_URL": "" if use_sqlite else "redis://127.0.0.1:6379/14",
            "PYTHONPATH": str(ROOT),
        }
    )
    for command in (["db", "upgrade"], ["seed", "--messages", "0"]):
        subprocess.run(
            [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *command],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    os.environ.update(env)


def file_messages(app: Any, texts: list[tuple[str, str]]) -> list[int]:
    """Submit (title, text) pairs as complaints without a department, in one commit; their ids."""
    from citizenvoice.domain.feedback import Channel, validate_feedback
    from citizenvoice.extensions import db
    from citizenvoice.services.feedback import submit_feedback

    with app.app_context():
        ids = []
        for title, text in texts:
            feedback = validate_feedback(
                {"kind": "complaint", "text": text, "title": title, "department": None}
            )
            submission = submit_feedback(
                feedback, channel=Channel.API, pii=app.extensions["citizenvoice.pii"]
            )
            ids.append(submission.id)
        db.session.commit()
        db.session.remove()
    return ids


def main() -> None:
    """Fill, precompute, drain under cProfile, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--stored",
        type=int,
        default=0,
        help="messages filed and analysed (untimed) before the N timed ones: a fuller database",
    )
    parser.add_argument("--no-profile", action="store_true", help="time only (no cProfile)")
    parser.add_argument("--dump", help="also write the cProfile statistics to this file")
    parser.add_argument(
        "--steps", action="store_true", help="time the service's steps (wall clock, no cProfile)"
    )
    parser.add_argument(
        "--sql", action="store_true", help="time each SQL statement (wall clock, no cProfile)"
    )
    parser.add_argument(
        "--interleaved",
        action="store_true",
        help="batch by batch, time nlp alone and the whole service with the real models",
    )
    args = parser.parse_args()

    prepare_database(PROFILE_DB, args.sqlite)

    from benchmarks.bench_pipeline import submittable_texts
    from citizenvoice import create_app
    from citizenvoice.extensions import db
    from citizenvoice.models import Submission
    from citizenvoice.services.analysis import analyse_batch
    from nlp import Analyzer

    texts = submittable_texts(args.stored + args.n)
    app = create_app()
    file_messages(app, texts)
    with app.app_context():
        stored = [(s.title or "", s.text) for s in db.session.scalars(db.select(Submission)).all()]
        db.session.remove()

    analyzer = Analyzer.load()
    t0 = time.perf_counter()
    found = []
    for start in range(0, len(stored), 500):
        found.extend(analyzer.analyze_batch(stored[start : start + 500]))
    nlp_seconds = time.perf_counter() - t0
    cached = CachedAnalyzer(dict(zip(stored, found, strict=True)))

    if args.interleaved:
        _interleaved(app, analyzer, args.batch)
        return
    steps: dict[str, float] = {}
    if args.steps:
        args.no_profile = True
        _time_steps(steps)
    statements: dict[str, list[float]] = {}
    if args.sql:
        args.no_profile = True
        with app.app_context():
            _time_statements(db.engine, statements)
    profiler = cProfile.Profile()
    with app.app_context():
        ids = list(db.session.scalars(db.select(Submission.id).order_by(Submission.id)))
        db.session.remove()
        for start in range(0, args.stored, args.batch):
            size = min(args.batch, args.stored - start)  # never into the timed messages
            analyse_batch(cached, first=ids[start], batch_size=size)
            db.session.commit()
            db.session.remove()
        ids = ids[args.stored :]
        steps.clear()
        statements.clear()
        t0, cpu0 = time.perf_counter(), time.process_time()
        if not args.no_profile:
            profiler.enable()
        done = 0
        # As in the worker: a batch drops the queued jobs it took along, so the next job is
        # the next submission still pending.
        for submission_id in ids[:: args.batch]:
            outcomes = analyse_batch(cached, first=submission_id, batch_size=args.batch)
            t1 = time.perf_counter()
            db.session.commit()
            steps["commit"] = steps.get("commit", 0.0) + time.perf_counter() - t1
            db.session.remove()
            done += sum(o.status == "analysed" for o in outcomes)
        profiler.disable()
        storage_seconds = time.perf_counter() - t0
        storage_cpu_seconds = time.process_time() - cpu0
    assert done == len(ids), (done, len(ids))
    print(
        f"database: {'sqlite' if args.sqlite else 'postgresql'}  n={len(ids)} batch={args.batch}"
        f"  load average {os.getloadavg()[0]:.2f}"
    )
    print(f"nlp analyze_batch: {1000 * nlp_seconds / len(stored):.3f} ms per message")
    print(f"storage (analyse_batch + commit): {1000 * storage_seconds / len(ids):.3f} ms")
    print(
        f"  of which this process's CPU (the Python side): "
        f"{1000 * storage_cpu_seconds / len(ids):.3f} ms per message"
    )
    for step, seconds in steps.items():
        print(f"  {step}: {1000 * seconds / len(ids):.3f} ms per message")
    for statement, (executions, seconds) in sorted(statements.items(), key=lambda kv: -kv[1][1]):
        print(
            f"  {1000 * seconds / len(ids):.3f} ms per message, {executions:4d} executions: "
            f"{statement}"
        )
    if not args.no_profile:
        if args.dump:
            profiler.dump_stats(args.dump)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
