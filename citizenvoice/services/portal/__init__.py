"""The public accountability portal (/open/): what anyone may see, without logging in.

Every count leaving this package passes the small-number rule (domain.disclosure: no cell
below 5); rates carry their n and 95% interval; only published appraisal periods are read.
Aggregates are cached per process for PORTAL_CACHE_SECONDS (``cache``).

Modules: ``figures`` (a window's intake and rates), ``overview`` (periods, trend),
``departments`` (published results per department), ``issues`` (hot words and topics),
``rectification`` (public 整改 tasks), ``survey_bands`` (社会评价问卷 grade bands),
``cache``. Import from this package.
"""

from __future__ import annotations

from citizenvoice.services.portal.cache import clear as clear_cache
from citizenvoice.services.portal.departments import (
    DepartmentPage,
    department_page,
    department_results,
)
from citizenvoice.services.portal.figures import WindowFigures, window_figures
from citizenvoice.services.portal.issues import HotIssue, hot_issues, topic_counts
from citizenvoice.services.portal.overview import (
    Overview,
    PublicPeriod,
    TrendPoint,
    overview,
    public_period,
    published_periods,
)
from citizenvoice.services.portal.rectification import PublicTask, public_tasks
from citizenvoice.services.portal.survey_bands import (
    SurveyBand,
    add_survey_grades,
    public_survey_bands,
)

__all__ = [
    "DepartmentPage",
    "HotIssue",
    "Overview",
    "PublicPeriod",
    "PublicTask",
    "SurveyBand",
    "TrendPoint",
    "WindowFigures",
    "add_survey_grades",
    "clear_cache",
    "department_page",
    "department_results",
    "hot_issues",
    "overview",
    "public_period",
    "public_survey_bands",
    "public_tasks",
    "published_periods",
    "topic_counts",
    "window_figures",
]
