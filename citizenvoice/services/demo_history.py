"""A deterministic demo history, so a newcomer's ``make run`` shows a living system.

The demo submissions that ``flask seed`` files are spread over the last six months and walked
through the real workflow rules (``services.workflow.perform``, the same code staff and
residents drive): 签收, notes, 答复 (scored by the reply-quality model), 回访 with satisfaction,
and the less common paths a city sees every month: 退单 and re-assignment, approved 延期,
overdue replies and 督办, 重办 after a dissatisfied follow-up, cases that close without an answer.
Departments differ in how well they work, so the published rankings have something to show.

Monthly periods of that history are computed, the ended ones published, and a few 整改 tasks
opened in the past. Everything is drawn from one ``random.Random`` seed: the same input gives
the same history. Demo periods use a smaller minimum n (``DEMO_MIN_N``) than the default,
because a few hundred demo cases spread over many departments cannot reach 30 per month; the
setting is stored with each period like any office edit and shown on its page.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import select

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.cases import CaseStatus, Satisfaction
from citizenvoice.domain.feedback import Channel
from citizenvoice.domain.periods import PeriodStatus
from citizenvoice.domain.timelimits import follow_up_due_at
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.domain.workflow import Action, Actor, FollowUp, WorkflowError
from citizenvoice.extensions import db
from citizenvoice.models import Department, Period, RectificationTask, Submission, User
from citizenvoice.models.base import utcnow
from citizenvoice.services.accounts import create_user
from citizenvoice.services.appraisal import compute, ensure_periods, publish, update_settings
from citizenvoice.services.demo_survey import seed_demo_survey
from citizenvoice.services.dimension_import import apply, preview
from citizenvoice.services.rectification import (
    RectificationError,
    open_task,
    suggest_department,
)
from citizenvoice.services.replies import check_reply
from citizenvoice.services.workflow import RESIDENT, SYSTEM, perform, snapshot_of, start_case

__all__ = [
    "DEMO_MIN_N",
    "HISTORY_MONTHS",
    "HistorySummary",
    "build_demo_casework",
    "create_demo_accounts",
    "open_demo_rectification",
    "publish_demo_periods",
]

HISTORY_MONTHS: Final = 6
DEMO_MIN_N: Final = 5
_SEED: Final = 20261204
_REDO_WINDOW: Final = timedelta(days=20)
_LEAD_IN: Final = timedelta(days=21)
_ACTOR_NAME: Final = "演示数据"

_NOTES: Final = (
    "已联系市民，约定现场核查时间。",
    "已安排工作人员到现场查看，正在协调相关单位。",
    "已转交属地街道配合处理，等待反馈。",
)
_RETURN_REASONS: Final = ("该事项不属于本部门职责范围，建议改派。", "诉求涉及其他部门主管事项。")
_EXTENSION_REASONS: Final = ("需多部门联合核查，申请延期。", "涉及工程施工，需等待检测结果。")
_COMMENTS: Final = {
    Satisfaction.SATISFIED: ("处理很及时，谢谢！", "工作人员态度很好，问题已经解决。", ""),
    Satisfaction.BASIC: ("基本解决了，希望以后多巡查。", "处理有点慢，但结果还可以。", ""),
    Satisfaction.DISSATISFIED: (
        "问题没有解决，只是电话回复了一下。",
        "答复敷衍，现场情况没有变化。",
    ),
}


@dataclass
class HistorySummary:
    """What the demo history made, for the seed command's output."""

    cases: int = 0
    replied: int = 0
    followed_up: int = 0
    returned: int = 0
    extended: int = 0
    reopened: int = 0


def _reply_text(case: Submission, when: datetime, satisfied_outcome: bool) -> str:
    """A specific, complete reply of the kind departments publish on message boards."""
    topic = case.title or case.text[:20]
    day = when.astimezone(SHANGHAI)
    result = (
        "经现场核查，问题已整改完毕，相关设施已恢复正常，后续将加强日常巡查。"
        if satisfied_outcome
        else "经核查，该问题涉及历史遗留原因，我局已制定整改方案，预计下月底前完成。"
    )
    return (
        f"您好！关于您反映的“{topic}”问题，我单位于{day.month}月{day.day}日安排工作人员到现场调查。"
        f"{result}如有疑问，请拨打12345热线。感谢您对我们工作的监督。"
    )


