"""The priority question: the office's candidate issues, their tally, and 整改 tasks from them.

Candidates are edited (added, removed) until the campaign has its first answer, then frozen.
Picks are stored by ``services.survey.submit_answers`` in the answers' transaction. A candidate
becomes at most one 整改 task: the task is opened through the rectification service and the
candidate claims it with a conditional UPDATE, so of two racing clicks only one task survives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update

from citizenvoice.domain.survey_priority import MAX_CANDIDATES, PriorityTally, tally_priorities
from citizenvoice.extensions import db
from citizenvoice.models import (
    RectificationTask,
    SurveyAnswer,
    SurveyCampaign,
    SurveyInvitation,
    SurveyPriority,
    SurveyPriorityPick,
    User,
)
from citizenvoice.services.appraisal.periods import beijing_today
from citizenvoice.services.audit import record
from citizenvoice.services.rectification import open_task
from citizenvoice.services.survey import SurveyError
from citizenvoice.services.topics import current_snapshot

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_TITLE",
    "CampaignTally",
    "add_candidate",
    "campaign_closed",
    "campaign_tally",
    "candidates_of",
    "has_answers",
    "hot_suggestions",
    "public_tallies",
    "remove_candidate",
    "task_from_candidate",
]

MAX_TITLE = 60
MAX_DESCRIPTION = 200
SOURCE_KINDS = ("keyword", "duplicate_group")


def candidates_of(campaign_id: int) -> list[SurveyPriority]:
    """A campaign's candidates in the order they were proposed."""
    return list(
        db.session.scalars(
            select(SurveyPriority)
            .where(SurveyPriority.campaign_id == campaign_id)
            .order_by(SurveyPriority.id)
        )
    )


def has_answers(campaign_id: int) -> bool:
    """True once any rater answered: the candidates are then frozen."""
    return (
        db.session.scalar(
            select(SurveyAnswer.id).where(SurveyAnswer.campaign_id == campaign_id).limit(1)
        )
        is not None
    )


def _clean_text(value: object, limit: int, label: str, required: bool) -> str:
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if required and not text:
        raise SurveyError(400, f"请填写{label}")
    if len(text) > limit:
        raise SurveyError(400, f"{label}不能超过 {limit} 个字")
    if any(ord(ch) < 32 or ch in "\x7f\ufeff" for ch in text):
        raise SurveyError(400, f"{label}包含无效的字符")
    return text


def add_candidate(
    campaign: SurveyCampaign,
    title: object,
    description: object = "",
    source: tuple[str, str] | None = None,
    actor: str = "cli",
) -> SurveyPriority:
    """Propose one candidate (audited); SurveyError 400 when invalid, 409 when frozen or full."""
    if has_answers(campaign.id):
        raise SurveyError(409, "问卷已有答卷，候选事项不能再修改")
    clean_title = _clean_text(title, MAX_TITLE, "事项标题", True)
    clean_description = _clean_text(description, MAX_DESCRIPTION, "事项说明", False)
    existing = candidates_of(campaign.id)
    if len(existing) >= MAX_CANDIDATES:
        raise SurveyError(409, f"候选事项最多 {MAX_CANDIDATES} 项")
    if any(c.title == clean_title for c in existing):
        raise SurveyError(400, "已有同名的候选事项")
    kind, value = source if source and source[0] in SOURCE_KINDS and source[1] else (None, None)
    candidate = SurveyPriority(
        campaign_id=campaign.id,
        title=clean_title,
        description=clean_description,
        source_kind=kind,
        source_value=(value or "")[:100] or None,
    )
    db.session.add(candidate)
    db.session.flush()
    record(
        actor,
        "survey_priority_add",
        "survey_campaign",
        campaign.id,
        {"candidate": candidate.id, "title": clean_title},
    )
    return candidate


def remove_candidate(campaign: SurveyCampaign, candidate_id: int, actor: str) -> None:
    """Withdraw a candidate before the first answer (audited)."""
    if has_answers(campaign.id):
        raise SurveyError(409, "问卷已有答卷，候选事项不能再修改")
    candidate = db.session.get(SurveyPriority, candidate_id)
    if candidate is None or candidate.campaign_id != campaign.id:
        raise SurveyError(404, "候选事项不存在")
    record(
        actor,
        "survey_priority_remove",
        "survey_campaign",
        campaign.id,
        {"candidate": candidate.id, "title": candidate.title},
    )
    db.session.delete(candidate)
    db.session.flush()


