"""How long a resident waits for the message after a staff reply (issue 23), end to end.

PostgreSQL stores, Redis queues, a real ``python worker.py`` process sends through the file
SMS backend, as in production but with the file instead of a provider (a provider's own time
is not ours to measure). Complaints with a phone number are filed through the API; once their
"accepted" messages are out, staff sign and reply to each case at ``--rate`` replies a second
(open loop), each reply committed in its own transaction as the workspace does. The figure is
each "replied" message's time from its row's creation (the reply's transaction) to the
provider's acceptance (``sent_at``): p50, p95 and the worst, and the same for "accepted".

Usage (from the repository root; DATABASE_URL names the PostgreSQL server, whose database
``--database`` is dropped and recreated; REDIS_URL names a Redis database of this run's own,
which is flushed)::

    python -m benchmarks.bench_notify --cases 300 --rate 5

Prints one JSON object. Other work on the machine changes the figures: the load average is in
the output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
from flask_migrate import upgrade
from sqlalchemy import select

from benchmarks._common import DEFAULT_REDIS_URL, bench_app, recreate_database
from citizenvoice.domain.accounts import Role
from citizenvoice.domain.workflow import Action, Actor
from citizenvoice.extensions import db
from citizenvoice.models import Notification, Submission
from citizenvoice.services.workflow import perform

ROOT = Path(__file__).resolve().parent.parent
STAFF = Actor.staff(Role.DEPARTMENT_STAFF, "cgzf", "bench_staff")
TEXT = "夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息。"


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = int(-(-len(ordered) * share // 1))  # ceil
    return ordered[min(len(ordered), max(1, rank)) - 1]


def _waits(event: str) -> tuple[list[float], int]:
    """Seconds from creation to sending of ``event`` messages, and how many are not sent."""
    rows = db.session.execute(
        select(Notification.created_at, Notification.sent_at).where(Notification.event == event)
    ).all()
    waits = [(sent - created).total_seconds() for created, sent in rows if sent is not None]
    return waits, len(rows) - len(waits)


def _wait_until_sent(event: str, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot
        waits, unsent = _waits(event)
        if len(waits) >= expected and unsent == 0:
            return
        time.sleep(0.2)
    raise SystemExit(f"bench_notify: {event} messages not all sent within {timeout:.0f} s")


def _summary(event: str) -> dict[str, Any]:
    waits, unsent = _waits(event)
    return {
        "messages": len(waits),
        "unsent": unsent,
        "p50_s": round(_percentile(waits, 0.5), 3),
        "p95_s": round(_percentile(waits, 0.95), 3),
        "max_s": round(max(waits, default=0.0), 3),
    }


def _file_cases(app: Any, n: int) -> list[int]:
    client = app.test_client()
    for _ in range(n):
        body = {"kind": "complaint", "department": "cgzf", "text": TEXT}
        body["contact_phone"] = "13912345678"
        response = client.post("/api/v1/feedback", json=body)
        if response.status_code != 201:
            raise SystemExit(f"bench_notify: filing answered {response.status_code}")
    return list(db.session.scalars(select(Submission.id).order_by(Submission.id)))


def _reply_paced(ids: list[int], rate: float) -> float:
    """Reply to every case, reply i due at start + i / rate; returns the achieved rate."""
    start = time.monotonic()
    for i, case_id in enumerate(ids):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        case = db.session.get(Submission, case_id)
        assert case is not None
        perform(case, Action.SIGN, STAFF)
        perform(case, Action.REPLY, STAFF, reply_body="您好，已安排现场处理，问题已解决。")
        db.session.commit()
    return len(ids) / (time.monotonic() - start)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--rate", type=float, default=5.0, help="staff replies a second")
    parser.add_argument("--database", default="cv_bench_notify")
    args = parser.parse_args(argv)

    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    redis.Redis.from_url(redis_url).flushdb()
    url = recreate_database(args.database)
    sms = Path(tempfile.mkdtemp(prefix="cv-bench-notify-")) / "sms.jsonl"
    settings = {"CITIZENVOICE_SMS_URL": f"file://{sms}", "CITIZENVOICE_QUIET_HOURS": "off"}
    settings["CITIZENVOICE_SUBMISSION_LIMIT"] = "1000000/minute"  # one client files them all
    app = bench_app(url, **settings)
    env = {**os.environ, "CITIZENVOICE_ENV": "testing", "DATABASE_URL": url}
    env.update({"REDIS_URL": redis_url, "PYTHONPATH": str(ROOT), **settings})
    with app.app_context():
        from citizenvoice.cli import seed_demo_data

        upgrade()
        seed_demo_data(0)
        db.session.commit()
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            ids = _file_cases(app, args.cases)
            _wait_until_sent("accepted", len(ids), timeout=120 + args.cases)
            achieved = _reply_paced(ids, args.rate)
            _wait_until_sent("replied", len(ids), timeout=120 + args.cases)
            figures = {
                "cases": len(ids),
                "reply_rate_per_s": round(achieved, 2),
                "accepted": _summary("accepted"),
                "replied": _summary("replied"),
                "sms_lines": sum(1 for _ in sms.open(encoding="utf-8")),
                "load_average_1m": round(os.getloadavg()[0], 2),
            }
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
