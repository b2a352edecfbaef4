"""The case workflow: every action x status x role, and the timed paths through it."""

import re
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizenvoice.domain.accounts import Role
from citizenvoice.domain.cases import (
    CaseSnapshot,
    CaseStatus,
    ClosureKind,
    PendingKind,
    PendingRequest,
    Satisfaction,
)
from citizenvoice.domain.timelimits import Clock, WorkflowSettings, due_at, is_overdue
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.domain.workflow import (
    MAX_NOTE_LENGTH,
    RULES,
    Action,
    Actor,
    ActorRole,
    FollowUp,
    WorkflowError,
    allowed_actions,
    apply,
    check,
    is_public_action,
    new_case,
)

S = CaseStatus
R = ActorRole
A = Action
HOME, OTHER = "city-water", "city-roads"
CJK = re.compile("[\u4e00-\u9fff]")


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def actor(role: ActorRole, department: str = HOME) -> Actor:
    return Actor(role, department if role.is_department else None)


STAFF, ADMIN = actor(R.DEPARTMENT_STAFF), actor(R.DEPARTMENT_ADMIN)
OFFICE, RESIDENT, SYSTEM = actor(R.OFFICE), actor(R.RESIDENT), actor(R.SYSTEM)
SATISFIED = FollowUp(contacted=True, resolved=True, satisfaction=Satisfaction.SATISFIED)
DISSATISFIED = FollowUp(contacted=True, resolved=False, satisfaction=Satisfaction.DISSATISFIED)

# A week without holidays: assigned Monday 9 March 2026 10:00.
ASSIGNED = at(3, 9, 10)
SIGN_DUE = at(3, 10, 17)
SIGNED_AT = at(3, 9, 11)
REPLY_DUE = at(3, 18, 17)
REPLIED_AT = at(3, 12, 10)
NOW = at(3, 9, 14)  # every clock still running
LATE = at(3, 30, 10)  # every clock has run out (sign, reply and the 7-day follow-up window)


def case_in(status: CaseStatus, **changes) -> CaseSnapshot:
    """A plausible case in ``status`` at department HOME."""
    fields: dict = {
        "status": status,
        "department": HOME,
        "assigned_at": ASSIGNED,
        "sign_due_at": SIGN_DUE,
    }
    if status in (S.SIGNED, S.IN_PROGRESS, S.REPLIED, S.FOLLOWED_UP, S.CLOSED):
        fields |= {"signed_at": SIGNED_AT, "reply_started_at": SIGNED_AT, "reply_due_at": REPLY_DUE}
    if status in (S.REPLIED, S.FOLLOWED_UP, S.CLOSED):
        fields["replied_at"] = REPLIED_AT
    if status is S.CLOSED:
        fields |= {"closed_at": at(3, 13, 9), "closure": ClosureKind.FOLLOWED_UP}
    return CaseSnapshot(**(fields | changes))


# -- the matrix -----------------------------------------------------------------------------

DEPT = (R.DEPARTMENT_STAFF, R.DEPARTMENT_ADMIN)
WORKING = frozenset({S.SIGNED, S.IN_PROGRESS})
OPEN = frozenset({S.RECEIVED, S.SIGNED, S.IN_PROGRESS})

# Written out independently of workflow.RULES: action -> {role: statuses where it is allowed}.
EXPECTED: dict[Action, dict[ActorRole, AbstractSet[CaseStatus]]] = {
    A.ASSIGN: {R.OFFICE: {S.RECEIVED, S.RETURNED}, R.SYSTEM: {S.RECEIVED}},
    A.SIGN: dict.fromkeys(DEPT, frozenset({S.RECEIVED})),
    A.ADD_NOTE: dict.fromkeys(DEPT, WORKING),
    A.REPLY: dict.fromkeys(DEPT, WORKING),
    A.RETURN: {R.DEPARTMENT_ADMIN: {S.RECEIVED, S.SIGNED}},
    A.REQUEST_TRANSFER: {R.DEPARTMENT_ADMIN: WORKING},
    A.APPROVE_TRANSFER: {R.OFFICE: WORKING},
    A.REJECT_TRANSFER: {R.OFFICE: WORKING},
    A.REQUEST_EXTENSION: {R.DEPARTMENT_ADMIN: WORKING},
    A.APPROVE_EXTENSION: {R.OFFICE: WORKING},
    A.REJECT_EXTENSION: {R.OFFICE: WORKING},
    A.MARK_COMPLEX: {R.OFFICE: OPEN},
    A.MARK_URGENT: {R.OFFICE: OPEN, R.SYSTEM: OPEN},
    A.SUPERVISE: {R.OFFICE: OPEN},
    A.FOLLOW_UP: {R.RESIDENT: {S.REPLIED}},
    A.REOPEN: {R.OFFICE: {S.FOLLOWED_UP}},
    A.CLOSE: {R.OFFICE: {S.FOLLOWED_UP}},
    A.AUTO_CLOSE: {R.SYSTEM: {S.REPLIED}},
}

