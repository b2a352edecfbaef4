"""``flask seed``: demo departments, accounts, templates and cases, analysed in-process.

The cases are real labelled messages when the shared corpus is there, else built-in samples.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from citizenvoice.domain.feedback import Channel, FeedbackValidationError
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.jobs import relay_outbox
from citizenvoice.jobs.base import get_analyzer
from citizenvoice.models import (
    CategoryRoute,
    Department,
    ReplyTemplate,
    Submission,
    SurveyCampaign,
    User,
)
from citizenvoice.models.base import utcnow
from citizenvoice.seed_data import DEMO_DEPARTMENTS, REPLY_TEMPLATES, SAMPLE_MESSAGES
from citizenvoice.services.appraisal import ensure_periods
from citizenvoice.services.demo_history import (
    build_demo_casework,
    create_demo_accounts,
    open_demo_rectification,
    publish_demo_periods,
)
from citizenvoice.services.demo_public import demo_public_fields
from citizenvoice.services.feedback import file_feedback
from citizenvoice.services.opendata import build as build_open_data
from citizenvoice.services.survey_comments import analyse_comments

__all__ = ["seed_command", "seed_demo_data"]

# Messages whose text was rebuilt from word lists read badly as demo cases; show real ones.
_DEMO_TEXT_SOURCES = {"original", "whitespace_stripped"}
_SEED_RANDOM_STATE = 20201


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
        _analyse_demo_survey_comments()
        office = _demo_accounts()
        tasks = open_demo_rectification(office) if office is not None else 0
        db.session.commit()
        click.echo(
            f"published {published} past monthly periods and opened {tasks} 整改 tasks "
            "of the demo history"
        )
        # The open-data files of the demo, so /open/data/ lists datasets from the first run.
        built = build_open_data(
            current_app.config["OPEN_DATA_DIR"], utcnow().astimezone(SHANGHAI).date()
        )
        click.echo(f"built the open-data files in {built.folder}")


def _analyse_demo_survey_comments() -> None:
    """Where analysis runs here, the demo campaign's comments too, so its groups show."""
    if not current_app.config.get("ANALYSIS_IN_PROCESS"):
        return
    campaigns = db.session.scalars(select(SurveyCampaign.id).order_by(SurveyCampaign.id)).all()
    done = sum(analyse_comments(get_analyzer(), campaign_id) for campaign_id in campaigns)
    click.echo(f"analysed {done} comments of the demo survey")


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
    for index, row in enumerate(rows):
        try:
            file_feedback({**row, **demo_public_fields(index)}, channel=Channel.SEED, pii=pii)
        except FeedbackValidationError:
            continue  # a real message outside our length rules is simply not demo material
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


def _real_messages(data_dir: Path, count: int) -> list[dict[str, object]] | None:
    """Pick ``count`` real labelled messages and route them to a department of their category."""
    from nlp import load_messages

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
