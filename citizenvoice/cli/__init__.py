"""Flask CLI commands (``flask --app wsgi seed`` and friends), one module per command group.

Commands parse options, call services (or enqueue jobs), commit, and print one short result.
"""

from __future__ import annotations

from flask import Flask

from citizenvoice.cli.analysis import analysis_group, outbox_group
from citizenvoice.cli.appraisal import appraisal_group
from citizenvoice.cli.drift import drift_group
from citizenvoice.cli.labels import labels_group
from citizenvoice.cli.maintenance import audit_group, cases_group
from citizenvoice.cli.media import media_group
from citizenvoice.cli.models import models_group
from citizenvoice.cli.notifications import notifications_group
from citizenvoice.cli.open311 import open311_group
from citizenvoice.cli.opendata import opendata_group, rectification_group
from citizenvoice.cli.seed import seed_command, seed_demo_data
from citizenvoice.cli.survey import survey_group
from citizenvoice.cli.taxonomy import taxonomy_group
from citizenvoice.cli.users import users_group

__all__ = ["init_app", "seed_demo_data"]


def init_app(app: Flask) -> None:
    """Register the commands with the app."""
    app.cli.add_command(seed_command)
    app.cli.add_command(drift_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(analysis_group)
    app.cli.add_command(users_group)
    app.cli.add_command(cases_group)
    app.cli.add_command(appraisal_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(survey_group)
    app.cli.add_command(notifications_group)
    app.cli.add_command(opendata_group)
    app.cli.add_command(rectification_group)
    app.cli.add_command(open311_group)
    app.cli.add_command(labels_group)
    app.cli.add_command(taxonomy_group)
    app.cli.add_command(models_group)
    app.cli.add_command(media_group)
