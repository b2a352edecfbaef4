"""社会评价 surveys: create campaigns from presets, issue invitations, take answers.

Codes are stored only as an HMAC keyed from ``CITIZENVOICE_SURVEY_KEY`` (or, unset, a key
derived from ``CITIZENVOICE_PII_KEY`` for this purpose alone). An answer marks its invitation
used with one conditional UPDATE and stores its rows in the same transaction, so a code is
used once however many requests race, and nothing is half-stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from citizenvoice.domain.survey import (
    DEFAULT_MIN_N,
    DEFAULT_SCORES,
    PRESETS,
    Rating,
    generate_code,
)
from citizenvoice.domain.survey_priority import clean_picks
from citizenvoice.extensions import db
from citizenvoice.models import (
    Department,
    Period,
    SurveyAnswer,
    SurveyCampaign,
    SurveyGroup,
    SurveyInvitation,
    SurveyPriority,
    SurveyPriorityPick,
    utcnow,
)
from citizenvoice.services.appraisal.periods import beijing_today
from citizenvoice.services.redaction import redact_for_staff

__all__ = [
    "COMMENT_MAX",
    "Questionnaire",
    "SurveyError",
    "code_hmac",
    "create_campaign",
    "find_invitation",
    "issue_invitations",
    "questionnaire",
    "submit_answers",
]

COMMENT_MAX = 500


class SurveyError(ValueError):
    """A refused survey action; ``status`` is the HTTP status, ``fields`` the field errors."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}


def _mac_key() -> bytes:
    secret = current_app.config.get("SURVEY_KEY") or current_app.config["PII_KEY"]
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"citizenvoice-survey", info=b"invitation"
    ).derive(str(secret).encode("utf-8"))


def code_hmac(code: str, key: bytes | None = None) -> str:
    """The stored form of a canonical code: hex HMAC-SHA256 (``key`` saves the derivation)."""
    return hmac.new(key or _mac_key(), code.encode("ascii"), hashlib.sha256).hexdigest()


def create_campaign(period: Period, preset: str, status: str = "open") -> SurveyCampaign:
    """A campaign for ``period`` from a preset, for the period's dates.

    Open at once (the CLI), or a draft the office edits before opening it (``status="draft"``).
    Every group rates every department (``departments`` None) until the office narrows it.
    """
    if preset not in PRESETS:
        raise SurveyError(400, f"未知的预设：{preset}")
    campaign = SurveyCampaign(
        period_id=period.id,
        name=f"{period.name}社会评价",
        preset=preset,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        status=status,
        scores=dict(DEFAULT_SCORES),
    )
    db.session.add(campaign)
    for group in PRESETS[preset]:
        db.session.add(
            SurveyGroup(
                campaign=campaign,
                code=group.code,
                name=group.name,
                weight=group.weight,
                min_n=DEFAULT_MIN_N,
                departments=None,
            )
        )
    db.session.flush()
    return campaign


def issue_invitations(campaign: SurveyCampaign, group_code: str, count: int) -> list[str]:
    """Make ``count`` new codes for a group; store their hashes, return the codes (once only)."""
    group = db.session.scalar(
        select(SurveyGroup).where(
            SurveyGroup.campaign_id == campaign.id, SurveyGroup.code == group_code
        )
    )
    if group is None:
        raise SurveyError(404, f"该问卷没有此评价群体：{group_code}")
    if campaign.status == "closed":
        raise SurveyError(409, "问卷已结束，不能再生成邀请码")
    if count < 1 or count > 200_000:
        raise SurveyError(400, "数量须在 1 到 200000 之间")
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(generate_code())
    ordered = sorted(codes)
    key = _mac_key()
    db.session.execute(
        insert(SurveyInvitation),
        [{"group_id": group.id, "code_hmac": code_hmac(c, key), "used": False} for c in ordered],
    )
    return ordered


@dataclass
class Questionnaire:
    """What a code opens: campaign, group and the departments it rates."""

    invitation: SurveyInvitation
    group: SurveyGroup
    campaign: SurveyCampaign
    departments: list[Department] = field(default_factory=list)
    priorities: list[SurveyPriority] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The API's questionnaire document."""
        return {
            "campaign": {
                "id": self.campaign.id,
                "name": self.campaign.name,
                "starts_on": self.campaign.starts_on.isoformat(),
                "ends_on": self.campaign.ends_on.isoformat(),
            },
            "group": {"code": self.group.code, "name": self.group.name},
            "departments": [
                {"code": d.code, "name": d.name, "description": _description(d)}
                for d in self.departments
            ],
            "ratings": [{"value": r.value, "label": r.label} for r in Rating],
            "priorities": [
                {"id": p.id, "title": p.title, "description": p.description}
                for p in self.priorities
            ],
        }


def _description(department: Department) -> str:
    aliases = [a for a in (department.aliases or []) if a != department.name][:4]
    return f"{department.group}" + (f"：{'、'.join(aliases)}" if aliases else "")


def find_invitation(code: str) -> SurveyInvitation | None:
    """The invitation of a canonical code, or None."""
    return db.session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.code_hmac == code_hmac(code))
    )


def _in_dates(campaign: SurveyCampaign, today: date) -> bool:
    return campaign.status == "open" and campaign.starts_on <= today < campaign.ends_on


