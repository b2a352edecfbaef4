"""The weekly retrain: a challenger of each model kind from the labels gathered so far.

It never promotes: the office reads ``flask models list`` and promotes (docs/models.md).
"""

from __future__ import annotations

import time

from citizenvoice.domain.model_registry import KINDS
from citizenvoice.extensions import db
from citizenvoice.jobs.base import app_context, log_job

__all__ = ["weekly_retrain_job"]


def weekly_retrain_job() -> dict[str, str]:
    """Train one challenger per kind (about four minutes each on two cores); returns versions."""
    from citizenvoice.services.model_retrain import retrain

    started = time.perf_counter()
    versions: dict[str, str] = {}
    with app_context():
        for kind in KINDS:
            versions[kind] = retrain(kind, actor="schedule").version
        db.session.remove()
    log_job("weekly_retrain", started, **versions)
    return versions
