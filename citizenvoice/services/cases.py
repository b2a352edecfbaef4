"""Staff access to cases: one department-isolation helper, the inbox query, keyword search.

Every query a staff page makes for cases goes through :func:`visible_cases` or
:func:`case_for`: department staff see only their department's cases, the office sees all.
Asking for another department's case is answered as if it did not exist, and logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Text, and_, cast, func, literal, literal_column, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import REGCLASS, TSQUERY
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from citizenvoice.domain.cases import CaseStatus
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.extensions import SEARCH_INDEX, db
from citizenvoice.models import Analysis, CaseReply, Submission, User
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.bulk import is_postgresql

__all__ = [
    "CaseNotVisible",
    "InboxFilters",
    "InboxPage",
    "case_for",
    "case_replies",
    "duplicate_group_size",
    "inbox",
    "merge_search_index",
    "overdue_condition",
    "query_tokens",
    "running_due",
    "text_search_condition",
    "visible_cases",
]

log = logging.getLogger("citizenvoice.access")
PER_PAGE_DEFAULT = 30
PER_PAGE_MAX = 200
_TOKEN_OK = re.compile(r"^[\w\u4e00-\u9fff]+$")


class CaseNotVisible(LookupError):
    """The case does not exist or belongs to another department (answered as 404)."""


def visible_cases(user: User) -> Select[tuple[Submission]]:
    """All cases this user may see: their department's, or every case for the office."""
    query = select(Submission)
    if user.role_enum.is_office:
        return query
    if user.department_id is None:  # a department role without a department sees nothing
        return query.where(literal_column("1") == 0)
    return query.where(Submission.department_id == user.department_id)


def case_for(user: User, case_id: int, *, purpose: str = "view") -> Submission:
    """The case if this user may see it; otherwise log the attempt and raise CaseNotVisible."""
    case = db.session.scalar(
        visible_cases(user)
        .where(Submission.id == case_id)
        .options(selectinload(Submission.events), selectinload(Submission.department))
    )
    if case is None:
        exists_elsewhere = db.session.get(Submission, case_id) is not None
        if exists_elsewhere:
            log.warning(
                "denied: user=%s department=%s case=%s purpose=%s",
                user.username,
                user.department_id,
                case_id,
                purpose,
            )
            record(user.username, "access_denied", "submission", case_id, {"purpose": purpose})
        raise CaseNotVisible(case_id)
    return case


def case_replies(case_id: int) -> list[CaseReply]:
    """The replies of a case, oldest first (call only after case_for allowed the case)."""
    return list(
        db.session.scalars(
            select(CaseReply).where(CaseReply.submission_id == case_id).order_by(CaseReply.id)
        )
    )


def duplicate_group_size(user: User, group: str) -> int:
    """How many cases this user may see in a near-duplicate group (the case itself included)."""
    query = (
        visible_cases(user)
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(Analysis.duplicate_group == group)
    )
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    from nlp import Segmenter

    return Segmenter()


def query_tokens(text: str) -> list[str]:
    """Segment a search query the way case texts are segmented; keep only searchable tokens."""
    tokens = [t for t in _segmenter().content_tokens(text.strip()) if _TOKEN_OK.match(t)]
    return list(dict.fromkeys(tokens))[:10]


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to (every field optional)."""

    status: str | None = None
    kind: str | None = None
    category: str | None = None
    sentiment: str | None = None
    urgent: bool | None = None
    duplicate_group: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    overdue: bool | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox."""

    items: list[Submission]
    total: int
    page: int
    pages: int
    tokens: list[str]


def running_due() -> Any:
    """SQL for the deadline running now (the SQL twin of domain.timelimits.due_at)."""
    return sql_case(
        (
            and_(
                Submission.status == CaseStatus.RECEIVED.value,
                Submission.department_id.is_not(None),
            ),
            Submission.sign_due_at,
        ),
        (
            Submission.status.in_([CaseStatus.SIGNED.value, CaseStatus.IN_PROGRESS.value]),
            Submission.reply_due_at,
        ),
        else_=None,
    )


def overdue_condition(now: datetime) -> Any:
    """SQL: the running deadline has passed at ``now``.

    The same cases as ``running_due() < now`` (never NULL, so its negation is exact), written
    branch by branch so PostgreSQL can answer from the status and (status, reply_due_at)
    indexes instead of evaluating the CASE on every row.
    """
    return or_(
        and_(
            Submission.status == CaseStatus.RECEIVED.value,
            Submission.department_id.is_not(None),
            Submission.sign_due_at.is_not(None),
            Submission.sign_due_at < now,
        ),
        and_(
            Submission.status.in_([CaseStatus.SIGNED.value, CaseStatus.IN_PROGRESS.value]),
            Submission.reply_due_at.is_not(None),
            Submission.reply_due_at < now,
        ),
    )


def _tsquery_lexeme(token: str) -> str:
    """A token as a quoted tsquery lexeme: lower-cased, quotes doubled, backslashes escaped."""
    escaped = token.lower().replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


