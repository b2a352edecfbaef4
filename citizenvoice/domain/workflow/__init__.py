"""Who may do what to a case, and what it does: the one home of the workflow rules.

The flow (12345 practice)::

    受理 received --签收--> signed --办理--> in_progress --答复--> replied --回访--> closed
                                                                 `--(不满意)--> followed_up
    followed_up --重办--> in_progress (new reply round)     followed_up --办结--> closed
    replied --(no follow-up within the window, system)--> closed as "no response"
    received/signed --退单 (department admin, reason)--> returned --分派 (office)--> received

转办 and 延期 are requests, not statuses: the department admin asks, the case keeps its status
and the department keeps working (its clock runs) until the office approves or rejects.
An approved 转办 hands the case to the new department as a fresh 受理 with a new sign clock; an
approved 延期 moves the reply deadline (see :mod:`citizenvoice.domain.timelimits`). 督办 is a
counter the office raises on an overdue case. A satisfied or basically satisfied follow-up
closes the case at once; a dissatisfied one waits (已回访) for the office to 重办 or 办结.

Roles: department staff sign, record progress and reply; the department admin also returns
cases and asks for transfers and extensions (requests that go to the office carry the
department's authority); the office routes, decides requests, marks cases complex or urgent,
supervises, reopens and closes; residents give the follow-up; the system (jobs) routes new
cases, marks urgency and closes unanswered follow-ups. The system administrator manages
accounts and configuration and takes no part in cases, so every case action has an
accountable business owner.

:func:`new_case` gives the snapshot of a new case; :func:`apply` checks and performs one
action; :func:`allowed_actions` lists the buttons to show. Both use the same checks
(:data:`RULES` plus per-action guards, :func:`check`), so a button is shown exactly when
pressing it would succeed (given valid input such as a reason). Timeline notes name
departments by the code passed in; the page renders names.

Modules: ``model`` (actors, actions, events), ``rules`` (permission table and guards),
``transitions`` (what each action does).
"""

from citizenvoice.domain.workflow.model import (
    INTERNAL_ACTIONS,
    MAX_NOTE_LENGTH,
    NOTE_REQUIRED,
    Action,
    Actor,
    ActorRole,
    FollowUp,
    TimelineEvent,
    Transition,
    WorkflowError,
    is_public_action,
)
from citizenvoice.domain.workflow.rules import RULES, Rule, allowed_actions, check
from citizenvoice.domain.workflow.transitions import apply, new_case

__all__ = [
    "INTERNAL_ACTIONS",
    "MAX_NOTE_LENGTH",
    "NOTE_REQUIRED",
    "RULES",
    "Action",
    "Actor",
    "ActorRole",
    "FollowUp",
    "Rule",
    "TimelineEvent",
    "Transition",
    "WorkflowError",
    "allowed_actions",
    "apply",
    "check",
    "is_public_action",
    "new_case",
]
