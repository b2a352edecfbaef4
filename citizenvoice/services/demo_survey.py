"""A past 社会评价 campaign for the demo: nine rater groups answered, weighted into the appraisal.

``flask seed`` runs it for the last ended demo month before computing it, so a newcomer's
``make run`` shows the survey indicator in published results. Deterministic (its own seed).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from citizenvoice.domain.localtime import local_midnight
from citizenvoice.domain.survey import Rating, generate_code
from citizenvoice.extensions import db
from citizenvoice.models import (
    Department,
    Period,
    SurveyAnswer,
    SurveyCampaign,
    SurveyInvitation,
    SurveyPriority,
    SurveyPriorityPick,
)
from citizenvoice.services.appraisal import update_settings
from citizenvoice.services.survey import code_hmac, create_campaign

__all__ = ["DEMO_RATERS_PER_GROUP", "DEMO_SURVEY_WEIGHT", "seed_demo_survey"]

DEMO_RATERS_PER_GROUP = 40  # above the default minimum n of 30 after ~15 % 不了解
# The survey's share of the citizen dimension in the demo (the case indicators keep the rest).
DEMO_SURVEY_WEIGHT = 0.3
_UNKNOWN_SHARE = 0.15
_COMMENTS = ("办事排队时间太长", "窗口服务态度需要改进", "问题反映后迟迟没有答复", "")
# The priority question's candidates with how likely a rater picks each (up to three).
_PRIORITIES = (
    ("老旧小区加装电梯", "加装审批和施工进度慢", 0.45),
    ("夜市占道经营和油烟噪音", "夜间扰民投诉集中", 0.35),
    ("背街小巷路灯和路面", "照明不足、路面破损", 0.25),
    ("停车难和乱停车", "小区周边停车位不足", 0.3),
    ("政务服务排队时间", "窗口办事等候时间长", 0.15),
)


def _rating(rng: random.Random, quality: float) -> str:
    if rng.random() < _UNKNOWN_SHARE:
        return Rating.UNKNOWN.value
    draw = rng.random()
    if draw < quality * 0.6:
        return Rating.SATISFIED.value
    if draw < quality:
        return Rating.FAIRLY.value
    if draw < quality + (1 - quality) * 0.6:
        return Rating.BASIC.value
    return Rating.DISSATISFIED.value


def _weight_survey(period: Period, actor: str) -> None:
    settings = dict(period.settings or {})
    weights = dict(settings.get("citizen_weights") or {})
    if not weights or "survey" in weights:
        return
    total = sum(float(w) for w in weights.values())
    scaled = {k: float(v) / total * (1 - DEMO_SURVEY_WEIGHT) for k, v in weights.items()}
    update_settings(
        period, {**settings, "citizen_weights": scaled | {"survey": DEMO_SURVEY_WEIGHT}}, actor
    )


def seed_demo_survey(period: Period, actor: str, seed: int = 21) -> int:
    """Create a closed Hangzhou campaign for ``period`` with answers; the rows added.

    Adds nothing (0) when the period has a campaign already. Flushes, does not commit.
    """
    exists = db.session.scalar(
        select(SurveyCampaign.id).where(SurveyCampaign.period_id == period.id).limit(1)
    )
    if exists is not None:
        return 0
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    campaign = create_campaign(period, "hangzhou")
    campaign.status = "closed"
    departments = list(
        db.session.execute(
            select(Department.id, Department.code)
            .where(Department.active.is_(True))
            .order_by(Department.code)
        ).tuples()
    )
    quality = {dept_id: rng.uniform(0.55, 0.92) for dept_id, _ in departments}
    start = local_midnight(period.starts_on)
    seconds = int((local_midnight(period.ends_on) - start).total_seconds())
    rows: list[dict[str, Any]] = []
    for group in campaign.groups:
        db.session.execute(
            insert(SurveyInvitation),
            [
                {"group_id": group.id, "code_hmac": code_hmac(generate_code()), "used": True}
                for _ in range(DEMO_RATERS_PER_GROUP)
            ],
        )
        for _ in range(DEMO_RATERS_PER_GROUP):
            when = start + timedelta(seconds=rng.randrange(seconds))
            for dept_id, _code in departments:
                rating = _rating(rng, quality[dept_id])
                comment = rng.choice(_COMMENTS) if rating == "dissatisfied" else ""
                rows.append(
                    {
                        "campaign_id": campaign.id,
                        "group_id": group.id,
                        "department_id": dept_id,
                        "rating": rating,
                        "comment": comment or None,
                        "created_at": when,
                    }
                )
    db.session.execute(insert(SurveyAnswer), rows)
    _seed_priorities(campaign, random.Random(seed + 1))  # noqa: S311 (demo data)
    _weight_survey(period, actor)
    db.session.flush()
    return len(rows)


def _seed_priorities(campaign: SurveyCampaign, rng: random.Random) -> None:
    """The demo campaign's candidates and each demo rater's picks (at most three)."""
    candidates = [
        SurveyPriority(campaign_id=campaign.id, title=title, description=description)
        for title, description, _ in _PRIORITIES
    ]
    db.session.add_all(candidates)
    db.session.flush()
    picks = []
    for group in campaign.groups:
        for _ in range(DEMO_RATERS_PER_GROUP):
            chosen = [
                c for c, (*_, p) in zip(candidates, _PRIORITIES, strict=True) if rng.random() < p
            ]
            picks += [
                {"campaign_id": campaign.id, "group_id": group.id, "priority_id": c.id}
                for c in chosen[:3]
            ]
    db.session.execute(insert(SurveyPriorityPick), picks)