# Where an allowed action leaves the case (None: the status does not change).
TARGET: dict[Action, CaseStatus | None] = {
    A.ASSIGN: S.RECEIVED,
    A.SIGN: S.SIGNED,
    A.ADD_NOTE: S.IN_PROGRESS,
    A.REPLY: S.REPLIED,
    A.RETURN: S.RETURNED,
    A.APPROVE_TRANSFER: S.RECEIVED,
    A.FOLLOW_UP: S.CLOSED,  # satisfied
    A.REOPEN: S.IN_PROGRESS,
    A.CLOSE: S.CLOSED,
    A.AUTO_CLOSE: S.CLOSED,
}


def setup_for(action: Action, status: CaseStatus) -> tuple[CaseSnapshot, datetime]:
    """A case in ``status`` meeting ``action``'s own preconditions, and when to act."""
    case = case_in(status)
    when = NOW
    if action is A.ASSIGN and status is S.RECEIVED:
        case = replace(case, department=None, assigned_at=None, sign_due_at=None)
    if action in (A.APPROVE_TRANSFER, A.REJECT_TRANSFER):
        case = replace(
            case, pending=PendingRequest(PendingKind.TRANSFER, NOW, "不属本部门职责", OTHER)
        )
    if action in (A.APPROVE_EXTENSION, A.REJECT_EXTENSION):
        case = replace(case, pending=PendingRequest(PendingKind.EXTENSION, NOW, "需现场勘查"))
    if action in (A.SUPERVISE, A.AUTO_CLOSE):
        when = LATE
    return case, when


MATRIX = [
    (action, status, role) for action in Action for status in CaseStatus for role in ActorRole
]


@pytest.mark.parametrize(("action", "status", "role"), MATRIX, ids=lambda v: str(v))
def test_every_action_in_every_status_for_every_role(action, status, role):
    case, when = setup_for(action, status)
    who = actor(role)
    expected = status in EXPECTED[action].get(role, set())
    assert (action in allowed_actions(case, who, when)) is expected
    if expected:
        transition = apply(
            case, action, who, when, note="已核实情况", department=OTHER, follow_up=SATISFIED
        )
        assert transition.before == case
        assert transition.after.status is (TARGET.get(action) or status)
        assert transition.events and all(e.at == when for e in transition.events)
        assert transition.events[0].actor == who and transition.events[0].action is action
        assert all(CJK.search(e.note) for e in transition.events)
    else:
        with pytest.raises(WorkflowError) as refused:
            apply(case, action, who, when, note="已核实情况", department=OTHER, follow_up=SATISFIED)
        assert CJK.search(refused.value.message)
        assert refused.value.action is action


def test_the_matrix_covers_every_action_and_the_rules_table_agrees_with_it():
    assert set(EXPECTED) == set(Action) == set(RULES)
    for action, rule in RULES.items():
        assert {role for role, statuses in EXPECTED[action].items() if statuses} == rule.roles


@pytest.mark.parametrize(
    ("action", "role"),
    [(a, role) for a, rule in RULES.items() if rule.own_department for role in EXPECTED[a]],
)
def test_departments_act_only_on_their_own_cases(action, role):
    status = next(iter(EXPECTED[action][role]))
    case, when = setup_for(action, status)
    stranger = actor(role, OTHER)
    assert action not in allowed_actions(case, stranger, when)
    with pytest.raises(WorkflowError, match="只能处理本部门的诉求"):
        apply(case, action, stranger, when, note="理由", department="third")