def _token_alternatives(token: str) -> list[list[str]]:
    """A query token matches as itself, or as all of its search-mode parts.

    Analyses index words and their parts (Segmenter.search_terms), so 垃圾 finds 垃圾清运; a
    query jieba keeps whole (垃圾清运) must also find a message where it was cut in two. Only
    parts that cover every character of the token stand for it: 垃圾 alone is not 垃圾桶.
    """
    parts = _segmenter().search_parts(token)
    covered: set[int] = set()
    for part in parts:
        start = token.find(part)
        while start != -1:
            covered.update(range(start, start + len(part)))
            start = token.find(part, start + 1)
    return [[token], parts] if parts and len(covered) == len(token) else [[token]]


def _search_condition(tokens: list[str]) -> Any:
    if db.engine.dialect.name == "postgresql":
        # The search vector holds the stored terms as they are, lower-cased (migration 0010):
        # the query is made of whole lexemes too, quoted so PostgreSQL does not parse them.
        groups = []
        for token in tokens:
            options = [
                " & ".join(_tsquery_lexeme(term) for term in option)
                for option in _token_alternatives(token)
            ]
            groups.append("(" + " | ".join(f"({option})" for option in options) + ")")
        tsquery = cast(literal(" & ".join(groups), Text()), TSQUERY)
        return literal_column("analysis.search_vector").op("@@")(tsquery)
    return and_(
        *[
            or_(
                *[
                    and_(*[Analysis.search_tokens.contains(f" {term} ") for term in option])
                    for option in _token_alternatives(token)
                ]
            )
            for token in tokens
        ]
    )


def merge_search_index() -> int:
    """Merge the search index's pending list into the index; the pages merged (0 on SQLite).

    New analyses only append their lexemes to the GIN index's pending list (migration 0011),
    so analysis batches never wait for a merge; this is where the merge happens instead, on a
    schedule, besides autovacuum. A search reads the unmerged list row by row, so merging
    keeps searches fast.
    """
    if not is_postgresql():
        return 0
    merged = db.session.execute(
        select(func.gin_clean_pending_list(cast(literal(SEARCH_INDEX), REGCLASS)))
    ).scalar_one()
    return int(merged)


def inbox(user: User, filters: InboxFilters, max_per_page: int = PER_PAGE_MAX) -> InboxPage:
    """The user's visible cases, filtered, searched, sorted and paginated."""
    query = visible_cases(user).outerjoin(Analysis, Analysis.submission_id == Submission.id)
    if filters.status:
        query = query.where(Submission.status == filters.status)
    if filters.kind:
        query = query.where(Submission.kind == filters.kind)
    if filters.category:
        query = query.where(Analysis.category == filters.category)
    if filters.sentiment:
        query = query.where(Analysis.sentiment_label == filters.sentiment)
    if filters.urgent is True:
        query = query.where(Analysis.urgent.is_(True))
    elif filters.urgent is False:
        query = query.where(or_(Analysis.urgent.is_(False), Analysis.id.is_(None)))
    if filters.duplicate_group:
        query = query.where(Analysis.duplicate_group == filters.duplicate_group)
    if filters.date_from:
        query = query.where(Submission.created_at >= local_midnight(filters.date_from))
    if filters.date_to:
        query = query.where(
            Submission.created_at < local_midnight(filters.date_to + timedelta(days=1))
        )
    if filters.overdue is not None:
        condition = overdue_condition(utcnow())
        query = query.where(condition if filters.overdue else ~condition)
    tokens = query_tokens(filters.q) if filters.q else []
    if filters.q and not tokens:
        return InboxPage([], 0, 1, 1, [])
    if tokens:
        query = query.where(_search_condition(tokens))
    per_page = max(1, min(filters.per_page, max_per_page))
    total = (
        db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    pages = max(1, -(-total // per_page))
    page = max(1, min(filters.page, pages))
    orders: dict[str, tuple[Any, ...]] = {
        "oldest": (Submission.created_at.asc(),),
        # The deadline running now, soonest first; cases with no running clock last.
        "due": (running_due().asc().nulls_last(), Submission.created_at.asc()),
    }
    order = orders.get(filters.sort, (Submission.created_at.desc(),))
    items = list(
        db.session.scalars(
            query.order_by(*order, Submission.id.desc())
            # The analysis is outer-joined already and the department is to-one: both
            # come with the page's rows instead of two more statements.
            .options(contains_eager(Submission.analysis), joinedload(Submission.department))
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return InboxPage(items, total, page, pages, tokens)


def text_search_condition(text: str) -> Any | None:
    """SQL over Analysis: the case matches ``text`` exactly as the inbox's keyword search does.

    None when the text has no searchable token. Other features that look cases up by words
    (rectification topics) call this, so they find the same cases a person's search finds.
    """
    tokens = query_tokens(text) if text.strip() else []
    return _search_condition(tokens) if tokens else None
