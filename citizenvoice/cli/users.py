"""``flask users ...``: create, list, disable staff accounts and reset their passwords."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from citizenvoice.domain.accounts import Role
from citizenvoice.extensions import db
from citizenvoice.models import User
from citizenvoice.services.account_admin import reset_password
from citizenvoice.services.accounts import AccountError, create_user, disable_user

__all__ = ["users_group"]


def _password_options(command: Any) -> Any:
    """--password and --password-stdin, shared by `users create` and `users reset-password`."""
    command = click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input.",
    )(command)
    return click.option(
        "--password",
        default=None,
        help=(
            "For scripts only: a password given here is visible to other local users (ps, "
            "/proc) and stays in the shell history. Prefer the prompt or --password-stdin."
        ),
    )(command)


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.option("--username", required=True)
@_password_options
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--department", "department_code", default=None, help="Department code (department roles)."
)
@with_appcontext
def users_create_command(
    username: str,
    password: str | None,
    password_stdin: bool,
    role: str,
    department_code: str | None,
) -> None:
    """Create a staff account.

    The password is asked for twice at a hidden prompt in a terminal; otherwise it comes
    from --password-stdin (first line of standard input) or --password. At least 10
    characters, not a common password, not the username, not one repeated character.
    """
    password = _new_password(password, password_stdin)
    try:
        user = create_user(username, password, role, department_code)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.username} ({user.role})")


def _new_password(given: str | None, from_stdin: bool) -> str:
    """The password from --password, the first line of stdin, or a hidden prompt (twice)."""
    if given is not None and from_stdin:
        raise click.UsageError("--password and --password-stdin cannot be used together")
    if given is not None:
        return given
    stdin = sys.stdin  # click.get_text_stream is deprecated (Click 9); CliRunner swaps sys.stdin
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    if not stdin.isatty():
        raise click.UsageError(
            "no password: standard input is not a terminal, so there is no prompt; "
            "pass --password-stdin (first line of stdin) or --password"
        )
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_group.command("list")
@with_appcontext
def users_list_command() -> None:
    """List staff accounts."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        department = user.department.code if user.department else "-"
        click.echo(
            f"{user.username}\t{user.role}\t{department}\t{'active' if user.active else 'disabled'}"
        )


@users_group.command("disable")
@click.option("--username", required=True)
@with_appcontext
def users_disable_command(username: str) -> None:
    """Disable an account and end its sessions."""
    try:
        disable_user(username)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"disabled {username}")


@users_group.command("reset-password")
@click.option("--username", required=True)
@_password_options
@with_appcontext
def users_reset_password_command(username: str, password: str | None, password_stdin: bool) -> None:
    """Set a new password for an account and end its sessions (audited).

    The password is asked for twice at a hidden prompt in a terminal; otherwise it comes from
    --password-stdin (first line of standard input) or --password, as with ``users create``.
    """
    new = _new_password(password, password_stdin)
    try:
        reset_password(username, new, actor="cli")
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"password reset for {username}; its sessions have ended")