def test_an_unrouted_case_cannot_be_signed_by_anyone():
    case = case_in(S.RECEIVED, department=None, assigned_at=None, sign_due_at=None)
    assert allowed_actions(case, STAFF, NOW) == []
    assert allowed_actions(case, OFFICE, NOW) == [A.ASSIGN, A.MARK_COMPLEX, A.MARK_URGENT]


@pytest.mark.parametrize(
    ("case", "who", "action", "message"),
    [
        (case_in(S.RECEIVED), RESIDENT, A.SIGN, "市民无权签收"),
        (case_in(S.RECEIVED), actor(R.SYSTEM_ADMIN), A.ASSIGN, "系统管理员无权分派"),
        (case_in(S.RECEIVED), STAFF, A.RETURN, "部门工作人员无权退单"),
        (case_in(S.REPLIED), STAFF, A.REPLY, "诉求当前状态为「已答复」，不能答复"),
        (case_in(S.CLOSED), RESIDENT, A.FOLLOW_UP, "诉求当前状态为「已办结」，不能回访"),
        (case_in(S.SIGNED), OFFICE, A.APPROVE_TRANSFER, "该诉求没有待审批的转办申请"),
        (case_in(S.SIGNED), OFFICE, A.SUPERVISE, "只有超期的诉求才能督办"),
        (case_in(S.REPLIED), SYSTEM, A.AUTO_CLOSE, "回访期限未到，不能自动办结"),
        (case_in(S.RETURNED), SYSTEM, A.ASSIGN, "系统只能分派尚未分派的诉求"),
        (case_in(S.SIGNED, complex=True), OFFICE, A.MARK_COMPLEX, "该诉求已是复杂件"),
    ],
)
def test_refusals_say_why_in_chinese(case, who, action, message):
    with pytest.raises(WorkflowError, match=re.escape(message)):
        check(case, action, who, NOW)


# -- input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "who", "action"),
    [
        (S.SIGNED, STAFF, A.ADD_NOTE),
        (S.RECEIVED, ADMIN, A.RETURN),
        (S.SIGNED, ADMIN, A.REQUEST_TRANSFER),
        (S.SIGNED, ADMIN, A.REQUEST_EXTENSION),
        (S.FOLLOWED_UP, OFFICE, A.CLOSE),
    ],
)
def test_reasons_are_required_and_bounded(status, who, action):
    case = case_in(status)
    for blank in ("", "   \n"):
        with pytest.raises(WorkflowError, match="须填写理由或说明"):
            apply(case, action, who, NOW, note=blank, department=OTHER)
    with pytest.raises(WorkflowError, match=f"不能超过{MAX_NOTE_LENGTH}字"):
        apply(case, action, who, NOW, note="长" * (MAX_NOTE_LENGTH + 1), department=OTHER)
    assert apply(case, action, who, NOW, note="长" * MAX_NOTE_LENGTH, department=OTHER)


def test_assignment_and_transfer_need_another_department():
    with pytest.raises(WorkflowError, match="请选择部门"):
        apply(case_in(S.RETURNED), A.ASSIGN, OFFICE, NOW, department="  ")
    with pytest.raises(WorkflowError, match="诉求已在该部门"):
        apply(case_in(S.RECEIVED), A.ASSIGN, OFFICE, NOW, department=HOME)
    with pytest.raises(WorkflowError, match="诉求已在该部门"):
        apply(case_in(S.SIGNED), A.REQUEST_TRANSFER, ADMIN, NOW, note="理由", department=HOME)
    # Sending a returned case back to the same department rejects the 退单.
    back = apply(case_in(S.RETURNED), A.ASSIGN, OFFICE, NOW, department=HOME)
    assert back.after.status is S.RECEIVED and back.after.department == HOME


