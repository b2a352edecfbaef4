"""``flask outbox ...`` and ``flask analysis ...``: the queue that feeds the analysis.

Relay and status of the outbox, retries, re-analysis with a progress bar, and the periodic
refreshes (topics, duplicate groups) run by hand.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from citizenvoice.extensions import db
from citizenvoice.jobs import (
    enqueue_reanalyse_all,
    job_progress,
    reanalyse_all_job,
    refresh_duplicate_groups_job,
    refresh_topics_job,
    relay_connection,
    relay_outbox,
    worker_redis,
)
from citizenvoice.services.analysis import reset_failed_analysis
from citizenvoice.services.outbox import outbox_backlog

__all__ = ["analysis_group", "outbox_group"]


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
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only submissions created from this date (UTC) on, e.g. after a model promotion.",
)
@with_appcontext
def analysis_reanalyse_command(wait: bool, parts: int, since: datetime | None) -> None:
    """Queue the batch re-analysis of every submission (with a progress bar)."""
    since_text = since.isoformat() if since else None
    if current_app.config.get("ANALYSIS_IN_PROCESS"):
        with click.progressbar(length=1, label="re-analyse", file=sys.stderr) as bar:

            def on_batch(done: int, total: int) -> None:
                bar.length = max(1, total)
                bar.update(done - bar.pos)

            result = reanalyse_all_job(since=since_text, on_batch=on_batch)
        click.echo(f"re-analysed {result['analysed']} submissions in this process")
        return
    connection = worker_redis(current_app.config["REDIS_URL"])
    jobs = enqueue_reanalyse_all(connection, parts=parts, since=since_text)
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
