"""Office page 模型漂移监测: the stored weekly drift reports of the last 12 weeks.

Registered on the office blueprint (imported at the bottom of the package's ``__init__``).
The reports are written by the weekly job and by ``flask drift report``; the page only reads.
"""

from __future__ import annotations

from typing import Any

from flask import render_template

from citizenvoice.blueprints.auth import role_required
from citizenvoice.blueprints.office.views import OFFICE_ROLES, office_blueprint
from citizenvoice.domain.drift import (
    BELOW_THRESHOLD_RISE,
    CONFIDENCE_DROP,
    OOV_RISE,
    PSI_MODERATE,
    PSI_SIGNIFICANT,
)
from citizenvoice.services.drift import recent_reports

__all__: list[str] = []  # routes only: they register on office_blueprint

WEEKS_SHOWN = 12
LEVEL_LABELS = {"significant": "警告", "moderate": "注意"}


@office_blueprint.get("/drift")
@role_required(*OFFICE_ROLES)
def drift_page() -> Any:
    """The last 12 weekly drift reports, newest first, with their warnings in words."""
    return render_template(
        "office/drift.html",
        reports=recent_reports(WEEKS_SHOWN),
        level_labels=LEVEL_LABELS,
        limits={
            "psi_moderate": PSI_MODERATE,
            "psi_significant": PSI_SIGNIFICANT,
            "confidence_drop": CONFIDENCE_DROP,
            "below_rise": round(100 * BELOW_THRESHOLD_RISE),
            "oov_rise": round(100 * OOV_RISE),
        },
    )
