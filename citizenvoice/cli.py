"""Flask CLI commands: ``flask --app wsgi seed`` and friends."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.feedback import Channel, FeedbackValidationError, validate_feedback
from citizenvoice.extensions import db
from citizenvoice.jobs import (
    auto_close_job,
    enqueue_reanalyse_all,
    job_progress,
    reanalyse_all_job,
    refresh_duplicate_groups_job,
    refresh_topics_job,
    relay_connection,
    relay_outbox,
    worker_redis,
)
from citizenvoice.models import (
    CategoryRoute,
    Department,
    Period,
    ReplyTemplate,
    Submission,
    User,
)
from citizenvoice.seed_data import DEMO_DEPARTMENTS, REPLY_TEMPLATES, SAMPLE_MESSAGES
from citizenvoice.services.account_admin import reset_password
from citizenvoice.services.accounts import AccountError, create_user, disable_user
from citizenvoice.services.analysis import reset_failed_analysis
from citizenvoice.services.appraisal import (
    AppraisalError,
    compute,
    ensure_periods,
    period_by_code,
    publish,
    publish_summary,
    verify,
)
from citizenvoice.services.audit import verify_chain
from citizenvoice.services.demo_history import (
    build_demo_casework,
    create_demo_accounts,
    open_demo_rectification,
    publish_demo_periods,
)
from citizenvoice.services.dimension_import import apply as import_apply
from citizenvoice.services.dimension_import import preview as import_preview
from citizenvoice.services.feedback import submit_feedback
from citizenvoice.services.integrity import check_period
from citizenvoice.services.outbox import outbox_backlog

__all__ = ["init_app", "seed_demo_data"]

# Messages whose text was rebuilt from word lists read badly as demo cases; show real ones.
_DEMO_TEXT_SOURCES = {"original", "whitespace_stripped"}
_SEED_RANDOM_STATE = 20201


def init_app(app: Flask) -> None:
    """Register the commands with the app."""
    app.cli.add_command(seed_command)
    app.cli.add_command(outbox_group)
    app.cli.add_command(analysis_group)
    app.cli.add_command(users_group)
    app.cli.add_command(cases_group)
    app.cli.add_command(appraisal_group)
    app.cli.add_command(audit_group)


@click.command("seed")
@with_appcontext
@click.option(
    "--messages", type=int, default=None, help="How many real demo messages (default: setting)."
)
def seed_command(messages: int | None) -> None:
    """Create the demo departments and demo submissions with six months of history (idempotent)."""
    created_departments, created_submissions, source = seed_demo_data(messages)
    history = build_demo_casework() if created_submissions else None
    db.session.commit()
    click.echo(
        f"seeded {created_departments} new departments and "
        f"{created_submissions} demo submissions ({source})"
    )
    if history is not None:
        click.echo(
            f"demo history: {history.replied} replied, {history.followed_up} followed up, "
            f"{history.returned} returned, {history.extended} extended, "
            f"{history.reopened} reopened"
        )
    if created_submissions:
        if current_app.config.get("ANALYSIS_IN_PROCESS"):
            click.echo("analysing the demo submissions in this process ...")
            counts = relay_outbox(None, limit=100_000)
            click.echo(f"analysed {counts['analysed_here']} demo submissions")
        else:
            click.echo(
                "demo submissions wait in the outbox: "
                "run `flask --app wsgi outbox relay` and a worker"
            )
        published = publish_demo_periods()
        office = _demo_accounts()
        tasks = open_demo_rectification(office) if office is not None else 0
        db.session.commit()
        click.echo(
            f"published {published} past monthly periods and opened {tasks} 整改 tasks "
            "of the demo history"
        )


def _demo_accounts() -> User | None:
    """In development, make the demo staff accounts and show their passwords, this once."""
    if current_app.config.get("ENV_NAME") != "development":
        return None
    made = create_demo_accounts()
    db.session.commit()
    if made:
        click.echo("demo staff accounts (shown only now; sign in at /login):")
        for username, password, role, department in made:
            where = f" ({department})" if department else ""
            click.echo(f"  {username:<16} {password:<14} {role.label}{where}")
    return db.session.scalar(select(User).where(User.username == "demo-office"))


def seed_demo_data(message_count: int | None = None) -> tuple[int, int, str]:
    """Upsert the demo departments; add demo submissions unless some exist. Flushes, no commit."""
    created = 0
    for spec in DEMO_DEPARTMENTS:
        department = db.session.scalar(select(Department).where(Department.code == spec["code"]))
        if department is None:
            db.session.add(
                Department(
                    code=spec["code"],
                    name=spec["name"],
                    group=spec["group"],
                    aliases=list(spec["aliases"]),
                    active=True,
                )
            )
            created += 1
        else:
            department.name, department.group = spec["name"], spec["group"]
            department.aliases = list(spec["aliases"])
    db.session.flush()
    _seed_category_routes()
    _seed_reply_templates()
    ensure_periods()

    already = db.session.scalar(
        select(func.count()).select_from(Submission).where(Submission.channel == Channel.SEED.value)
    )
    if already:
        return created, 0, "demo submissions already present"

    count = current_app.config["SEED_MESSAGE_COUNT"] if message_count is None else message_count
    if count <= 0:
        return created, 0, "no demo submissions asked for"
    data_dir = current_app.config.get("DATA_DIR")
    real = _real_messages(Path(data_dir), count) if data_dir else None
    source = "real messages from the shared data" if real else "built-in sample"
    sample: list[dict[str, object]] = [
        {"kind": k, "department": d, "title": t, "text": x, "rating": r}
        for k, d, t, x, r in SAMPLE_MESSAGES
    ]
    rows = real or sample[:count]
    pii = current_app.extensions["citizenvoice.pii"]
    added = 0
    for row in rows:
        try:
            feedback = validate_feedback(row)
        except FeedbackValidationError:
            continue  # a real message outside our length rules is simply not demo material
        submit_feedback(feedback, channel=Channel.SEED, pii=pii)
        added += 1
    return created, added, source


def _seed_reply_templates() -> None:
    """Give each department without templates the starter ones (REPLY_TEMPLATES)."""
    with_templates = set(db.session.scalars(select(ReplyTemplate.department_id).distinct()))
    for department in db.session.scalars(select(Department).order_by(Department.id)):
        if department.id in with_templates:
            continue
        for title, body in REPLY_TEMPLATES:
            db.session.add(
                ReplyTemplate(
                    department_id=department.id,
                    title=title,
                    body=body.replace("{部门}", department.name),
                    created_by=None,
                )
            )
    db.session.flush()


def _seed_category_routes() -> None:
    """Route each category to the first demo department that lists it (kept if already set)."""
    for spec in DEMO_DEPARTMENTS:
        for category in spec["categories"]:
            if db.session.scalar(select(CategoryRoute).where(CategoryRoute.category == category)):
                continue
            department = db.session.scalar(
                select(Department).where(Department.code == spec["code"])
            )
            if department is not None:
                db.session.add(CategoryRoute(category=category, department_id=department.id))
                db.session.flush()


@click.group("outbox")
def outbox_group() -> None:
    """The transactional outbox that feeds the analysis queue."""


@outbox_group.command("relay")
@click.option("--limit", default=500, show_default=True, help="Rows per batch.")
@with_appcontext
def outbox_relay_command(limit: int) -> None:
    """Queue pending analyses (and re-queue lost ones); in-process without Redis."""
    connection = relay_connection()
    total: dict[str, int] = {}
    while True:
        counts = relay_outbox(connection, limit=limit)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if counts["claimed"] < limit:
            break
    click.echo(" ".join(f"{key}={value}" for key, value in total.items()))


@outbox_group.command("status")
@with_appcontext
def outbox_status_command() -> None:
    """Rows per outbox status."""
    backlog = outbox_backlog()
    click.echo(" ".join(f"{key}={value}" for key, value in sorted(backlog.items())) or "empty")


@click.group("analysis")
def analysis_group() -> None:
    """Text-mining results of submissions."""


@analysis_group.command("retry-failed")
@click.option("--id", "submission_ids", type=int, multiple=True, help="Only these submissions.")
@with_appcontext
def analysis_retry_failed_command(submission_ids: tuple[int, ...]) -> None:
    """Put failed analyses back in the outbox and relay them now."""
    ids = reset_failed_analysis(list(submission_ids) if submission_ids else None)
    db.session.commit()
    click.echo(f"{len(ids)} failed analyses reset to pending")
    if ids:
        connection = relay_connection()
        counts = relay_outbox(connection)
        click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))


@analysis_group.command("reanalyse")
@click.option("--wait/--no-wait", default=True, help="Show a progress bar until the job ends.")
@click.option(
    "--parts",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Split the work into this many jobs, one per worker that should share it.",
)
@with_appcontext
def analysis_reanalyse_command(wait: bool, parts: int) -> None:
    """Queue the batch re-analysis of every submission (with a progress bar)."""
    if current_app.config.get("ANALYSIS_IN_PROCESS"):
        result = reanalyse_all_job()
        click.echo(f"re-analysed {result['analysed']} submissions in this process")
        return
    connection = worker_redis(current_app.config["REDIS_URL"])
    jobs = enqueue_reanalyse_all(connection, parts=parts)
    for job in jobs:
        click.echo(f"queued {job.id}")
    if wait:
        for job in jobs:
            _follow_progress(connection, job.id)


@analysis_group.command("progress")
@click.argument("job_id")
@with_appcontext
def analysis_progress_command(job_id: str) -> None:
    """Follow a batch job's progress bar until it ends."""
    _follow_progress(worker_redis(current_app.config["REDIS_URL"]), job_id)


