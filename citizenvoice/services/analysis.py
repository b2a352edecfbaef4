"""Analysing submissions in batches: run nlp once, upsert analyses, route, group duplicates.

Safe to run twice (delivery is at least once): the submission row is locked for the duration
on PostgreSQL, the analysis row is upserted by submission id, the routing event is written
once, and the duplicate bands are replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Row, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from citizenvoice.domain.analysis import (
    DEFAULT_ROUTING_MIN_CONFIDENCE,
    AnalysisStatus,
    Routing,
    decide_routing,
)
from citizenvoice.domain.workflow import Action
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    CategoryCorrection,
    CategoryRoute,
    OutboxMessage,
    OutboxStatus,
    Submission,
)
from citizenvoice.models.base import utcnow
from citizenvoice.services.bulk import in_ids, is_postgresql, json_select
from citizenvoice.services.duplicates import assign_duplicate_groups
from citizenvoice.services.outbox import ANALYSE_TOPIC
from citizenvoice.services.workflow import SYSTEM, SystemActionBatch, expire_cached

if TYPE_CHECKING:  # the web process never loads nlp's models through this module
    from nlp import Analysis as NlpAnalysis

__all__ = [
    "AnalysisOutcome",
    "TextAnalyzer",
    "analyse_batch",
    "analyse_submission",
    "mark_analysis_failed",
    "reset_failed_analysis",
]


# model_version of an analysis that found no letters or digits to work on.
NOTHING_TO_ANALYSE = "nothing-to-analyse"
# Batches are read and written with Core statements: ORM objects and their per-row flushes
# cost more than the analysis itself.
_SUBMISSIONS = cast(Table, Submission.__table__)
_ANALYSES = cast(Table, Analysis.__table__)
_PENDING = (_SUBMISSIONS.c.analysis_status == AnalysisStatus.PENDING.value,)


class TextAnalyzer(Protocol):
    """What the service needs of nlp.Analyzer."""

    def analyze_batch(self, items: Iterable[tuple[str, str]]) -> list[NlpAnalysis]:
        """Analyse (title, text) messages in one model pass."""
        ...


@dataclass(frozen=True)
class AnalysisOutcome:
    """What one run did: ``analysed``, or ``missing`` when the submission no longer exists."""

    submission_id: int
    status: str
    category: str | None = None
    routed_to: str | None = None
    duplicate_group: str | None = None
    runs: int = 0


def _locked_submission(submission_id: int) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.id == submission_id).with_for_update()
    )


def _mark_outbox(submission_id: int, status: OutboxStatus, error: str | None = None) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.topic == ANALYSE_TOPIC, OutboxMessage.aggregate_id == submission_id)
        .values(status=status.value, last_error=error)
    )


def _locked_rows(
    *where: Any, limit: int | None = None, skip_locked: bool = False
) -> list[Row[Any]]:
    """Submission rows (Core, no ORM objects), locked FOR UPDATE until the transaction ends."""
    query = select(_SUBMISSIONS).where(*where).order_by(_SUBMISSIONS.c.id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.execute(query.with_for_update(skip_locked=skip_locked)))


def analyse_batch(
    analyzer: TextAnalyzer,
    *,
    first: int | None = None,
    ids: Sequence[int] | None = None,
    batch_size: int = 500,
    min_confidence: float = DEFAULT_ROUTING_MIN_CONFIDENCE,
) -> list[AnalysisOutcome]:
    """Claim a batch of submissions, run nlp over it once and store every result; never commits.

    The one analysis path: the analysis job, the in-process runner, the re-analysis of
    everything and the tests all come here. Which batch:

    - ``first``: that submission, then up to ``batch_size - 1`` other pending ones no other
      transaction holds (SKIP LOCKED), so concurrent workers take disjoint batches. A
      submission already analysed gives ``already_analysed``, a deleted one ``missing``.
    - ``ids``: exactly these submissions, analysed again even if they were before (a model
      change); deleted ones give ``missing``.
    - neither: the oldest ``batch_size`` pending submissions no other transaction holds (a
      worker working off a backlog); an empty list when there are none.

    One transaction and one model pass per batch: per-message commits (a WAL flush each on
    PostgreSQL) and per-message model calls cost several times the analysis itself. The rows
    stay locked until the caller commits. Outcomes: ``first``'s first, the others in id
    order; for ``ids``, in id order with deleted ones last.
    """
    if first is not None and ids is not None:
        raise ValueError("analyse_batch takes first or ids, not both")
    if ids is not None:
        if not ids:
            return []
        rows = _locked_rows(in_ids(_SUBMISSIONS.c.id, list(ids)))
        found = {row.id for row in rows}
        missing = [_missing(i) for i in ids if i not in found]
        return (_analyse_locked(rows, analyzer, min_confidence) if rows else []) + missing
    if first is None:
        rows = _locked_rows(*_PENDING, limit=max(1, batch_size), skip_locked=True)
        return _analyse_locked(rows, analyzer, min_confidence) if rows else []
    rows = _locked_rows(_SUBMISSIONS.c.id == first)
    if not rows:
        return [_missing(first)]
    if rows[0].analysis_status == AnalysisStatus.DONE.value:
        return [AnalysisOutcome(first, "already_analysed")]
    others = _locked_rows(
        *_PENDING,
        _SUBMISSIONS.c.id != first,
        limit=max(0, batch_size - 1),
        skip_locked=True,
    )
    return _analyse_locked([*rows, *others], analyzer, min_confidence)


def analyse_submission(
    submission_id: int,
    analyzer: TextAnalyzer,
    *,
    min_confidence: float = DEFAULT_ROUTING_MIN_CONFIDENCE,
) -> AnalysisOutcome:
    """Analyse one submission by id and store the result (again, if it was analysed before)."""
    return analyse_batch(analyzer, ids=[submission_id], min_confidence=min_confidence)[0]


def _missing(submission_id: int) -> AnalysisOutcome:
    """The outcome for a submission deleted since it was queued; its outbox row is done."""
    _mark_outbox(submission_id, OutboxStatus.DONE, "submission no longer exists")
    return AnalysisOutcome(submission_id, "missing")


def _mine(submissions: list[Row[Any]], analyzer: TextAnalyzer) -> dict[int, NlpAnalysis]:
    """The nlp results of the analysable submissions, by id (one model pass, no database)."""
    # Imported here: the web process only needs this module's other functions, not the models.
    from nlp import is_analyzable

    todo = [
        (submission.id, (submission.title or "", submission.text))
        for submission in submissions
        if is_analyzable(submission.title or "", submission.text)
    ]
    if not todo:
        return {}
    found = analyzer.analyze_batch([item for _id, item in todo])
    return {
        submission_id: result for (submission_id, _item), result in zip(todo, found, strict=True)
    }


def _analyse_locked(
    submissions: list[Row[Any]], analyzer: TextAnalyzer, min_confidence: float
) -> list[AnalysisOutcome]:
    """Analyse locked submissions (one model pass) and store every result, the first first.

    Set-based, with Core statements: a handful of reads (corrections, routes, departments,
    duplicate candidates), one upsert of every analysis row, one executemany UPDATE of the
    submissions (analysis status, routing, workflow state of 分派 / 标记紧急), one INSERT of
    their timeline events and one UPDATE of the outbox, whatever the batch size.
    """
    results = _mine(submissions, analyzer)
    ordered = sorted(submissions, key=lambda s: s.id)
    ids = [s.id for s in ordered]
    corrected = dict(
        db.session.execute(
            select(CategoryCorrection.submission_id, CategoryCorrection.corrected)
            .where(in_ids(CategoryCorrection.submission_id, ids))
            .order_by(CategoryCorrection.id)
        )
        .tuples()
        .all()
    )  # the latest correction of each case wins
    groups = assign_duplicate_groups([(s.id, f"{s.title}\n{s.text}") for s in ordered])
    now = utcnow()
    values: list[dict[str, Any]] = []
    for submission in ordered:
        row = (
            _result_values(results[submission.id])
            if submission.id in results
            else _nothing_to_analyse_values(submission.text)
        )
        if submission.id in corrected:  # staff know better than the model: it survives re-analysis
            row["category"], row["category_uncertain"] = corrected[submission.id], False
        duplicate = groups[submission.id]
        row.update(
            submission_id=submission.id,
            duplicate_group=duplicate.group,
            minhash=duplicate.minhash,
            analysed_at=now,
        )
        values.append(row)
    stored = _upsert_analyses(values)
    routed = _route_batch(ordered, values, min_confidence, now)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.topic == ANALYSE_TOPIC, in_ids(OutboxMessage.aggregate_id, ids))
        .values(status=OutboxStatus.DONE.value, last_error=None)
    )
    expire_cached(Submission, ids)
    expire_cached(Analysis, (analysis_id for analysis_id, _runs in stored.values()))
    outcomes = {
        s.id: AnalysisOutcome(
            s.id,
            "analysed",
            row["category"],
            routed.get(s.id),
            row["duplicate_group"],
            stored[s.id][1],
        )
        for s, row in zip(ordered, values, strict=True)
    }
    return [outcomes[s.id] for s in submissions]


def _upsert_analyses(values: list[dict[str, Any]]) -> dict[int, tuple[int, int]]:
    """Insert or update the analysis row of each submission.

    Returns (analysis id, runs) by submission id.

    One INSERT ... ON CONFLICT (submission_id) DO UPDATE (PostgreSQL and SQLite both have it):
    a new row starts at runs = 1, an existing one keeps its id and its topic label, takes the
    new values and counts one more run. PostgreSQL gets the rows as one array per column
    (``services.bulk.unnest``), SQLite as a multi-row VALUES.
    """
    names = [*values[0], "runs"]
    if is_postgresql():
        rows = json_select(_ANALYSES, names, [{"runs": 1, **row} for row in values])
        statement: Any = postgresql.insert(_ANALYSES).from_select(names, rows)
        parameters: Any = None
    else:
        statement = sqlite.insert(_ANALYSES)
        parameters = [{**row, "runs": 1} for row in values]
    updated = {name: statement.excluded[name] for name in names}
    del updated["submission_id"]
    updated["runs"] = func.coalesce(_ANALYSES.c.runs, 0) + 1
    statement = statement.on_conflict_do_update(
        index_elements=[_ANALYSES.c.submission_id], set_=updated
    ).returning(_ANALYSES.c.submission_id, _ANALYSES.c.id, _ANALYSES.c.runs)
    result = db.session.execute(statement, parameters)
    return {
        int(submission_id): (int(analysis_id), int(runs))
        for submission_id, analysis_id, runs in result.tuples()
    }


def _result_values(result: NlpAnalysis) -> dict[str, Any]:
    """The analysis columns of an nlp.Analysis."""
    return {
        "model_version": str(result.model_version)[:200],
        "category": result.category,
        "category_confidence": float(result.category_confidence),
        "category_top3": [[label, float(p)] for label, p in result.category_top3],
        "category_uncertain": bool(result.category_uncertain),
        "sentiment": float(result.sentiment),
        "sentiment_label": result.sentiment_label,
        "keywords": [str(word) for word, _weight in result.keywords][:20],
        "urgent": bool(result.urgent),
        "urgency_reasons": [str(r) for r in result.urgency_reasons],
        "redacted_text": result.text,
        "timings_ms": {str(k): round(float(v), 3) for k, v in result.timings_ms},
        # Words and their search-mode parts (垃圾清运 -> 垃圾, 清运), each once; padded with
        # spaces so the SQLite fallback can match whole terms with LIKE.
        "search_tokens": f" {' '.join(result.search_terms)} " if result.search_terms else "",
    }


def _nothing_to_analyse_values(text: str) -> dict[str, Any]:
    """A message of emoji or symbols only: kept, shown, routed by hand; nothing to mine."""
    return {
        "model_version": NOTHING_TO_ANALYSE,
        "category": None,
        "category_confidence": None,
        "category_top3": [],
        "category_uncertain": True,
        "sentiment": None,
        "sentiment_label": None,
        "keywords": [],
        "urgent": False,
        "urgency_reasons": [],
        "redacted_text": text,
        "timings_ms": {},
        "search_tokens": "",
    }


def _route_batch(
    submissions: list[Row[Any]], values: list[dict[str, Any]], min_confidence: float, now: datetime
) -> dict[int, str]:
    """Route the batch's 不确定 cases, mark urgent ones, set every one analysed.

    Returns the names of the departments cases were routed to, by submission id.

    A case without a department that the office has not routed gets the department mapped from
    its category when the classifier is sure (分派 by the system), else it is flagged for the
    office. A case the analysis found urgent is marked so (the system's 标记紧急) when the rules
    allow it. Reads the routes once and writes each submission row once (executemany).
    """
    routes = dict(
        db.session.execute(select(CategoryRoute.category, CategoryRoute.department_id))
        .tuples()
        .all()
    )
    actions = SystemActionBatch(SYSTEM, at=now)
    # Every submission of the batch is written once, with its workflow changes if any.
    columns: dict[int, dict[str, Any]] = {
        s.id: {"analysis_status": AnalysisStatus.DONE.value} for s in submissions
    }
    routed: dict[int, str] = {}
    for submission, analysis in zip(submissions, values, strict=True):
        category = analysis["category"]
        if submission.department_id is None and submission.routing != Routing.OFFICE.value:
            route_department = routes.get(category) if category else None
            decision = decide_routing(
                category,
                analysis["category_confidence"],
                analysis["category_uncertain"],
                route_department is not None,
                min_confidence,
            )
            if decision.routing.value != submission.routing:
                columns[submission.id]["routing"] = decision.routing.value
            code = actions.department_code(route_department)
            if (
                decision.routing is Routing.CLASSIFIER
                and code is not None
                and actions.attempt(submission, Action.ASSIGN, department=code) is not None
            ):
                routed[submission.id] = actions.department_name(code)
        if analysis["urgent"] and not actions.snapshot(submission).urgent:
            actions.attempt(
                submission, Action.MARK_URGENT, note="；".join(analysis["urgency_reasons"])
            )
    actions.write(also=columns)
    return routed


def mark_analysis_failed(submission_id: int, error: str) -> bool:
    """Record that analysis failed for good (after retries). Returns False if the case is gone."""
    submission = _locked_submission(submission_id)
    if submission is None:
        return False
    submission.analysis_status = AnalysisStatus.FAILED.value
    _mark_outbox(submission_id, OutboxStatus.FAILED, error[:2000])
    db.session.flush()
    return True


def reset_failed_analysis(submission_ids: list[int] | None = None) -> list[int]:
    """Put failed analyses back to pending (all, or the given ids) for the relay. Flushes."""
    query = select(Submission.id).where(Submission.analysis_status == AnalysisStatus.FAILED.value)
    if submission_ids is not None:
        query = query.where(Submission.id.in_(submission_ids))
    ids = list(db.session.scalars(query))
    if ids:
        db.session.execute(
            update(Submission)
            .where(Submission.id.in_(ids))
            .values(analysis_status=AnalysisStatus.PENDING.value)
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.topic == ANALYSE_TOPIC, OutboxMessage.aggregate_id.in_(ids))
            .values(status=OutboxStatus.PENDING.value, last_error=None)
        )
        db.session.flush()
    return ids