def test_follow_up_needs_answers_and_redo_only_when_dissatisfied():
    with pytest.raises(WorkflowError, match="请填写回访结果"):
        apply(case_in(S.REPLIED), A.FOLLOW_UP, RESIDENT, NOW)
    with pytest.raises(WorkflowError, match="只有不满意时才能申请重办"):
        FollowUp(contacted=True, resolved=True, satisfaction=Satisfaction.BASIC, wants_redo=True)
    with pytest.raises(WorkflowError, match="评价意见不能超过"):
        FollowUp(True, False, Satisfaction.DISSATISFIED, comment="长" * (MAX_NOTE_LENGTH + 1))


def test_actors_and_times_are_validated():
    with pytest.raises(ValueError):
        Actor(R.DEPARTMENT_STAFF)
    with pytest.raises(ValueError):
        Actor(R.OFFICE, HOME)
    assert Actor.staff(Role.OFFICE, HOME) == Actor(R.OFFICE)
    assert Actor.staff(Role.DEPARTMENT_ADMIN, HOME) == ADMIN
    with pytest.raises(ValueError, match="aware"):
        apply(case_in(S.RECEIVED), A.SIGN, STAFF, datetime(2026, 3, 9, 14))


def test_every_action_and_role_has_a_chinese_label():
    assert all(CJK.search(a.label) for a in Action)
    assert all(CJK.search(r.label) for r in ActorRole)
    assert all(CJK.search(s.label) for s in CaseStatus)


def test_a_new_case_starts_the_sign_clock_only_when_it_has_a_department():
    chosen = new_case(at(4, 3, 16), HOME)
    assert (chosen.status, chosen.department, chosen.assigned_at) == (
        S.RECEIVED,
        HOME,
        at(4, 3, 16),
    )
    assert chosen.sign_due_at == at(4, 7, 17)
    assert new_case(at(4, 3, 16), HOME, urgent=True).sign_due_at == at(4, 7, 10)
    unrouted = new_case(at(4, 3, 16), complex_case=True)
    assert (unrouted.department, unrouted.sign_due_at, unrouted.complex) == (None, None, True)
    assert allowed_actions(unrouted, SYSTEM, at(4, 3, 16)) == [A.ASSIGN, A.MARK_URGENT]


# -- timed paths ----------------------------------------------------------------------------


def test_the_plain_path_from_assignment_to_a_satisfied_close():
    new = CaseSnapshot()
    # Routed on Friday 3 April 16:00, before 清明 (Sat 4 - Mon 6): sign by Tuesday 17:00.
    routed = apply(new, A.ASSIGN, SYSTEM, at(4, 3, 16), department=HOME).after
    assert routed.sign_due_at == at(4, 7, 17)
    assert not is_overdue(routed, at(4, 7, 17)) and is_overdue(routed, at(4, 7, 17, 1))
    signed = apply(routed, A.SIGN, STAFF, at(4, 7, 9, 30)).after
    # Seven working days after Tuesday 7 April: 8, 9, 10, 13, 14, 15, 16.
    assert (signed.reply_started_at, signed.reply_due_at) == (at(4, 7, 9, 30), at(4, 16, 17))
    assert due_at(signed) == signed.reply_due_at
    working = apply(signed, A.ADD_NOTE, STAFF, at(4, 8, 10), note="已联系市民，现场查看").after
    assert working.status is S.IN_PROGRESS
    replied = apply(working, A.REPLY, STAFF, at(4, 14, 15)).after
    assert replied.replied_at == at(4, 14, 15) and due_at(replied) is None
    done = apply(replied, A.FOLLOW_UP, RESIDENT, at(4, 15, 20), follow_up=SATISFIED)
    assert done.after.status is S.CLOSED and done.after.closure is ClosureKind.FOLLOWED_UP
    assert [(e.action, e.status) for e in done.events] == [
        (A.FOLLOW_UP, S.FOLLOWED_UP),
        (A.CLOSE, S.CLOSED),
    ]
    assert "满意度：满意" in done.events[0].note
    # Once only: a second follow-up is refused.
    with pytest.raises(WorkflowError, match="不能回访"):
        apply(done.after, A.FOLLOW_UP, RESIDENT, at(4, 16, 9), follow_up=SATISFIED)