def questionnaire(code: str | None) -> Questionnaire:
    """The questionnaire of a canonical code.

    SurveyError 404 for an unknown code, 410 outside the campaign's dates, 409 once used.
    """
    invitation = find_invitation(code) if code else None
    if invitation is None:
        raise SurveyError(404, "邀请码无效，请核对后重新输入")
    group = db.session.get(SurveyGroup, invitation.group_id)
    assert group is not None  # a foreign key
    campaign = group.campaign
    if not _in_dates(campaign, beijing_today()):
        raise SurveyError(410, "本次问卷不在填写时间内")
    if invitation.used:
        raise SurveyError(409, "该邀请码已经使用过，感谢您的参与")
    query = select(Department).where(Department.active.is_(True))
    if group.departments is not None:
        query = query.where(Department.code.in_(group.departments))
    departments = list(db.session.scalars(query.order_by(Department.group, Department.code)))
    priorities = list(
        db.session.scalars(
            select(SurveyPriority)
            .where(SurveyPriority.campaign_id == campaign.id)
            .order_by(SurveyPriority.id)
        )
    )
    return Questionnaire(invitation, group, campaign, departments, priorities)


def _clean_answers(raw: Any, allowed: dict[str, int]) -> list[tuple[int, str, str | None]]:
    """Validated (department id, rating, comment) rows, or SurveyError 400 with field errors."""
    if not isinstance(raw, list) or not raw:
        raise SurveyError(400, "答案有误", {"answers": "须为非空列表"})
    fields: dict[str, str] = {}
    rows: list[tuple[int, str, str | None]] = []
    seen: set[str] = set()
    for index, item in enumerate(raw[: len(allowed) + 1]):
        key = f"answers[{index}]"
        if not isinstance(item, dict) or set(item) - {"department", "rating", "comment"}:
            fields[key] = "须为含 department、rating、comment 的对象"
            continue
        code, rating, comment = item.get("department"), item.get("rating"), item.get("comment")
        if not isinstance(code, str) or code not in allowed or code in seen:
            fields[f"{key}.department"] = "部门不在本问卷中或重复"
            continue
        if not isinstance(rating, str) or rating not in {r.value for r in Rating}:
            fields[f"{key}.rating"] = "评价须为 satisfied/fairly/basic/dissatisfied/unknown"
            continue
        if comment is not None and (not isinstance(comment, str) or len(comment) > COMMENT_MAX):
            fields[f"{key}.comment"] = f"意见须为不超过 {COMMENT_MAX} 字的文本"
            continue
        if comment is not None and "\x00" in comment:
            fields[f"{key}.comment"] = "意见包含无效的字符"
            continue
        seen.add(code)
        text = redact_for_staff(comment.strip()) if comment and comment.strip() else None
        rows.append((allowed[code], rating, text))
    if len(raw) > len(allowed):
        fields["answers"] = "答案数量超过问卷中的部门数"
    if fields:
        raise SurveyError(400, "答案有误", fields)
    return rows


def _checked(form: Questionnaire, answers: Any, priority: Any) -> tuple[list[Any], list[int]]:
    """Answer rows and picked candidate ids, or SurveyError 400 with every field error."""
    picks = clean_picks(priority, {p.id for p in form.priorities})
    try:
        rows = _clean_answers(answers, {d.code: d.id for d in form.departments})
    except SurveyError as exc:
        if isinstance(picks, str):
            exc.fields["priority"] = picks
        raise
    if isinstance(picks, str):
        raise SurveyError(400, "答案有误", {"priority": picks})
    return rows, picks


def submit_answers(
    code: str | None, answers: Any, form: Questionnaire | None = None, priority: Any = None
) -> int:
    """Store one rater's answers and priority picks, use the code; returns the answer rows.

    The conditional UPDATE is the single-use guard: of two racing requests only one sees a
    row change; the other gets 409 and its transaction stores nothing (answers nor picks).
    The caller commits.
    """
    form = form or questionnaire(code)  # a caller that looked the code up passes its form
    rows, picks = _checked(form, answers, priority)
    changed = db.session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == form.invitation.id, SurveyInvitation.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        db.session.rollback()
        raise SurveyError(409, "该邀请码已经使用过，感谢您的参与")
    now = utcnow()  # one time for one rater's answers
    db.session.execute(
        insert(SurveyAnswer),
        [
            {
                "campaign_id": form.campaign.id,
                "group_id": form.group.id,
                "department_id": dept,
                "rating": rating,
                "comment": comment,
                "created_at": now,
            }
            for dept, rating, comment in rows
        ],
    )
    if picks:
        _store_picks(form, picks, now)
    return len(rows)


def _store_picks(form: Questionnaire, picks: list[int], now: Any) -> None:
    """Insert one rater's picks; a candidate withdrawn meanwhile refuses the whole answer."""
    try:
        db.session.execute(
            insert(SurveyPriorityPick),
            [
                {
                    "campaign_id": form.campaign.id,
                    "group_id": form.group.id,
                    "priority_id": candidate,
                    "created_at": now,
                }
                for candidate in picks
            ],
        )
    except IntegrityError:
        # The office withdrew a candidate between the questionnaire and this insert: roll
        # everything back (the code stays usable) and ask the rater to choose again.
        db.session.rollback()
        raise SurveyError(
            400, "答案有误", {"priority": "所选事项已被撤回，请刷新后重新选择"}
        ) from None


def groups_of(campaign: SurveyCampaign) -> Iterable[SurveyGroup]:
    """The campaign's groups in creation order."""
    return list(campaign.groups)
