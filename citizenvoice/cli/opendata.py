"""``flask opendata build`` and ``flask rectification export|import`` (the progress sheet)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import User
from citizenvoice.models.base import utcnow
from citizenvoice.services.opendata import build
from citizenvoice.services.portal import clear_cache
from citizenvoice.services.rectification import RectificationError, export_sheet, import_sheet

__all__ = ["opendata_group", "rectification_group"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


@click.group("opendata")
def opendata_group() -> None:
    """The open-data files served under /open/data/."""


class BuildDate(click.ParamType[date, object]):
    """A Beijing date YYYY-MM-DD, not after today: a later day's data does not exist yet."""

    name = "YYYY-MM-DD"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        """The date, or a usage error (exit code 2) in Chinese and English."""
        text = value.isoformat() if isinstance(value, date) else str(value)
        try:
            if not _ISO_DATE.fullmatch(text):  # fromisoformat also takes 20261115, 2026-W46-1
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError:
            self.fail(
                f"日期无效，请写成 YYYY-MM-DD / not a date, use YYYY-MM-DD: {text[:40]!r}",
                param,
                ctx,
            )
        if day > _today():
            self.fail(
                f"不能构建未来的日期 / cannot build a date after today ({_today()}): {text}",
                param,
                ctx,
            )
        return day


@opendata_group.command("build")
@click.option(
    "--date",
    "as_of",
    type=BuildDate(),
    default=None,
    help="Build what was public at the end of this Beijing date (default today, not later); "
    "writes OPEN_DATA_DIR/<date>/.",
)
@with_appcontext
def build_command(as_of: date | None) -> None:
    """Write every dataset as CSV and JSON with its data dictionary into a dated folder."""
    day = as_of or _today()
    result = build(current_app.config["OPEN_DATA_DIR"], day)
    rows = ", ".join(f"{name} {n} rows" for name, n in result.rows.items())
    click.echo(f"built {result.folder}: {rows}")


@click.group("rectification")
def rectification_group() -> None:
    """整改 tasks: the progress sheet (CSV) the office edits and imports back."""


@rectification_group.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def export_command(path: Path) -> None:
    """Write the progress sheet of every task to PATH (UTF-8 with BOM, opens in Excel/WPS)."""
    path.write_text(export_sheet(), encoding="utf-8-sig", newline="")
    click.echo(f"wrote {path}")


@rectification_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="The office account doing the import.")
@with_appcontext
def import_command(path: Path, username: str) -> None:
    """Apply the filled rows of a progress sheet as milestones: all rows or none."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException("文件不是 UTF-8 编码，请另存为 CSV（UTF-8）后再导入") from None
    try:
        result = import_sheet(user, text, _today())
    except RectificationError as error:
        db.session.rollback()
        raise click.ClickException("未导入任何内容：\n" + "\n".join(error.errors)) from None
    db.session.commit()
    clear_cache()
    click.echo(f"imported {result.applied} milestones ({result.skipped} rows unchanged)")