class _Story:
    """Walks one case through the workflow at chosen moments; stops quietly at ``now``."""

    def __init__(self, case: Submission, now: datetime, rng: random.Random, quality: float):
        self.case, self.now, self.rng, self.quality = case, now, rng, quality
        self.at = case.created_at

    def later(self, low_hours: float, high_hours: float) -> datetime | None:
        """Advance the clock; None when the moment would be in the future."""
        moment = self.at + timedelta(hours=self.rng.uniform(low_hours, high_hours))
        if moment >= self.now:
            return None
        self.at = moment
        return moment

    def act(self, action: Action, actor: Actor, **kwargs: object) -> bool:
        """Take the action at the story's clock; False if the rules refuse it."""
        try:
            perform(self.case, action, actor, at=self.at, **kwargs)  # type: ignore[arg-type]
        except WorkflowError:
            return False
        return True


def _staff(role: Role, department: str | None) -> Actor:
    return Actor.staff(role, department, _ACTOR_NAME)


def _walk(story: _Story, others: list[str], summary: HistorySummary) -> None:
    """One case's history, drawn from the story's random generator."""
    rng, case = story.rng, story.case
    office = _staff(Role.OFFICE, None)
    code = case.department.code if case.department else None
    if code is None or story.later(0.5, 20) is None:
        return
    if rng.random() < 0.05 and others:
        admin = _staff(Role.DEPARTMENT_ADMIN, code)
        if not story.act(Action.RETURN, admin, note=rng.choice(_RETURN_REASONS)):
            return
        summary.returned += 1
        code = rng.choice([c for c in others if c != code] or others)
        if story.later(2, 20) is None or not story.act(Action.ASSIGN, office, department=code):
            return
        if story.later(0.5, 10) is None:
            return
    staff, admin = _staff(Role.DEPARTMENT_STAFF, code), _staff(Role.DEPARTMENT_ADMIN, code)
    if not story.act(Action.SIGN, staff):
        return
    if rng.random() < 0.3 and story.later(2, 30) is not None:
        story.act(Action.ADD_NOTE, staff, note=rng.choice(_NOTES))
    extend = rng.random() < 0.07 and story.later(4, 48) is not None
    if extend and story.act(Action.REQUEST_EXTENSION, admin, note=rng.choice(_EXTENSION_REASONS)):
        if story.later(2, 20) is None:
            return
        story.act(Action.APPROVE_EXTENSION, office)
        summary.extended += 1
    _reply_and_follow_up(story, staff, office, summary)


def _reply_and_follow_up(
    story: _Story, staff: Actor, office: Actor, summary: HistorySummary
) -> None:
    rng, case = story.rng, story.case
    due = case.reply_due_at
    assert due is not None  # a signed case has a reply deadline
    on_time = rng.random() < story.quality
    target = (
        story.at + (due - story.at) * rng.uniform(0.2, 0.95)
        if on_time
        else due + timedelta(hours=rng.uniform(6, 120))
    )
    if not on_time and due < story.now and rng.random() < 0.5:
        story.at = max(story.at, due + timedelta(hours=1))
        story.act(Action.SUPERVISE, office, note="请抓紧办理并按时答复")
    if target >= story.now:
        return
    story.at = max(target, story.at + timedelta(minutes=30))
    satisfied_outcome = rng.random() < story.quality
    body = _reply_text(case, story.at, satisfied_outcome)
    quality = check_reply(case, body, story.at)
    if not story.act(Action.REPLY, staff, reply_body=body, reply_quality=quality):
        return
    summary.replied += 1
    if rng.random() < 0.12:
        due = follow_up_due_at(snapshot_of(case))
        if due is not None and due < story.now:  # no answer within the window
            story.at = due
            story.act(Action.AUTO_CLOSE, SYSTEM)
        return
    if story.later(2, 120) is None:
        return
    # 重办 only lately: a redone case's second round is still open.
    answers = _judgement(rng, satisfied_outcome, allow_redo=story.now - story.at < _REDO_WINDOW)
    rating = {Satisfaction.SATISFIED: 5, Satisfaction.BASIC: 4, Satisfaction.DISSATISFIED: 2}
    score = rating[answers.satisfaction] - (rng.random() < 0.3)
    if not story.act(Action.FOLLOW_UP, RESIDENT, follow_up=answers, follow_up_rating=score):
        return
    summary.followed_up += 1
    if answers.satisfaction is Satisfaction.DISSATISFIED and story.later(4, 30) is not None:
        if answers.wants_redo and story.act(Action.REOPEN, office, note="市民申请重办，请重新办理"):
            summary.reopened += 1
        else:
            story.act(Action.CLOSE, office, note="已核实答复情况，予以办结")