def hot_suggestions(limit: int = MAX_CANDIDATES) -> list[dict[str, str]]:
    """The current hot topics and duplicate groups as one-click candidates (may be empty)."""
    snapshot = current_snapshot()
    if snapshot is None:
        return []
    out = []
    for issue in snapshot.hot_topics or []:
        label = str(issue.get("key", ""))
        if label:
            words = label.split("/")
            out.append(
                {
                    "title": "、".join(words)[:MAX_TITLE],
                    "description": f"热点话题，近期 {issue.get('volume', 0)} 件诉求",
                    "source_kind": "keyword",
                    "source_value": words[0][:100],
                }
            )
    for issue in snapshot.hot_groups or []:
        key = str(issue.get("key", ""))
        if key:
            out.append(
                {
                    "title": f"重复诉求组 {key}"[:MAX_TITLE],
                    "description": f"同一问题被反复反映 {issue.get('volume', 0)} 次",
                    "source_kind": "duplicate_group",
                    "source_value": key[:100],
                }
            )
    return out[:limit]


@dataclass(frozen=True)
class CampaignTally:
    """A campaign's candidates with their tallies (best first) and the number of raters."""

    campaign: SurveyCampaign
    rows: list[tuple[SurveyPriority, PriorityTally]]
    raters: int
    closed: bool


def campaign_closed(campaign: SurveyCampaign, today: date | None = None) -> bool:
    """Closed by the office (status) or past its dates (``ends_on`` is exclusive)."""
    return campaign.status == "closed" or (today or beijing_today()) >= campaign.ends_on


def campaign_tally(campaign: SurveyCampaign) -> CampaignTally:
    """Picks per candidate, unweighted and group-weighted (domain.survey_priority).

    A group's raters are its used invitations: every answer uses exactly one.
    """
    candidates = candidates_of(campaign.id)
    picks = {
        (int(g), int(c)): int(n)
        for g, c, n in db.session.execute(
            select(SurveyPriorityPick.group_id, SurveyPriorityPick.priority_id, func.count())
            .where(SurveyPriorityPick.campaign_id == campaign.id)
            .group_by(SurveyPriorityPick.group_id, SurveyPriorityPick.priority_id)
        ).tuples()
    }
    used: dict[int, int] = dict(
        db.session.execute(
            select(SurveyInvitation.group_id, func.count())
            .where(
                SurveyInvitation.group_id.in_([g.id for g in campaign.groups]),
                SurveyInvitation.used.is_(True),
            )
            .group_by(SurveyInvitation.group_id)
        )
        .tuples()
        .all()
    )
    groups = {g.id: (float(g.weight), int(used.get(g.id, 0))) for g in campaign.groups}
    by_id = {c.id: c for c in candidates}
    tallies = tally_priorities([c.id for c in candidates], picks, groups)
    return CampaignTally(
        campaign,
        [(by_id[t.candidate], t) for t in tallies],
        sum(n for _, n in groups.values()),
        campaign_closed(campaign),
    )


def public_tallies() -> list[CampaignTally]:
    """Every campaign with candidates, newest first; the page shows numbers of closed ones only."""
    campaigns = db.session.scalars(
        select(SurveyCampaign)
        .where(SurveyCampaign.id.in_(select(SurveyPriority.campaign_id)))
        .order_by(SurveyCampaign.id.desc())
        .limit(20)
    )
    return [campaign_tally(c) for c in campaigns]


def task_from_candidate(
    office_user: User, candidate: SurveyPriority, form: dict[str, Any]
) -> RectificationTask:
    """Open the candidate's 整改 task (rectification service) and link it; at most one task.

    ``form``: department, target, source_kind, source_value, deadline (a date or None). The
    claim is a conditional UPDATE: of two racing requests the second matches no row, gets 409,
    and its caller rolls back the task it opened.
    """
    if candidate.task_id is not None:
        raise SurveyError(409, "该事项已转为整改任务")
    task = open_task(
        office_user,
        str(form.get("department") or ""),
        candidate.title,
        str(form.get("target") or ""),
        str(form.get("source_kind") or ""),
        str(form.get("source_value") or ""),
        form.get("deadline"),
    )
    claimed = db.session.execute(
        update(SurveyPriority)
        .where(SurveyPriority.id == candidate.id, SurveyPriority.task_id.is_(None))
        .values(task_id=task.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise SurveyError(409, "该事项已转为整改任务")
    record(
        office_user.username,
        "survey_priority_task",
        "survey_campaign",
        candidate.campaign_id,
        {"candidate": candidate.id, "task": task.id},
    )
    return task
