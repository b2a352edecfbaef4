"""Views of the public portal. Thin: read a published aggregate, render; nothing is written."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from werkzeug.wrappers import Response

from citizenvoice.blueprints.open.charts import count_bars, trend_charts
from citizenvoice.domain.disclosure import public_count
from citizenvoice.services.opendata import catalogue, dataset_path
from citizenvoice.services.portal import (
    PublicPeriod,
    department_page,
    department_results,
    hot_issues,
    overview,
    public_period,
    public_survey_bands,
    public_tasks,
    published_periods,
    topic_counts,
)
from citizenvoice.services.survey_priority import public_tallies

__all__ = ["open_blueprint"]

open_blueprint = Blueprint("open", __name__)

# Public figures change by the hour: let browsers and proxies keep a page for five minutes.
_PUBLIC_CACHE = "public, max-age=300"


@open_blueprint.after_request
def _cacheable(response: Response) -> Response:
    """Public pages carry no personal data: shared caches may keep them a few minutes."""
    if response.status_code == 200 and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = _PUBLIC_CACHE
    return response


def _period() -> PublicPeriod | None:
    """The ?period= asked for (404 unless published), or the newest published period."""
    code = request.args.get("period", type=str) or None
    period = public_period(code)
    if code and period is None:
        abort(404)
    return period


@open_blueprint.get("/")
def overview_page() -> Any:
    """This period's intake, timeliness, resolution and satisfaction, and the 12-month trend."""
    period = _period()
    data = overview(period.code if period else None)
    figures = data.figures
    return render_template(
        "open/overview.html",
        data=data,
        figures=figures,
        kind_chart=count_bars(figures.by_kind, "按类型的受理量") if figures else None,
        category_chart=count_bars(figures.by_category, "按类别的受理量") if figures else None,
        trend=trend_charts(data.trend),
    )


@open_blueprint.get("/departments/")
def departments_page() -> Any:
    """Every department's published total and rank, by group."""
    period, rows = department_results(_period_code())
    return render_template(
        "open/departments.html",
        period=period,
        rows=rows,
        periods=published_periods(),
        bands=public_survey_bands(period) if period else [],
    )


def _period_code() -> str | None:
    period = _period()
    return period.code if period else None


@open_blueprint.get("/departments/<code>")
def department_detail(code: str) -> Any:
    """One department: result, indicators with n and intervals, figures, topics, tasks."""
    if len(code) > 32:
        abort(404)
    page = department_page(code, _period_code())
    if page is None:
        abort(404)
    band = next((b for b in public_survey_bands(page.period) if b.code == code), None)
    return render_template(
        "open/department.html",
        page=page,
        band=band,
        tasks=public_tasks(code),
        topic_chart=count_bars(page.topics, "主要投诉话题"),
    )


@open_blueprint.get("/issues")
def issues_page() -> Any:
    """The period's ten hottest words and topics, with public-consented redacted examples."""
    period = _period()
    issues = hot_issues(period) if period else []
    topics = topic_counts(period) if period else []
    return render_template(
        "open/issues.html",
        period=period,
        periods=published_periods(),
        issues=issues,
        topics=topics,
        chart=count_bars([(i.label, i.count) for i in issues], "十大热词", unit=""),
    )


@open_blueprint.get("/rectification")
def rectification_page() -> Any:
    """Every 整改 task with its progress, timeline and measured effect."""
    return render_template("open/rectification.html", tasks=public_tasks())


@open_blueprint.get("/priorities")
def priorities_page() -> Any:
    """群众点题: the tally of each closed campaign's priority question; open ones only a note."""
    return render_template(
        "open/priorities.html", tallies=public_tallies(), public_count=public_count
    )


@open_blueprint.get("/data/")
def data_page() -> Any:
    """The open-data catalogue: datasets, their files by version, dictionary and licence."""
    return render_template("open/data.html", datasets=catalogue(_data_dir()))


def _data_dir() -> str:
    return str(current_app.config["OPEN_DATA_DIR"])


@open_blueprint.get("/data/<version>/<filename>")
def data_file(version: str, filename: str) -> Any:
    """One built open-data file (CSV or JSON), as it was written by the build."""
    relative = dataset_path(_data_dir(), version, filename)
    if relative is None:
        abort(404)
    mimetype = "text/csv" if filename.endswith(".csv") else "application/json"
    return send_from_directory(_data_dir(), relative, mimetype=mimetype, max_age=300)
