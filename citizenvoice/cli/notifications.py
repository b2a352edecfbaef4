"""``flask notifications``: delivery figures per channel, and sending what is due now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from citizenvoice.jobs.notifications import send_due
from citizenvoice.services.notifications import delivery_figures

__all__ = ["notifications_group"]

notifications_group = AppGroup("notifications", help="Messages to residents (SMS, e-mail).")

_STATUSES = ("sent", "queued", "retried", "failed")


@notifications_group.command("stats")
def stats_command() -> None:
    """Print messages per channel and status (sent / queued / retried / failed)."""
    figures = delivery_figures()
    if not figures:
        click.echo("no messages yet")
        return
    click.echo("channel  " + "  ".join(f"{status:>7}" for status in _STATUSES))
    for channel, counts in sorted(figures.items()):
        cells = "  ".join(f"{counts.get(status, 0):>7}" for status in _STATUSES)
        click.echo(f"{channel:<7}  {cells}")


@notifications_group.command("send-due")
def send_due_command() -> None:
    """Send every message whose time has come, here (quiet hours still apply)."""
    counts = send_due()
    click.echo(" ".join(f"{key}={value}" for key, value in sorted(counts.items())) or "nothing due")
