"""``flask survey ...``: campaigns, invitation codes, and the priority question's candidates.

``create`` makes a 社会评价 campaign from a preset, ``invite`` issues codes, ``priorities`` adds or
lists the candidate issues of the priority question.
"""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from citizenvoice.domain.survey import PRESETS
from citizenvoice.extensions import db
from citizenvoice.models import SurveyCampaign
from citizenvoice.services.appraisal import AppraisalError, period_by_code
from citizenvoice.services.survey import SurveyError, create_campaign, issue_invitations
from citizenvoice.services.survey_comments import analyse_comments
from citizenvoice.services.survey_priority import add_candidate, campaign_tally

__all__ = ["survey_group"]


@click.group("survey")
def survey_group() -> None:
    """社会评价 surveys: campaigns of rater groups and their single-use invitations."""


@survey_group.command("create")
@click.option("--period", "code", required=True, help="Period code, e.g. 2026-Q4.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), required=True)
@with_appcontext
def survey_create_command(code: str, preset: str) -> None:
    """Create a campaign for a period, open at once for its dates; prints the id last."""
    try:
        period = period_by_code(code)
        campaign = create_campaign(period, preset)
    except (AppraisalError, SurveyError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(
        f"campaign for {code} ({preset}, {len(campaign.groups)} groups, open "
        f"{campaign.starts_on.isoformat()} to {campaign.ends_on.isoformat()}): {campaign.id}"
    )


@survey_group.command("invite")
@click.option("--campaign", "campaign_id", required=True, type=int)
@click.option("--group", "group_code", required=True)
@click.option("--count", required=True, type=click.IntRange(1, 200_000))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def survey_invite_command(campaign_id: int, group_code: str, count: int, out: Path) -> None:
    """Make COUNT single-use codes for a group and write them as CSV (``code,url``)."""
    campaign = db.session.get(SurveyCampaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"问卷不存在：{campaign_id}")
    try:
        codes = issue_invitations(campaign, group_code, count)
    except SurveyError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    # Written before the commit: if the file cannot be written, no unreachable codes are stored.
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "url"])
        for code in codes:
            writer.writerow([code, f"{base}/survey/{code}"])
    db.session.commit()
    click.echo(f"{count} invitations for {group_code} written to {out}")


@survey_group.command("analyse-comments")
@click.option("--campaign", "campaign_id", required=True, type=int)
@with_appcontext
def survey_analyse_comments_command(campaign_id: int) -> None:
    """Run the campaign's not yet analysed comments through nlp; prints how many (last word)."""
    from citizenvoice.jobs.base import get_analyzer  # loads the models only for this command

    if db.session.get(SurveyCampaign, campaign_id) is None:
        raise click.ClickException(f"问卷不存在：{campaign_id}")
    done = analyse_comments(get_analyzer(), campaign_id)
    click.echo(f"comments analysed for campaign {campaign_id}: {done}")


@survey_group.command("priorities")
@click.option("--campaign", "campaign_id", required=True, type=int)
@click.option("--add", "title", default=None, help="Title of a new candidate issue.")
@click.option("--description", default="", help="One-line description of the new candidate.")
@click.option("--list", "show", is_flag=True, help="List the candidates with their tally.")
@with_appcontext
def survey_priorities_command(
    campaign_id: int, title: str | None, description: str, show: bool
) -> None:
    """Add a candidate issue of the priority question (--add) or list them (--list)."""
    campaign = db.session.get(SurveyCampaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"问卷不存在：{campaign_id}")
    if title is None and not show:
        raise click.ClickException("请使用 --add 或 --list")
    if title is not None:
        try:
            candidate = add_candidate(campaign, title, description, actor="cli")
        except SurveyError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        click.echo(f"candidate added: {candidate.id}")
    if show:
        tally = campaign_tally(campaign)
        for candidate, row in tally.rows:
            share = "-" if row.weighted_share is None else f"{row.weighted_share:.1%}"
            click.echo(f"{candidate.id}\t{candidate.title}\t{row.picks}\t{share}")
        click.echo(f"raters: {tally.raters}")
