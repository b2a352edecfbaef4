"""``flask appraisal ...``: compute, check, import, publish and verify an appraisal period."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask.cli import with_appcontext

from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.extensions import db
from citizenvoice.models import Period
from citizenvoice.services.appraisal import (
    AppraisalError,
    compute,
    period_by_code,
    publish,
    publish_summary,
    verify,
)
from citizenvoice.services.audit import record
from citizenvoice.services.dimension_import import apply as import_apply
from citizenvoice.services.dimension_import import preview as import_preview
from citizenvoice.services.integrity import check_period
from citizenvoice.services.survey_results import survey_flags

__all__ = ["appraisal_group"]

T = TypeVar("T")


@click.group("appraisal")
def appraisal_group() -> None:
    """The performance appraisal: compute, verify, publish, import other dimensions."""


def _run(action: Callable[[], T], *, commit: bool = True) -> T:
    """Run one service call as the command's unit of work.

    A refusal (``AppraisalError``) rolls back what the service flushed and becomes the
    command's error message (exit 1); success commits unless ``commit`` is False (reads).
    """
    try:
        result = action()
    except AppraisalError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if commit:
        db.session.commit()
    return result


def _period(code: str) -> Period:
    return _run(lambda: period_by_code(code), commit=False)


@appraisal_group.command("compute")
@click.option("--period", "code", required=True, help="Period code, e.g. 2026-11, 2026-Q4, 2026.")
@with_appcontext
def appraisal_compute_command(code: str) -> None:
    """Compute a period from the raw rows and store the result (refused once published)."""
    period = _period(code)
    result = _run(lambda: compute(period, actor="cli"))
    ranked = sum(1 for t in result.totals if t.rank is not None)
    click.echo(
        f"computed {code}: {len(result.totals)} departments, {ranked} ranked, "
        f"sha256 {period.result_sha256}"
    )


@appraisal_group.command("verify")
@click.option("--period", "code", required=True)
@with_appcontext
def appraisal_verify_command(code: str) -> None:
    """Recompute a period from the raw rows; exit 1 on any difference from the stored result."""
    period = _period(code)
    differences = _run(lambda: verify(period), commit=False)
    if differences:
        for line in differences:
            click.echo(line, err=True)
        raise click.ClickException(f"{code}: {len(differences)} differences from the stored result")
    click.echo(
        f"{code}: the stored result ({period.status}, sha256 {period.result_sha256}) "
        "recomputes exactly"
    )


def _interactive() -> bool:
    """True when a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


@appraisal_group.command("publish")
@click.option("--period", "code", required=True)
@click.option("--force", is_flag=True, help="Publish a period that has not ended (needs --reason).")
@click.option("--reason", default=None, help="Why a period that has not ended is published.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def appraisal_publish_command(code: str, force: bool, reason: str | None, yes: bool) -> None:
    """Freeze a computed period and make its results public.

    Shows how many departments are ranked and how many are 样本不足 first, and asks for
    confirmation in a terminal. Without a terminal (cron, CI, a pipe) nothing can answer a
    prompt, so the explicit command is taken as the decision and it proceeds, as with --yes.
    A period that has not ended is refused unless --force with --reason (audited).
    """
    period = _period(code)
    if period.status == PeriodStatus.COMPUTED and period.result_json:
        summary = publish_summary(period)
        click.echo(
            f"{code}: {summary.departments} departments, {summary.ranked} ranked, "
            f"{summary.insufficient} 样本不足"
            + ("" if summary.ended else " (the period has not ended)")
        )
        if not yes and _interactive() and not click.confirm("Publish and freeze?", default=False):
            raise click.ClickException("not published")
    _run(lambda: publish(period, actor="cli", force=force, reason=reason))
    click.echo(f"published {code}")


@appraisal_group.command("import")
@click.option("--period", "code", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--confirm", is_flag=True, help="Apply the file (without it: preview only).")
@with_appcontext
def appraisal_import_command(code: str, file: str, confirm: bool) -> None:
    """Preview (and with --confirm apply) a CSV/XLSX of other dimensions' scores."""
    period = _period(code)
    path = Path(file)
    result = _run(lambda: import_preview(period, path.name, path.read_bytes()), commit=False)
    for error in result.file_errors:
        click.echo(f"文件错误：{error}", err=True)
    for row in result.rows:
        status = "；".join(row.errors) if row.errors else "OK"
        score = row.score if row.score is not None else row.score_text
        click.echo(
            f"第{row.line}行 {row.department_name or row.department} "
            f"{row.dimension_name or row.dimension} {score}: {status}"
        )
    if not result.ok:
        raise click.ClickException("文件有错误，未导入任何数据")
    if confirm:
        changed = _run(lambda: import_apply(period, result, actor="cli"))
        click.echo(f"imported: {changed} scores changed")
    else:
        click.echo("preview only: run again with --confirm to apply")


@appraisal_group.command("check")
@click.option("--period", "code", required=True)
@with_appcontext
def appraisal_check_command(code: str) -> None:
    """Run the anomaly checks and hold flagged follow-ups for the office's review."""
    period = _period(code)
    outcome = _run(lambda: check_period(period, actor="cli"))
    flags = survey_flags(period)
    if flags:
        record(
            "cli",
            "survey_check",
            "period",
            period.code,
            {"flags": [[f.kind, f.group, f.subject] for f in flags]},
        )
        db.session.commit()
    click.echo(f"checked {outcome.checked} follow-ups, {outcome.newly_held} newly held for review")
    for flag in flags:
        click.echo(f"survey {flag.kind}: {flag.message}")
    click.echo(f"survey checks: {len(flags)} findings for the office's review")