def _judgement(rng: random.Random, satisfied_outcome: bool, *, allow_redo: bool) -> FollowUp:
    roll = rng.random()
    if satisfied_outcome:
        level = Satisfaction.SATISFIED if roll < 0.75 else Satisfaction.BASIC
    else:
        level = Satisfaction.BASIC if roll < 0.35 else Satisfaction.DISSATISFIED
    return FollowUp(
        contacted=rng.random() < 0.92,
        resolved=satisfied_outcome or (level is Satisfaction.BASIC and rng.random() < 0.5),
        satisfaction=level,
        wants_redo=allow_redo and level is Satisfaction.DISSATISFIED and rng.random() < 0.6,
        comment=rng.choice(_COMMENTS[level]),
    )


def history_start(now: datetime) -> date:
    """The first day of the first demo period: the first of the month ``HISTORY_MONTHS`` back."""
    today = now.astimezone(SHANGHAI).date()
    months = today.year * 12 + today.month - 1 - HISTORY_MONTHS
    return date(months // 12, months % 12 + 1, 1)


def _backdate(cases: list[Submission], now: datetime, rng: random.Random) -> None:
    """Spread the cases over the history, in id order; 不确定 ones are the newest."""
    dated = [c for c in cases if c.department_id is not None]
    # Cases start three weeks before the first period, so its follow-ups are a full month's.
    start = datetime.combine(history_start(now), datetime.min.time(), tzinfo=SHANGHAI)
    start -= _LEAD_IN
    span = (now - start).total_seconds()
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in dated)
    for case, moment in zip(dated, moments, strict=True):
        # Residents write in waking hours: keep the day, draw the hour in 08:00-22:00 local time.
        day = moment.astimezone(SHANGHAI).date()
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)
        moment = min(midnight + timedelta(hours=rng.uniform(8, 22)), now - timedelta(minutes=5))
        case.created_at = moment
        for event in case.events[:1]:
            event.created_at = moment
        start_case(case, moment)
    for case in cases:
        if case.department_id is None:
            case.created_at = now - timedelta(hours=rng.uniform(1, 48))
            for event in case.events[:1]:
                event.created_at = case.created_at
    db.session.flush()


def _import_other_dimensions(period: Period, rng: random.Random) -> None:
    """目标考核 and 领导考评 scores for every department, through the office's import path."""
    codes = db.session.scalars(select(Department.code).order_by(Department.code)).all()
    lines = ["department,dimension,score"]
    for code in codes:
        lines.append(f"{code},goals,{rng.uniform(78, 98):.1f}")
        lines.append(f"{code},leadership,{rng.uniform(80, 97):.1f}")
    result = preview(period, "demo.csv", "\n".join(lines).encode())
    if result.ok:
        apply(period, result, _ACTOR_NAME)


def publish_demo_periods(now: datetime | None = None) -> int:
    """Monthly periods over the history: computed, the ended ones published; how many were.

    Run after the demo cases are analysed, so the text indicators have their sentiment.
    Flushes, does not commit.
    """
    now = now or utcnow()
    rng = random.Random(_SEED)  # noqa: S311 (demo data, not security)
    published = 0
    today = now.astimezone(SHANGHAI).date()
    first = month = history_start(now)
    while month <= today:
        ensure_periods(month)
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    months = db.session.scalars(
        select(Period)
        .where(Period.kind == "month", Period.starts_on >= first)
        .order_by(Period.starts_on)
    ).all()
    ended = [p for p in months if p.ends_on <= today]
    for period in months:
        if period.status == PeriodStatus.PUBLISHED:
            continue
        if ended and period is ended[-1]:
            seed_demo_survey(period, _ACTOR_NAME)  # one past 社会评价 campaign with results
        settings = dict(period.settings or {})
        if settings and settings.get("min_n") != DEMO_MIN_N:
            update_settings(period, {**settings, "min_n": DEMO_MIN_N}, _ACTOR_NAME)
        _import_other_dimensions(period, rng)
        compute(period, _ACTOR_NAME)
        if period.ends_on <= today:
            publish(period, _ACTOR_NAME)
            published += 1
    return published


