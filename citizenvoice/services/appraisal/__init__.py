"""The appraisal: periods and their index settings, computing, publishing and verifying results.

The formulas live in citizenvoice.domain.scoring; this module gathers the raw rows with SQL
GROUP BY into ``DepartmentCounts``, stores results, and checks that a published period can be
recomputed exactly from the raw rows (``verify``). Every change to settings, results and
publication is written to the hash-chained audit log.

Modules: ``periods`` (periods and settings), ``counts`` (the raw rows), ``results`` (compute,
publish, verify), ``reports`` (what readers see). Import from this package.
"""

from __future__ import annotations

from citizenvoice.services.appraisal.counts import build_input, gather_counts
from citizenvoice.services.appraisal.periods import (
    PRESETS,
    AppraisalError,
    current_month_code,
    ensure_periods,
    period_by_code,
    period_settings,
    settings_json,
    update_settings,
)
from citizenvoice.services.appraisal.reports import explain_department, result_rows, result_table
from citizenvoice.services.appraisal.results import (
    PublishSummary,
    compute,
    publish,
    publish_summary,
    verify,
)

__all__ = [
    "PRESETS",
    "AppraisalError",
    "PublishSummary",
    "build_input",
    "compute",
    "current_month_code",
    "ensure_periods",
    "explain_department",
    "gather_counts",
    "period_by_code",
    "period_settings",
    "publish",
    "publish_summary",
    "result_rows",
    "result_table",
    "settings_json",
    "update_settings",
    "verify",
]