def test_a_make_up_saturday_counts_as_a_working_day():
    routed = apply(CaseSnapshot(), A.ASSIGN, OFFICE, at(2, 13, 10), department=HOME).after
    assert routed.sign_due_at == at(2, 14, 17)  # Saturday 14 February is a working day
    assert is_overdue(routed, at(2, 14, 17, 1))
    signed = apply(routed, A.SIGN, STAFF, at(2, 14, 16)).after
    # After the Spring Festival: 24, 25, 26, 27 Feb, Saturday 28 Feb (调休), 2 and 3 March.
    assert signed.reply_due_at == at(3, 3, 17)


def test_urgent_cases_have_two_working_hours_to_be_signed():
    urgent = CaseSnapshot(urgent=True)
    # Friday 16:00: one hour on Friday, one on Monday.
    assert apply(urgent, A.ASSIGN, SYSTEM, at(3, 13, 16), department=HOME).after.sign_due_at == at(
        3, 16, 10
    )
    # Late at night: the clock starts at 9:00 the next working day.
    assert apply(urgent, A.ASSIGN, SYSTEM, at(3, 17, 23), department=HOME).after.sign_due_at == at(
        3, 18, 11
    )
    # Over lunch (no lunch break by default).
    assert apply(
        urgent, A.ASSIGN, SYSTEM, at(3, 17, 11, 30), department=HOME
    ).after.sign_due_at == at(3, 17, 13, 30)
    # A deployment with a 24-hour duty desk counts clock hours.
    around_the_clock = WorkflowSettings(urgent_clock=Clock.CALENDAR)
    routed = apply(urgent, A.ASSIGN, SYSTEM, at(3, 13, 16), around_the_clock, department=HOME)
    assert routed.after.sign_due_at == at(3, 13, 18)


def test_urgency_found_later_tightens_the_sign_deadline_from_that_moment():
    routed = apply(CaseSnapshot(), A.ASSIGN, SYSTEM, at(3, 9, 10), department=HOME).after
    assert routed.sign_due_at == at(3, 10, 17)
    marked = apply(routed, A.MARK_URGENT, SYSTEM, at(3, 9, 10, 5)).after
    assert marked.urgent and marked.sign_due_at == at(3, 9, 12, 5)
    # Marked late on the last day: the earlier normal deadline stays.
    late = apply(routed, A.MARK_URGENT, OFFICE, at(3, 10, 16)).after
    assert late.sign_due_at == at(3, 10, 17)
    # Once signed, urgency no longer moves the sign deadline.
    signed = apply(routed, A.SIGN, STAFF, at(3, 9, 11)).after
    assert (
        apply(signed, A.MARK_URGENT, OFFICE, at(3, 9, 12)).after.sign_due_at == signed.sign_due_at
    )


def test_complex_cases_get_fifteen_working_days():
    routed = apply(
        CaseSnapshot(complex=True), A.ASSIGN, OFFICE, at(3, 9, 10), department=HOME
    ).after
    signed = apply(routed, A.SIGN, STAFF, at(3, 9, 11)).after
    # 15 working days after Monday 9 March: 10-13, 16-20, 23-27, 30 March.
    assert signed.reply_due_at == at(3, 30, 17)
    # Marked complex after signing: 15 days from the start of the reply round.
    plain = apply(CaseSnapshot(), A.ASSIGN, OFFICE, at(3, 9, 10), department=HOME).after
    signed = apply(plain, A.SIGN, STAFF, at(3, 9, 11)).after
    assert signed.reply_due_at == at(3, 18, 17)
    marked = apply(signed, A.MARK_COMPLEX, OFFICE, at(3, 12, 9))
    assert marked.after.complex and marked.after.reply_due_at == at(3, 30, 17)
    assert "2026-03-30 17:00" in marked.events[0].note
    # Never shortens a deadline an extension already moved further.
    extended = replace(signed, reply_due_at=at(4, 2, 17), extensions_used=1)
    assert apply(extended, A.MARK_COMPLEX, OFFICE, at(3, 12, 9)).after.reply_due_at == at(4, 2, 17)


