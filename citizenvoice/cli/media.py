"""``flask media prune``: delete residents' uploads that no case ever named."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from citizenvoice.extensions import db
from citizenvoice.models.base import utcnow
from citizenvoice.services.media import prune_unattached
from citizenvoice.services.media_storage import storage_from_setting

__all__ = ["media_group"]


@click.group("media")
def media_group() -> None:
    """Residents' photos (docs/photos.md)."""


@media_group.command("prune")
@click.option(
    "--hours",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Delete uploads not attached after this many hours "
    "(default: CITIZENVOICE_MEDIA_UNATTACHED_HOURS, 24).",
)
@with_appcontext
def prune_command(hours: float | None) -> None:
    """Delete photos uploaded through the API but never attached to a case, files included."""
    age = hours if hours is not None else float(current_app.config["MEDIA_UNATTACHED_HOURS"])
    storage = storage_from_setting(current_app.config)
    removed = prune_unattached(storage, older_than=utcnow() - timedelta(hours=age))
    db.session.commit()
    click.echo(f"deleted {removed} unattached upload(s) older than {age:g} h")
