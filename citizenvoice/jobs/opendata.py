"""The nightly open-data build: one dated folder of files under OPEN_DATA_DIR."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app

from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.jobs.base import app_context, log_job
from citizenvoice.models.base import utcnow
from citizenvoice.services.opendata import build

__all__ = ["build_open_data_job"]


def build_open_data_job() -> dict[str, int]:
    """Nightly: write yesterday's open-data files (Beijing date), replacing any earlier build.

    Yesterday, not today: only a finished day's build stays the same when it is rebuilt.
    """
    started = time.perf_counter()
    yesterday = utcnow().astimezone(SHANGHAI).date() - timedelta(days=1)
    with app_context():
        result = build(current_app.config["OPEN_DATA_DIR"], yesterday)
        db.session.remove()
    log_job("build_open_data", started, **result.rows)
    return result.rows