def test_an_extension_adds_five_working_days_once_from_the_current_deadline():
    case = case_in(S.IN_PROGRESS)  # reply due Wednesday 18 March 17:00
    asked = apply(case, A.REQUEST_EXTENSION, ADMIN, at(3, 17, 10), note="需协调燃气公司现场勘查")
    assert asked.after.pending == PendingRequest(
        PendingKind.EXTENSION, at(3, 17, 10), "需协调燃气公司现场勘查", days=5
    )
    assert asked.after.reply_due_at == REPLY_DUE  # nothing moves before approval
    with pytest.raises(WorkflowError, match="已有待绩效办审批的延期申请"):
        apply(asked.after, A.REQUEST_TRANSFER, ADMIN, at(3, 17, 11), note="x", department=OTHER)
    # Approved after the old deadline passed: counted from the deadline, not the approval.
    approved = apply(asked.after, A.APPROVE_EXTENSION, OFFICE, at(3, 19, 9)).after
    assert approved.reply_due_at == at(3, 25, 17)
    assert (approved.extensions_used, approved.pending) == (1, None)
    assert not is_overdue(approved, at(3, 25, 17)) and is_overdue(approved, at(3, 25, 17, 1))
    with pytest.raises(WorkflowError, match="最多延期1次"):
        apply(approved, A.REQUEST_EXTENSION, ADMIN, at(3, 20, 9), note="仍需时间")
    assert A.REQUEST_EXTENSION not in allowed_actions(approved, ADMIN, at(3, 20, 9))


def test_an_extension_takes_the_working_days_asked_for_within_the_maximum():
    case = case_in(S.IN_PROGRESS)  # reply due Wednesday 18 March 17:00
    for days in (0, 6, -1):
        with pytest.raises(WorkflowError, match="延期天数须为 1 到 5 个工作日"):
            apply(case, A.REQUEST_EXTENSION, ADMIN, at(3, 17, 10), note="x", days=days)
    asked = apply(case, A.REQUEST_EXTENSION, ADMIN, at(3, 17, 10), note="等待检测报告", days=2)
    assert asked.after.pending is not None and asked.after.pending.days == 2
    assert "申请延期2个工作日" in asked.events[0].note
    approved = apply(asked.after, A.APPROVE_EXTENSION, OFFICE, at(3, 17, 11))
    assert approved.after.reply_due_at == at(3, 20, 17)  # Wednesday + 2 working days
    assert "同意延期2个工作日" in approved.events[0].note


def test_extensions_must_be_asked_in_time_and_can_be_refused():
    case = case_in(S.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="已超过答复时限"):
        apply(case, A.REQUEST_EXTENSION, ADMIN, at(3, 18, 17, 1), note="来不及了")
    asked = apply(case, A.REQUEST_EXTENSION, ADMIN, at(3, 18, 17), note="最后一刻").after
    refused = apply(
        asked, A.REJECT_EXTENSION, OFFICE, at(3, 18, 17, 30), note="事实清楚，应按期答复"
    ).after
    assert (refused.pending, refused.reply_due_at, refused.extensions_used) == (None, REPLY_DUE, 0)
    two = WorkflowSettings(max_extensions=2, extension_working_days=3)
    first = apply(asked, A.APPROVE_EXTENSION, OFFICE, at(3, 18, 18), two).after
    assert first.reply_due_at == at(3, 23, 17)
    again = apply(first, A.REQUEST_EXTENSION, ADMIN, at(3, 20, 9), two, note="再等回函").after
    assert apply(again, A.APPROVE_EXTENSION, OFFICE, at(3, 20, 10), two).after.reply_due_at == at(
        3, 26, 17
    )


