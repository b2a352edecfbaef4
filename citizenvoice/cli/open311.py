"""``flask open311 keys ...``: API keys of Open311 clients (create, list, revoke)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from citizenvoice.domain.localtime import local_time
from citizenvoice.extensions import db
from citizenvoice.services.open311.keys import KeyError311, create_key, list_keys, revoke_key

__all__ = ["open311_group"]


@click.group("open311")
def open311_group() -> None:
    """Open311 GeoReport v2 interface."""


@open311_group.group("keys")
def keys_group() -> None:
    """API keys of Open311 clients (needed to post requests)."""


@keys_group.command("create")
@click.option("--name", required=True, help="Who the key is for (unique), e.g. the client app.")
@with_appcontext
def keys_create_command(name: str) -> None:
    """Create a key and print it once, as the last word of the output; only its hash is kept."""
    try:
        new = create_key(name)
    except KeyError311 as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Open311 API key #{new.id} for {new.name} (shown only now, store it safely):")
    click.echo(new.key)


@keys_group.command("list")
@with_appcontext
def keys_list_command() -> None:
    """List keys: id, name, first characters, created, revoked."""
    rows = list_keys()
    if not rows:
        click.echo("no Open311 API keys")
        return
    for row in rows:
        state = f"revoked {local_time(row.revoked_at)}" if row.revoked_at else "active"
        click.echo(
            f"{row.id}\t{row.name}\t{row.prefix}…\tcreated {local_time(row.created_at)}\t{state}"
        )


@keys_group.command("revoke")
@click.argument("name_or_id")
@with_appcontext
def keys_revoke_command(name_or_id: str) -> None:
    """Revoke a key by its name or id; clients using it get 403 from then on."""
    try:
        row = revoke_key(name_or_id)
    except KeyError311 as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"revoked Open311 API key #{row.id} ({row.name})")
