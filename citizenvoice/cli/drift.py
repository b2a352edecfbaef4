"""``flask drift report [--week YYYY-MM-DD] [--json]``: the weekly drift report on demand.

Computes the report of the Beijing week holding ``--week`` (default: the last complete week),
stores it (one row per week: a rerun replaces it) and prints it, as a short Chinese summary or,
with ``--json``, as one JSON object on stdout. ``--weeks N`` backfills the N weeks ending there.
docs/learning.md ("Drift") explains the figures.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import click
from flask.cli import with_appcontext

from citizenvoice.services.drift import compute_report, last_complete_week, store_report

__all__ = ["drift_group"]


@click.group("drift")
def drift_group() -> None:
    """Model drift: a week's analyses against the models' reference distributions."""


def _parse_week(value: str | None) -> date:
    if value is None:
        return last_complete_week()
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(
            "日期格式应为 YYYY-MM-DD，例如 2026-11-30", param_hint="--week"
        ) from None


def _parse_weeks(value: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text[:3]) <= 52 and len(text) <= 2):
        raise click.BadParameter("周数应为 1 到 52 之间的整数", param_hint="--weeks")
    return int(text)


def _percent(value: float | None) -> str:
    return "无数据" if value is None else f"{100 * value:.1f}%"


def _number(value: float | None) -> str:
    return "无数据" if value is None else f"{value:.3f}"


def _summary(report: dict[str, Any]) -> list[str]:
    """The report as lines of Chinese text for office staff."""
    fig = report["figures"]
    cat, sen = fig["category"], fig["sentiment"]
    lines = [f"模型漂移周报：{fig['week_start']} 起一周，分析 {fig['n_analyses']} 条"]
    if fig["no_data"]:
        return [*lines, "本周无数据：没有已分析的诉求。"]
    if fig["small_sample"]:
        lines.append("样本较少：少于 100 条不判断分布偏移，少于 30 条不发出警告。")
    lines += [
        f"类别分布 PSI：{_number(cat['psi'])}",
        f"平均置信度：{_number(cat['mean_confidence'])}"
        f"（基准 {_number(cat['reference_mean_confidence'])}）",
        f"低于分派阈值：{_percent(cat['share_below_threshold'])}"
        f"（基准 {_percent(cat['reference_share_below_threshold'])}）",
        f"未登录词比例：{_percent(cat['oov_rate'])}（基准 {_percent(cat['reference_oov_rate'])}，"
        f"抽样 {fig['oov_sample']} 条）",
        f"情感分布 PSI：{_number(sen['psi'])}",
    ]
    warnings = report["warnings"]
    labels = {"significant": "警告", "moderate": "注意"}
    lines += [f"{labels.get(w['level'], '警告')}：{w['message']}" for w in warnings] or ["无警告。"]
    return lines


@drift_group.command("report")
@click.option("--week", "week", default=None, help="Any day of the week (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--weeks",
    default="1",
    help="Also (re)compute the weeks before it: N weeks (1-52) ending with --week (backfill).",
)
@with_appcontext
def report_command(week: str | None, as_json: bool, weeks: str) -> None:
    """Compute, store and print the drift report of one Beijing week (Monday start).

    With ``--weeks N`` the N weeks ending with that week are stored and printed, oldest
    first (``--json``: one object per line).
    """
    last = _parse_week(week)
    for back in range(_parse_weeks(weeks) - 1, -1, -1):
        report = compute_report(last - timedelta(days=7 * back))
        report_id = store_report(report)
        if as_json:
            out = {**report, "week_start": report["week_start"].isoformat(), "id": report_id}
            click.echo(json.dumps(out, ensure_ascii=False, sort_keys=True))
            continue
        for line in _summary(report):
            click.echo(line)