def test_a_dissatisfied_follow_up_waits_for_the_office_and_reopening_starts_a_new_round():
    case = replace(case_in(S.REPLIED), extensions_used=1, reply_due_at=at(3, 25, 17))
    answered = apply(
        case,
        A.FOLLOW_UP,
        RESIDENT,
        at(3, 13, 20),
        follow_up=FollowUp(
            False, False, Satisfaction.DISSATISFIED, wants_redo=True, comment="没人来过"
        ),
    )
    waiting = answered.after
    assert waiting.status is S.FOLLOWED_UP and waiting.redo_requested
    assert "市民申请重办" in answered.events[0].note and "没人来过" in answered.events[0].note
    assert allowed_actions(waiting, OFFICE, at(3, 16, 9)) == [A.REOPEN, A.CLOSE]
    # 重办 on Monday 16 March: seven new working days, a fresh extension allowance.
    reopened = apply(waiting, A.REOPEN, OFFICE, at(3, 16, 9)).after
    assert reopened.status is S.IN_PROGRESS
    assert (reopened.reply_started_at, reopened.reply_due_at) == (at(3, 16, 9), at(3, 25, 17))
    assert (reopened.replied_at, reopened.extensions_used, reopened.reopen_count) == (None, 0, 1)
    assert not reopened.redo_requested and reopened.signed_at == SIGNED_AT
    assert A.REQUEST_EXTENSION in allowed_actions(reopened, ADMIN, at(3, 16, 10))
    second = apply(reopened, A.REPLY, STAFF, at(3, 20, 10)).after
    assert (
        apply(second, A.FOLLOW_UP, RESIDENT, at(3, 21, 10), follow_up=SATISFIED).after.status
        is S.CLOSED
    )


def test_the_office_may_close_a_dissatisfied_case_with_a_reason():
    waiting = apply(
        case_in(S.REPLIED), A.FOLLOW_UP, RESIDENT, at(3, 13, 20), follow_up=DISSATISFIED
    ).after
    assert not waiting.redo_requested
    closed = apply(waiting, A.CLOSE, OFFICE, at(3, 16, 9), note="诉求超出政策范围，已解释到位")
    assert closed.after.closure is ClosureKind.OFFICE and closed.after.closed_at == at(3, 16, 9)
    assert "理由：诉求超出政策范围" in closed.events[0].note


def test_no_follow_up_within_seven_days_closes_as_no_response():
    replied = case_in(S.REPLIED)  # replied Thursday 12 March 10:00
    assert A.AUTO_CLOSE not in allowed_actions(replied, SYSTEM, at(3, 19, 9, 59))
    closed = apply(replied, A.AUTO_CLOSE, SYSTEM, at(3, 19, 10)).after
    assert (closed.status, closed.closure) == (S.CLOSED, ClosureKind.NO_RESPONSE)
    # A follow-up that arrives after the window but before the job ran still counts.
    late = apply(replied, A.FOLLOW_UP, RESIDENT, at(3, 20, 9), follow_up=SATISFIED).after
    assert late.closure is ClosureKind.FOLLOWED_UP


def test_a_transfer_waits_for_the_office_and_then_restarts_at_the_new_department():
    case = case_in(S.IN_PROGRESS)
    asked = apply(
        case,
        A.REQUEST_TRANSFER,
        ADMIN,
        at(3, 10, 9),
        note="属道路养护，非供水问题",
        department=OTHER,
    )
    assert asked.after.pending == PendingRequest(
        PendingKind.TRANSFER, at(3, 10, 9), "属道路养护，非供水问题", OTHER
    )
    assert asked.after.status is S.IN_PROGRESS and due_at(asked.after) == REPLY_DUE  # clock runs
    assert A.ADD_NOTE in allowed_actions(asked.after, STAFF, at(3, 10, 10))
    moved = apply(asked.after, A.APPROVE_TRANSFER, OFFICE, at(3, 10, 15)).after
    assert (moved.status, moved.department, moved.pending) == (S.RECEIVED, OTHER, None)
    assert (moved.assigned_at, moved.sign_due_at) == (at(3, 10, 15), at(3, 11, 17))
    assert (moved.signed_at, moved.reply_due_at, moved.reply_started_at) == (None, None, None)
    assert allowed_actions(moved, STAFF, at(3, 10, 16)) == []
    newcomer = actor(R.DEPARTMENT_STAFF, OTHER)
    assert apply(moved, A.SIGN, newcomer, at(3, 11, 9)).after.reply_due_at == at(3, 20, 17)


