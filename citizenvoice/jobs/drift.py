"""The weekly drift report: Monday night, on the week that just ended (Beijing time)."""

from __future__ import annotations

import time

from citizenvoice.extensions import db
from citizenvoice.jobs.base import app_context, log_job
from citizenvoice.services.drift import compute_report, last_complete_week, store_report

__all__ = ["weekly_drift_report_job"]


def weekly_drift_report_job() -> dict[str, int]:
    """Store the drift report of the last complete week (a rerun replaces the same row)."""
    started = time.perf_counter()
    with app_context():
        report = compute_report(last_complete_week())
        store_report(report)
        db.session.remove()
    counts = {"analyses": int(report["figures"]["n_analyses"]), "warnings": len(report["warnings"])}
    log_job("weekly_drift_report", started, **counts)
    return counts
