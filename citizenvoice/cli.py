"""Flask CLI commands: ``flask --app wsgi seed`` and friends."""

from __future__ import annotations

import random
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from citizenvoice.domain.feedback import Channel, FeedbackValidationError, validate_feedback
from citizenvoice.extensions import db
from citizenvoice.models import Department, Submission
from citizenvoice.seed_data import DEMO_DEPARTMENTS, SAMPLE_MESSAGES
from citizenvoice.services.feedback import submit_feedback

__all__ = ["init_app", "seed_demo_data"]

# Messages whose text was rebuilt from word lists read badly as demo cases; show real ones.
_DEMO_TEXT_SOURCES = {"original", "whitespace_stripped"}
_SEED_RANDOM_STATE = 20201


def init_app(app: Flask) -> None:
    """Register the commands with the app."""
    app.cli.add_command(seed_command)


@click.command("seed")
@with_appcontext
@click.option(
    "--messages", type=int, default=None, help="How many real demo messages (default: setting)."
)
def seed_command(messages: int | None) -> None:
    """Create the demo departments and demo submissions (idempotent)."""
    created_departments, created_submissions, source = seed_demo_data(messages)
    db.session.commit()
    click.echo(
        f"seeded {created_departments} new departments and "
        f"{created_submissions} demo submissions ({source})"
    )


def seed_demo_data(message_count: int | None = None) -> tuple[int, int, str]:
    """Upsert the demo departments; add demo submissions unless some exist. Flushes, no commit."""
    created = 0
    for spec in DEMO_DEPARTMENTS:
        department = db.session.scalar(select(Department).where(Department.code == spec["code"]))
        if department is None:
            db.session.add(
                Department(code=spec["code"], name=spec["name"], group=spec["group"], active=True)
            )
            created += 1
        else:
            department.name, department.group = spec["name"], spec["group"]
    db.session.flush()

    already = db.session.scalar(
        select(func.count()).select_from(Submission).where(Submission.channel == Channel.SEED.value)
    )
    if already:
        return created, 0, "demo submissions already present"

    count = current_app.config["SEED_MESSAGE_COUNT"] if message_count is None else message_count
    data_dir = current_app.config.get("DATA_DIR")
    rows = _real_messages(Path(data_dir), count) if data_dir and count > 0 else None
    source = "real messages from the shared data" if rows else "built-in sample"
    if not rows:
        rows = [
            {"kind": k, "department": d, "title": t, "text": x, "rating": r}
            for k, d, t, x, r in SAMPLE_MESSAGES
        ]
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


def _real_messages(data_dir: Path, count: int) -> list[dict[str, object]] | None:
    """Pick ``count`` real labelled messages and route them to a department of their category."""
    from nlp.datasets import load_messages

    try:
        messages = load_messages(data_dir)
    except FileNotFoundError:
        return None
    by_category: dict[str, list[str]] = {}
    for spec in DEMO_DEPARTMENTS:
        for category in spec["categories"]:
            by_category.setdefault(category, []).append(spec["code"])
    rng = random.Random(_SEED_RANDOM_STATE)  # noqa: S311 (demo sampling, not security)
    usable = [
        m
        for m in messages
        if m.text_source in _DEMO_TEXT_SOURCES and 5 <= len(m.text.strip()) <= 2000
    ]
    rng.shuffle(usable)
    rows: list[dict[str, object]] = []
    for message in usable[:count]:
        candidates = by_category.get(message.label, [])
        # A fifth are left "不确定" so the classifier has routing work to do.
        department = rng.choice(candidates) if candidates and rng.random() >= 0.2 else None
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