def test_a_rejected_transfer_leaves_the_case_where_it_was_and_a_reply_withdraws_it():
    asked = apply(
        case_in(S.SIGNED), A.REQUEST_TRANSFER, ADMIN, NOW, note="不属本部门", department=OTHER
    ).after
    with pytest.raises(WorkflowError, match="须填写理由"):
        apply(asked, A.REJECT_TRANSFER, OFFICE, NOW)
    kept = apply(asked, A.REJECT_TRANSFER, OFFICE, NOW, note="属供水管网，应由本部门办理").after
    assert kept == case_in(S.SIGNED)
    replied = apply(asked, A.REPLY, STAFF, at(3, 10, 9))
    assert replied.after.pending is None and "转办申请随答复撤回" in replied.events[0].note


def test_a_return_goes_back_to_the_office_for_reassignment():
    returned = apply(case_in(S.SIGNED), A.RETURN, ADMIN, NOW, note="该路段不属本区管辖")
    assert returned.after.status is S.RETURNED and returned.after.department == HOME
    assert "理由：该路段不属本区管辖" in returned.events[0].note
    assert due_at(returned.after) is None and not is_overdue(returned.after, LATE)
    reassigned = apply(returned.after, A.ASSIGN, OFFICE, at(3, 10, 9), department=OTHER).after
    assert (reassigned.status, reassigned.department, reassigned.signed_at) == (
        S.RECEIVED,
        OTHER,
        None,
    )
    assert reassigned.sign_due_at == at(3, 11, 17)


def test_supervision_is_for_overdue_cases_and_counts():
    case = case_in(S.RECEIVED)  # sign due Tuesday 10 March 17:00
    assert A.SUPERVISE not in allowed_actions(case, OFFICE, at(3, 10, 17))
    once = apply(case, A.SUPERVISE, OFFICE, at(3, 10, 17, 1)).after
    twice = apply(once, A.SUPERVISE, OFFICE, at(3, 11, 9), note="请今日内签收").after
    assert (once.supervise_count, twice.supervise_count, twice.supervised) == (1, 2, True)
    assert twice.status is S.RECEIVED and twice.sign_due_at == case.sign_due_at


# -- random walks ---------------------------------------------------------------------------

ROLES = [
    STAFF,
    ADMIN,
    OFFICE,
    RESIDENT,
    SYSTEM,
    actor(R.SYSTEM_ADMIN),
    actor(R.DEPARTMENT_ADMIN, OTHER),
]
steps = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.sampled_from(ROLES),
        st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=4)),
        st.sampled_from([SATISFIED, DISSATISFIED]),
    ),
    max_size=40,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    steps=steps,
    urgent=st.booleans(),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(SHANGHAI)
    ),
)
def test_random_walks_keep_the_invariants(steps, urgent, start):
    case = CaseSnapshot(urgent=urgent)
    now = start
    for action, who, wait, answers in steps:
        now += wait
        allowed = action in allowed_actions(case, who, now)
        try:
            transition = apply(
                case,
                action,
                who,
                now,
                note="说明",
                department=OTHER if case.department == HOME else HOME,
                follow_up=answers,
            )
        except WorkflowError:
            assert not allowed
            continue
        assert allowed
        case = transition.after
        if case.assigned_at is not None:
            assert case.sign_due_at is not None and case.sign_due_at > case.assigned_at
        if case.reply_started_at is not None:
            assert case.reply_due_at is not None and case.reply_due_at > case.reply_started_at
        assert (case.status is S.CLOSED) == (case.closure is not None)
        assert case.pending is None or case.status in WORKING
        assert case.extensions_used <= 1
        # Overdue never switches off by waiting.
        if is_overdue(case, now):
            assert is_overdue(case, now + timedelta(days=30))


@pytest.mark.parametrize("action", list(Action))
def test_only_coordination_between_department_and_office_is_internal(action):
    internal = {
        "add_note",
        "return",
        "request_transfer",
        "reject_transfer",
        "request_extension",
        "approve_extension",
        "reject_extension",
        "mark_complex",
        "mark_urgent",
        "supervise",
    }
    assert is_public_action(action.value) is (action.value not in internal)


def test_the_intake_event_is_public_and_an_unknown_action_is_not():
    assert is_public_action(None) is True
    assert is_public_action("something_new") is False