def build_demo_casework(now: datetime | None = None, seed: int = _SEED) -> HistorySummary:
    """Give the seeded demo submissions six months of casework; flushes, does not commit.

    Idempotent in effect: it only touches demo submissions still in 受理 with no event
    beyond the first, so a second seed run adds nothing.
    """
    now = now or utcnow()
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    cases = [
        case
        for case in db.session.scalars(
            select(Submission)
            .where(
                Submission.channel == Channel.SEED.value,
                Submission.status == CaseStatus.RECEIVED.value,
            )
            .order_by(Submission.id)
        )
        if len(case.events) == 1
    ]
    summary = HistorySummary(cases=len(cases))
    if not cases:
        return summary
    _backdate(cases, now, rng)
    codes = list(db.session.scalars(select(Department.code).order_by(Department.code)))
    # How well each department works (on-time replies, problems solved), fixed per seed.
    quality = {code: rng.uniform(0.55, 0.97) for code in codes}
    for case in cases:
        if case.kind == "rating" or case.department is None:
            continue
        story = _Story(case, now, rng, quality[case.department.code])
        _walk(story, codes, summary)
    db.session.flush()
    return summary


# Keywords of the city's usual 整改 subjects; the ones that match demo cases become tasks.
_TASK_KEYWORDS: Final = ("噪音", "停车", "拖欠", "垃圾", "物业", "油烟")
_TASK_AGE_DAYS: Final = 75


def open_demo_rectification(office: User, now: datetime | None = None) -> int:
    """A few 整改 tasks opened in the past on topics the demo cases share; how many opened.

    Opened through the office's own service (validation, audit); their dates and progress
    reports are then set in the past, as a history needs. Flushes, does not commit.
    """
    now = now or utcnow()
    if db.session.scalar(select(RectificationTask.id).limit(1)) is not None:
        return 0
    opened = 0
    for index, keyword in enumerate(_TASK_KEYWORDS):
        department = suggest_department("keyword", keyword)
        if department is None:
            continue
        start = now - timedelta(days=_TASK_AGE_DAYS - 10 * index)
        day = start.astimezone(SHANGHAI).date()
        try:
            task = open_task(
                office,
                department,
                f"{keyword}问题专项整改",
                f"集中解决市民反映的{keyword}问题，整改后同类诉求下降三成以上",
                "keyword",
                keyword,
                day + timedelta(days=60),
                today=day,
            )
        except RectificationError:
            continue
        task.created_at = start
        # Dated milestones with progress in per cent (services.rectification.milestones).
        reports = [
            (20, 30, "已完成问题点位排查，建立整改台账。"),
            (45, 70, "已完成七成点位整改，正在开展复查。"),
        ]
        task.progress = [
            {
                "at": (start + timedelta(days=d)).isoformat(),
                "by": _ACTOR_NAME,
                "text": text,
                "percent": percent,
                "kind": "milestone",
            }
            for d, percent, text in reports
            if start + timedelta(days=d) < now
        ]
        if task.progress:
            task.status = "reported"
        if index == 0 and start + timedelta(days=60) < now:
            closed = start + timedelta(days=60)
            task.progress = [
                *task.progress,
                {
                    "at": closed.isoformat(),
                    "by": _ACTOR_NAME,
                    "text": "整改完成，予以办结。",
                    "kind": "close",
                },
            ]
            task.status, task.closed_at = "closed", closed
        opened += 1
    db.session.flush()
    return opened


_DEMO_ACCOUNTS: Final = (
    ("demo-office", Role.OFFICE, None),
    ("demo-sysadmin", Role.SYSTEM_ADMIN, None),
    ("demo-cgzf-admin", Role.DEPARTMENT_ADMIN, "cgzf"),
    ("demo-cgzf-staff", Role.DEPARTMENT_STAFF, "cgzf"),
)


def create_demo_accounts() -> list[tuple[str, str, Role, str | None]]:
    """One staff account per role (and a department admin), with random passwords.

    For the embedded default only: returns (username, password, role, department) of the
    accounts it made, so the caller can show the passwords once; existing accounts are kept.
    """
    made = []
    for username, role, department in _DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        create_user(username, password, role.value, department)
        made.append((username, password, role, department))
    return made