def _follow_progress(connection: Any, job_id: str, poll_seconds: float = 1.0) -> None:
    """Draw the job's meta progress as a bar until it finishes or fails."""
    progress = job_progress(connection, job_id)
    if progress is None:
        raise click.ClickException(f"no such job: {job_id}")
    shown = 0
    with click.progressbar(length=progress["total"] or 1, label=job_id, file=sys.stderr) as bar:
        while True:
            progress = job_progress(connection, job_id) or {"status": "missing"}
            total, done = progress.get("total"), progress.get("done") or 0
            if total and bar.length != total:
                bar.length = total
            if done > shown:
                bar.update(done - shown)
                shown = done
            if progress["status"] in {"finished", "failed", "stopped", "canceled", "missing"}:
                break
            time.sleep(poll_seconds)
    click.echo(
        f"{job_id}: {progress['status']}"
        + (f" ({progress['error']})" if progress.get("error") else "")
    )
    if progress["status"] != "finished":
        raise SystemExit(1)


@analysis_group.command("refresh-topics")
@click.option("--days", default=30, show_default=True)
@with_appcontext
def analysis_refresh_topics_command(days: int) -> None:
    """Fit topics over the last DAYS days, label the messages, rank hot issues."""
    result = refresh_topics_job(days)
    click.echo(f"{result['topics']} topics over {result['documents']} messages")


