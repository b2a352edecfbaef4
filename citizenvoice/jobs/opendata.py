"""The nightly open-data build: one dated folder of files under OPEN_DATA_DIR."""

from __future__ import annotations

import time

from flask import current_app

from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.jobs.base import app_context, log_job
from citizenvoice.models.base import utcnow
from citizenvoice.services.opendata import build

__all__ = ["build_open_data_job"]


def build_open_data_job() -> dict[str, int]:
    """Nightly: write today's open-data files (Beijing date), replacing today's earlier build."""
    started = time.perf_counter()
    with app_context():
        result = build(current_app.config["OPEN_DATA_DIR"], utcnow().astimezone(SHANGHAI).date())
        db.session.remove()
    log_job("build_open_data", started, **result.rows)
    return result.rows
