"""The open datasets: their fields (the data dictionary), licence and rows.

Four datasets: published appraisal results per period; monthly aggregates per department x
category x kind with the <5 rule; 整改 tasks with their progress and milestones;
public-consented cases in their redacted public text, under their public number (never the
tracking code).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.disclosure import public_count, public_rate
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Department, Period, Submission
from citizenvoice.services.appraisal import result_rows
from citizenvoice.services.opendata.asof import cutoff, statuses_as_of, tasks_as_of
from citizenvoice.services.public_text import public_case_text

__all__ = ["DATASETS", "LICENCE", "Dataset", "dataset_rows"]

LICENCE = "知识共享 署名 4.0 国际许可协议（CC BY 4.0）：可自由使用、再发布，请注明来源“市民之声”"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.zh-hans"


@dataclass(frozen=True)
class Dataset:
    """One dataset: its file stem, title, description and fields [(name, type, meaning)]."""

    name: str
    title: str
    description: str
    fields: tuple[tuple[str, str, str], ...]


DATASETS: tuple[Dataset, ...] = (
    Dataset(
        "appraisal-results",
        "部门绩效考核结果（已发布周期）",
        "每个已发布考核周期中各部门的总分、组内排名和群众评价指标（含样本量与 95% 区间）。",
        (
            ("period", "string", "考核周期代码，如 2026-10"),
            ("department", "string", "部门代码"),
            ("department_name", "string", "部门名称（构建时的名称，名称变更历史未存档）"),
            ("group", "string", "部门组别（组内排名）"),
            ("total", "number", "考核总分"),
            ("rank", "integer", "组内排名；空表示未参与排名"),
            ("indicator", "string", "群众评价指标名称"),
            ("score", "number", "指标得分（0-100）"),
            ("n", "integer", "指标样本量"),
            ("low", "number", "95% 区间下限"),
            ("high", "number", "95% 区间上限"),
            ("sufficient", "boolean", "样本是否充足（否 = 样本不足，不计入排名）"),
        ),
    ),
    Dataset(
        "monthly-aggregates",
        "月度诉求统计（部门 × 类别 × 类型）",
        "每月各部门各类别各类型诉求的受理量与按时答复率；小于 5 的计数显示为 <5，"
        "对应的比率不公布。",
        (
            ("month", "string", "月份（北京时间），如 2026-10"),
            (
                "department",
                "string",
                "部门代码（构建时的承办部门；转办历史未存档）；空表示尚未分派",
            ),
            (
                "category",
                "string",
                "诉求类别（文本分类，构建时的分类；改类历史未存档）；未分类为“未分类”",
            ),
            ("kind", "string", "complaint 投诉 / rating 评价 / suggestion 建议"),
            ("cases", "integer|string", "受理量；小于 5 时为 <5"),
            ("due", "integer|string", "应答复件数（有答复期限）；小于 5 时为 <5"),
            ("on_time", "integer|string", "截至该日已按时答复的件数；小于 5 时为 <5"),
            ("on_time_rate", "number", "按时答复率（%）；应答复件数小于 5 时为空"),
        ),
    ),
    Dataset(
        "rectification-tasks",
        "整改任务及进度",
        "每项整改任务的来源、承办部门、期限、进度、进展时间线和整改前后同类诉求件数"
        "（开具前后各 30 天；小于 5 时为 <5）。",
        (
            ("task", "integer", "任务编号"),
            ("title", "string", "任务标题"),
            ("department", "string", "承办部门代码"),
            ("department_name", "string", "承办部门名称"),
            ("source", "string", "整改来源（关键词或重复诉求组）"),
            ("opened_on", "string", "开具日期"),
            ("deadline", "string", "整改期限"),
            ("status", "string", "截至该日的状态"),
            ("percent", "integer", "截至该日的进度（%）"),
            ("milestones", "string", "截至该日的进展时间线：日期 进度% 说明，以“；”分隔"),
            ("cases_before", "integer|string", "开具前 30 天同类诉求件数；小于 5 时为 <5"),
            (
                "cases_after",
                "integer|string",
                "开具后 30 天（截至该日）同类诉求件数；小于 5 时为 <5",
            ),
        ),
    ),
    Dataset(
        "public-cases",
        "同意公开的诉求（脱敏）",
        "市民同意公开的诉求，使用公开编号（不是查询码），正文已脱敏（不含姓名、电话、"
        "证件号码、门牌号）；坐标保留三位小数（约百米）。",
        (
            ("public_number", "string", "公开编号，如 2026-000123"),
            ("date", "string", "受理日期（北京时间）"),
            ("kind", "string", "complaint / rating / suggestion"),
            ("category", "string", "诉求类别（构建时的分类；改类历史未存档）"),
            ("department", "string", "承办部门代码（构建时的承办部门；转办历史未存档）"),
            ("status", "string", "截至该日的办理状态（按状态记录还原）"),
            ("text", "string", "脱敏后的公开正文"),
            ("latitude", "number", "纬度（WGS-84，三位小数）"),
            ("longitude", "number", "经度（WGS-84，三位小数）"),
        ),
    ),
)


def _appraisal_rows(until: datetime) -> Iterator[dict[str, Any]]:
    # A published result is frozen, so the period's publication time alone decides.
    periods = db.session.scalars(
        select(Period)
        .where(
            Period.status == PeriodStatus.PUBLISHED.value,
            Period.published_at.is_not(None),
            Period.published_at < until,
        )
        .order_by(Period.starts_on, Period.code)
    )
    for period in periods:
        for row in result_rows(period):
            for indicator in row["citizen"]["indicators"]:
                yield {
                    "period": period.code,
                    "department": row["department"],
                    "department_name": row["department_name"],
                    "group": row["group"],
                    "total": row["total"],
                    "rank": row["rank"],
                    "indicator": indicator["label"],
                    "score": indicator["score"],
                    "n": indicator["n"],
                    "low": indicator["low"],
                    "high": indicator["high"],
                    "sufficient": indicator["sufficient"],
                }


def _months(first: date, until: date) -> Iterator[tuple[str, datetime, datetime]]:
    year, month = first.year, first.month
    while date(year, month, 1) < until:
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        yield (
            f"{year}-{month:02d}",
            local_midnight(date(year, month, 1)),
            local_midnight(date(*nxt, 1)),
        )
        year, month = nxt


def _aggregate_rows(day: date) -> Iterator[dict[str, Any]]:
    """Complete months only (before ``day``'s month), so a month's row never changes shape.

    A reply counts only if it was given by the end of ``day``.
    """
    first = db.session.scalar(select(func.min(Submission.created_at)))
    if first is None:
        return
    until = cutoff(day)
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    has_due = Submission.reply_due_at.is_not(None)
    replied = and_(Submission.replied_at.is_not(None), Submission.replied_at < until)
    for month, start, end in _months(first.astimezone(SHANGHAI).date(), day.replace(day=1)):
        due = case(
            (and_(has_due, replied), 1),
            (and_(has_due, Submission.reply_due_at < end), 1),
            else_=0,
        )
        in_time = case(
            (and_(replied, Submission.replied_at <= Submission.reply_due_at), 1), else_=0
        )
        rows = db.session.execute(
            select(
                Submission.department_id,
                Analysis.category,
                Submission.kind,
                func.count(),
                func.sum(due),
                func.sum(in_time),
            )
            .outerjoin(Analysis, Analysis.submission_id == Submission.id)
            .where(Submission.created_at >= start, Submission.created_at < end)
            .group_by(Submission.department_id, Analysis.category, Submission.kind)
        ).all()
        for dept, cat, kind, cases, due_n, in_time_n in sorted(
            rows, key=lambda r: (codes.get(r[0], ""), r[1] or "", r[2])
        ):
            rate = public_rate(float(in_time_n or 0), int(due_n or 0))
            yield {
                "month": month,
                "department": codes.get(dept, ""),
                "category": cat or "未分类",
                "kind": kind,
                "cases": public_count(int(cases)),
                "due": public_count(int(due_n or 0)),
                "on_time": public_count(int(in_time_n or 0)),
                "on_time_rate": rate.percent,
            }


def _case_rows(until: datetime) -> Iterator[dict[str, Any]]:
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    filed = and_(Submission.public_consent.is_(True), Submission.created_at < until)
    statuses = statuses_as_of(db.session.scalars(select(Submission.id).where(filed)), until)
    query = (
        select(Submission, Analysis.category)
        .outerjoin(Analysis, Analysis.submission_id == Submission.id)
        .where(filed)
        .order_by(Submission.id)
        .execution_options(yield_per=500)
    )
    for submission, cat in db.session.execute(query).tuples():
        status = statuses.get(submission.id, CaseStatus.RECEIVED.value)
        lat, lon = submission.latitude, submission.longitude
        yield {
            "public_number": submission.public_number,
            "date": submission.created_at.astimezone(SHANGHAI).date().isoformat(),
            "kind": submission.kind,
            "category": cat or "未分类",
            "department": codes.get(submission.department_id or 0, ""),
            "status": CaseStatus(status).label,
            "text": public_case_text(submission),
            # About a hundred metres: enough to see where problems cluster, not whose door.
            "latitude": round(lat, 3) if lat is not None else None,
            "longitude": round(lon, 3) if lon is not None else None,
        }


def _task_rows(until: datetime) -> Iterator[dict[str, Any]]:
    for task in tasks_as_of(until):
        yield {
            "task": task.id,
            "title": task.title,
            "department": task.department_code,
            "department_name": task.department,
            "source": task.source,
            "opened_on": task.opened_on.isoformat(),
            "deadline": task.deadline.isoformat(),
            "status": task.status,
            "percent": task.percent,
            "milestones": "；".join(
                f"{on.isoformat()} {'' if percent is None else f'{percent}% '}{text}"
                for on, percent, text in task.timeline
            ),
            "cases_before": task.before,
            "cases_after": task.after,
        }


def dataset_rows(name: str, day: date) -> Iterator[dict[str, Any]]:
    """The rows of a dataset as public at the end of Beijing day ``day`` (see ``asof``)."""
    if name == "appraisal-results":
        return _appraisal_rows(cutoff(day))
    if name == "monthly-aggregates":
        return _aggregate_rows(day)
    if name == "rectification-tasks":
        return _task_rows(cutoff(day))
    if name == "public-cases":
        return _case_rows(cutoff(day))
    raise KeyError(name)
