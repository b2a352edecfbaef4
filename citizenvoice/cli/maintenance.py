"""``flask audit verify`` and ``flask cases auto-close``: checks and clean-ups run by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from citizenvoice.jobs import auto_close_job
from citizenvoice.services.audit import verify_chain

__all__ = ["audit_group", "cases_group"]


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the chain's HMACs, its anchor file and published heads; exit 1 on any break."""
    report = verify_chain()
    if report.breaks:
        for item in report.breaks:
            where = f"entry {item.entry_id}" if item.entry_id is not None else "chain"
            click.echo(f"{where}: {item.reason}", err=True)
        raise click.ClickException(
            f"audit chain broken: {len(report.breaks)} problems in {report.checked} entries"
        )
    if report.unanchored:
        click.echo(
            f"warning: the newest {report.unanchored} entries are not in the anchor file yet "
            "(a process stopped between commit and anchor write; the next append covers them)",
            err=True,
        )
    click.echo(f"audit chain intact: {report.checked} entries, {report.anchored} anchored")


@click.group("cases")
def cases_group() -> None:
    """Case workflow housekeeping."""


@cases_group.command("auto-close")
@with_appcontext
def cases_auto_close_command() -> None:
    """Close replied cases whose follow-up window passed without an answer."""
    result = auto_close_job()
    click.echo(f"closed {result['closed']} cases without follow-up")
