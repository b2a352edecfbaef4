"""Departments on the portal: their published appraisal result, response figures, topics.

Only a published period's frozen result is read; the citizen indicators keep their n and
interval (they describe departments, not residents); counts of cases pass the <5 rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from citizenvoice.domain.disclosure import public_count
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Department, Period, Submission
from citizenvoice.services.appraisal import result_rows
from citizenvoice.services.portal.cache import cached
from citizenvoice.services.portal.figures import WindowFigures, window_figures
from citizenvoice.services.portal.overview import PublicPeriod, public_period

__all__ = [
    "DepartmentPage",
    "department_page",
    "department_results",
    "explanation",
]

TOP_TOPICS = 5


@dataclass(frozen=True)
class DepartmentPage:
    """One department's public page for a published period."""

    code: str
    name: str
    group: str
    period: PublicPeriod
    result: dict[str, Any] | None
    group_size: int
    figures: WindowFigures
    topics: list[tuple[str, int | str]]
    explanation: list[str]


def _period_row(period: PublicPeriod) -> Period:
    row = db.session.scalar(select(Period).where(Period.code == period.code))
    assert row is not None  # public_period only returns stored, published periods
    return row


def department_results(code: str | None = None) -> tuple[PublicPeriod | None, list[dict[str, Any]]]:
    """The published result rows of a period (default: the newest published), by group and rank."""
    period = public_period(code)
    if period is None:
        return None, []
    return period, cached(f"results:{period.code}", lambda: result_rows(_period_row(period)))


def _complaint_topics(department_id: int, period: PublicPeriod) -> list[tuple[str, int | str]]:
    """The department's most frequent complaint topics in the period (topic label or category)."""
    label = func.coalesce(Analysis.topic_label, Analysis.category)
    rows = db.session.execute(
        select(label, func.count())
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.department_id == department_id,
            Submission.kind == FeedbackKind.COMPLAINT.value,
            Submission.created_at >= local_midnight(period.starts_on),
            Submission.created_at < local_midnight(period.ends_on),
            label.is_not(None),
        )
        .group_by(label)
        .order_by(func.count().desc(), label)
        .limit(TOP_TOPICS)
    ).all()
    return [(str(name), public_count(int(n))) for name, n in rows]


def explanation(row: dict[str, Any]) -> list[str]:
    """Plain sentences on what pulled the score down: weak or short indicators, no case text.

    An indicator below the department's own mean of indicators is a weakness (as the office's
    explanation page has it); one short of its minimum n is said to be 样本不足.
    """
    indicators = [i for i in row["citizen"]["indicators"] if i["score"] is not None]
    sentences = []
    if row.get("reason"):
        sentences.append(f"未参与排名：{row['reason']}")
    if indicators:
        mean = sum(i["score"] for i in indicators) / len(indicators)
        weak = sorted((i for i in indicators if i["score"] < mean), key=lambda i: i["score"])[:3]
        sentences += [
            f"{i['label']} {i['score']:.1f} 分，低于本部门各项指标的平均值 {mean:.1f} 分"
            f"（样本 {i['n']}）"
            for i in weak
        ]
    if not row.get("reason"):  # the reason already lists the short indicators
        sentences += [
            f"{i['label']} 样本不足（n = {i['n']}），不计入排名"
            for i in row["citizen"]["indicators"]
            if not i["sufficient"]
        ]
    return sentences or ["各项群众评价指标均不低于本部门平均水平。"]


def department_page(code: str, period_code: str | None = None) -> DepartmentPage | None:
    """A department's public page, or None when the department or the period does not exist."""
    department = db.session.scalar(
        select(Department).where(Department.code == code, Department.active.is_(True))
    )
    period = public_period(period_code)
    if department is None or period is None:
        return None
    department_id, name, group = department.id, department.name, department.group

    def compute() -> DepartmentPage:
        rows = result_rows(_period_row(period))
        row = next((r for r in rows if r["department"] == code), None)
        return DepartmentPage(
            code=code,
            name=name,
            group=group,
            period=period,
            result=row,
            group_size=sum(1 for r in rows if row is not None and r["group"] == row["group"]),
            figures=window_figures(
                local_midnight(period.starts_on), local_midnight(period.ends_on), department_id
            ),
            topics=_complaint_topics(department_id, period),
            explanation=explanation(row) if row is not None else [],
        )

    return cached(f"department:{code}:{period.code}", compute)