@analysis_group.command("refresh-duplicates")
@click.option("--days", default=30, show_default=True)
@with_appcontext
def analysis_refresh_duplicates_command(days: int) -> None:
    """Rebuild near-duplicate groups of the last DAYS days from stored signatures."""
    result = refresh_duplicate_groups_job(days)
    click.echo(f"{result['changed']} analyses changed duplicate group")


@click.group("appraisal")
def appraisal_group() -> None:
    """The performance appraisal: compute, verify, publish, import other dimensions."""


def _period(code: str) -> Period:
    try:
        return period_by_code(code)
    except AppraisalError as exc:
        raise click.ClickException(str(exc)) from exc


@appraisal_group.command("compute")
@click.option("--period", "code", required=True, help="Period code, e.g. 2026-11, 2026-Q4, 2026.")
@with_appcontext
def appraisal_compute_command(code: str) -> None:
    """Compute a period from the raw rows and store the result (refused once published)."""
    period = _period(code)
    try:
        result = compute(period, actor="cli")
    except AppraisalError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
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
    try:
        differences = verify(period)
    except AppraisalError as exc:
        raise click.ClickException(str(exc)) from exc
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
    if period.status == "computed" and period.result_json:
        summary = publish_summary(period)
        click.echo(
            f"{code}: {summary.departments} departments, {summary.ranked} ranked, "
            f"{summary.insufficient} 样本不足"
            + ("" if summary.ended else " (the period has not ended)")
        )
        if not yes and _interactive() and not click.confirm("Publish and freeze?", default=False):
            raise click.ClickException("not published")
    try:
        publish(period, actor="cli", force=force, reason=reason)
    except AppraisalError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"published {code}")


@appraisal_group.command("import")
@click.option("--period", "code", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--confirm", is_flag=True, help="Apply the file (without it: preview only).")
@with_appcontext
def appraisal_import_command(code: str, file: str, confirm: bool) -> None:
    """Preview (and with --confirm apply) a CSV/XLSX of other dimensions' scores."""
    period = _period(code)
    try:
        result = import_preview(period, Path(file).name, Path(file).read_bytes())
    except AppraisalError as exc:
        raise click.ClickException(str(exc)) from exc
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
        changed = import_apply(period, result, actor="cli")
        db.session.commit()
        click.echo(f"imported: {changed} scores changed")
    else:
        click.echo("preview only: run again with --confirm to apply")


@appraisal_group.command("check")
@click.option("--period", "code", required=True)
@with_appcontext
def appraisal_check_command(code: str) -> None:
    """Run the anomaly checks and hold flagged follow-ups for the office's review."""
    period = _period(code)
    try:
        outcome = check_period(period, actor="cli")
    except AppraisalError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"checked {outcome.checked} follow-ups, {outcome.newly_held} newly held for review")


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


def _real_messages(data_dir: Path, count: int) -> list[dict[str, object]] | None:
    """Pick ``count`` real labelled messages and route them to a department of their category."""
    from nlp.datasets import load_messages

    try:
        messages = load_messages(data_dir)
    except FileNotFoundError:
        return None
    rng = random.Random(_SEED_RANDOM_STATE)  # noqa: S311 (demo sampling, not security)
    usable = [
        m
        for m in messages
        if m.text_source in _DEMO_TEXT_SOURCES and 5 <= len(m.text.strip()) <= 2000
    ]
    rng.shuffle(usable)
    by_category: dict[str, list[Any]] = {}
    for message in usable:
        by_category.setdefault(message.label, []).append(message)
    # Departments take turns, each drawing a message of one of its categories, so every
    # department has a history to rank; a tenth are left "不确定" for the classifier to route.
    picks: list[tuple[Any, str | None]] = []
    turn = 0
    while len(picks) < count and any(by_category.values()):
        spec = DEMO_DEPARTMENTS[turn % len(DEMO_DEPARTMENTS)]
        turn += 1
        pool = [c for c in spec["categories"] if by_category.get(c)]
        if not pool:
            continue
        message = by_category[rng.choice(pool)].pop()
        picks.append((message, spec["code"] if rng.random() >= 0.1 else None))
    rows: list[dict[str, object]] = []
    for message, department in picks:
        kind = "suggestion" if "建议" in message.title else "complaint"
        rows.append(
            {
                "kind": kind,
                "department": department,
                "title": message.title[:100],
                "text": message.text,
            }
        )
    return rows
