"""Analysing a submission: run nlp once, upsert its analysis row, route it, group duplicates.

Safe to run twice (delivery is at least once): the submission row is locked for the duration
on PostgreSQL, the analysis row is upserted by submission id, the routing event is written
once, and the duplicate bands are replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select, update

from citizenvoice.domain.analysis import (
    DEFAULT_ROUTING_MIN_CONFIDENCE,
    AnalysisStatus,
    Routing,
    decide_routing,
)
from citizenvoice.domain.workflow import Action, WorkflowError, check
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    CategoryCorrection,
    CategoryRoute,
    Department,
    OutboxMessage,
    OutboxStatus,
    Submission,
)
from citizenvoice.models.base import utcnow
from citizenvoice.services.duplicates import assign_duplicate_groups
from citizenvoice.services.outbox import ANALYSE_TOPIC
from citizenvoice.services.workflow import SYSTEM, perform, snapshot_of

__all__ = [
    "AnalysisOutcome",
    "TextAnalyzer",
    "analyse_pending_batch",
    "analyse_submission",
    "mark_analysis_failed",
    "reset_failed_analysis",
]


# model_version of an analysis that found no letters or digits to work on.
NOTHING_TO_ANALYSE = "nothing-to-analyse"


class TextAnalyzer(Protocol):
    """What the service needs of nlp.pipeline.Analyzer."""

    def analyze(self, title: str, text: str) -> Any:
        """Analyse one message."""
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


def analyse_submission(
    submission_id: int,
    analyzer: TextAnalyzer,
    *,
    min_confidence: float = DEFAULT_ROUTING_MIN_CONFIDENCE,
) -> AnalysisOutcome:
    """Analyse one submission by id and store the result. Flushes, never commits."""
    submission = _locked_submission(submission_id)
    if submission is None:
        _mark_outbox(submission_id, OutboxStatus.DONE, "submission no longer exists")
        return AnalysisOutcome(submission_id, "missing")
    return _analyse_locked([submission], analyzer, min_confidence)[0]


def analyse_pending_batch(
    submission_id: int,
    analyzer: TextAnalyzer,
    *,
    batch_size: int = 50,
    min_confidence: float = DEFAULT_ROUTING_MIN_CONFIDENCE,
) -> list[AnalysisOutcome]:
    """Analyse a submission together with up to ``batch_size - 1`` other pending ones.

    One database transaction and one model pass for the whole batch: per-message commits (a
    WAL flush each on PostgreSQL) and per-message model calls cost several times the analysis
    itself. The other submissions are claimed with FOR UPDATE SKIP LOCKED, so concurrent
    workers take disjoint batches; their own queued jobs later find them done and return at
    once. A submission already analysed is not analysed again (use ``analyse_submission`` to
    force a re-run). Flushes, never commits.
    """
    first = _locked_submission(submission_id)
    if first is None:
        _mark_outbox(submission_id, OutboxStatus.DONE, "submission no longer exists")
        return [AnalysisOutcome(submission_id, "missing")]
    if first.analysis_status == AnalysisStatus.DONE.value:
        return [AnalysisOutcome(submission_id, "already_analysed")]
    others = list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.analysis_status == AnalysisStatus.PENDING.value,
                Submission.id != submission_id,
            )
            .order_by(Submission.id)
            .limit(max(0, batch_size - 1))
            .with_for_update(skip_locked=True)
        )
    )
    return _analyse_locked([first, *others], analyzer, min_confidence)


def _analyse_locked(
    submissions: list[Submission], analyzer: TextAnalyzer, min_confidence: float
) -> list[AnalysisOutcome]:
    """Analyse locked submissions (one model pass) and store every result, in id order."""
    # Imported here: the web process only needs this module's other functions, not the models.
    from nlp.pipeline import is_analyzable

    analysable = [s for s in submissions if is_analyzable(s.title or "", s.text)]
    results: dict[int, Any] = {}
    if analysable:
        batch = getattr(analyzer, "analyze_batch", None)
        items = [(s.title or "", s.text) for s in analysable]
        found = batch(items) if batch is not None else [analyzer.analyze(t, x) for t, x in items]
        results = {s.id: r for s, r in zip(analysable, found, strict=True)}
    ordered = sorted(submissions, key=lambda s: s.id)
    ids = [s.id for s in ordered]
    existing = {
        a.submission_id: a
        for a in db.session.scalars(select(Analysis).where(Analysis.submission_id.in_(ids)))
    }
    corrected = dict(
        db.session.execute(
            select(CategoryCorrection.submission_id, CategoryCorrection.corrected)
            .where(CategoryCorrection.submission_id.in_(ids))
            .order_by(CategoryCorrection.id)
        )
        .tuples()
        .all()
    )  # the latest correction of each case wins
    routes = dict(
        db.session.execute(select(CategoryRoute.category, CategoryRoute.department_id))
        .tuples()
        .all()
    )
    now = utcnow()
    analyses: list[Analysis] = []
    for submission in ordered:
        analysis = existing.get(submission.id)
        if analysis is None:
            analysis = Analysis(submission_id=submission.id, runs=0)
            db.session.add(analysis)
        if submission.id in results:
            _store_result(analysis, results[submission.id])
        else:
            _store_nothing_to_analyse(analysis, submission.text)
        if submission.id in corrected:  # staff know better than the model: it survives re-analysis
            analysis.category, analysis.category_uncertain = corrected[submission.id], False
        analysis.runs = (analysis.runs or 0) + 1
        analysis.analysed_at = now
        analyses.append(analysis)
    db.session.flush()
    routed = {
        s.id: _route(s, a, min_confidence, routes) for s, a in zip(ordered, analyses, strict=True)
    }
    groups = assign_duplicate_groups(
        [(s, a, f"{s.title}\n{s.text}") for s, a in zip(ordered, analyses, strict=True)]
    )
    for submission in ordered:
        submission.analysis_status = AnalysisStatus.DONE.value
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.topic == ANALYSE_TOPIC, OutboxMessage.aggregate_id.in_(ids))
        .values(status=OutboxStatus.DONE.value, last_error=None)
    )
    db.session.flush()
    return [
        AnalysisOutcome(s.id, "analysed", a.category, routed[s.id], group, a.runs)
        for s, a, group in zip(ordered, analyses, groups, strict=True)
    ]


def _store_result(analysis: Analysis, result: Any) -> None:
    """Copy an nlp.pipeline.Analysis onto the row."""
    analysis.model_version = str(result.model_version)[:200]
    analysis.category = result.category
    analysis.category_confidence = float(result.category_confidence)
    analysis.category_top3 = [[label, float(p)] for label, p in result.category_top3]
    analysis.category_uncertain = bool(result.category_uncertain)
    analysis.sentiment = float(result.sentiment)
    analysis.sentiment_label = result.sentiment_label
    analysis.keywords = [str(word) for word, _weight in result.keywords][:20]
    analysis.urgent = bool(result.urgent)
    analysis.urgency_reasons = [str(r) for r in result.urgency_reasons]
    analysis.redacted_text = result.text
    analysis.timings_ms = {str(k): round(float(v), 3) for k, v in result.timings_ms}
    # Padded with spaces so the SQLite fallback can match whole tokens with LIKE.
    analysis.search_tokens = f" {' '.join(result.tokens)} " if result.tokens else ""


def _store_nothing_to_analyse(analysis: Analysis, text: str) -> None:
    """A message of emoji or symbols only: kept, shown, routed by hand; nothing to mine."""
    analysis.model_version = NOTHING_TO_ANALYSE
    analysis.category = None
    analysis.category_confidence = None
    analysis.category_top3 = []
    analysis.category_uncertain = True
    analysis.sentiment = None
    analysis.sentiment_label = None
    analysis.keywords = []
    analysis.urgent = False
    analysis.urgency_reasons = []
    analysis.redacted_text = text
    analysis.timings_ms = {}
    analysis.search_tokens = ""


def _route(
    submission: Submission, analysis: Analysis, min_confidence: float, routes: dict[str, int]
) -> str | None:
    """Give a 不确定 case a department when the classifier is sure; else flag it for the office.

    Also marks the case urgent (the system's 标记紧急) when the analysis found it urgent.
    """
    routed_to = None
    if submission.department_id is None and submission.routing != Routing.OFFICE.value:
        route_department = routes.get(analysis.category) if analysis.category else None
        decision = decide_routing(
            analysis.category,
            analysis.category_confidence,
            analysis.category_uncertain,
            route_department is not None,
            min_confidence,
        )
        submission.routing = decision.routing.value
        if decision.routing is Routing.CLASSIFIER and route_department is not None:
            department = db.session.get(Department, route_department)
            if department is not None and _may(submission, Action.ASSIGN):
                perform(submission, Action.ASSIGN, SYSTEM, department=department.code)
                routed_to = department.name
    if analysis.urgent and not submission.urgent and _may(submission, Action.MARK_URGENT):
        perform(submission, Action.MARK_URGENT, SYSTEM, note="；".join(analysis.urgency_reasons))
    return routed_to


def _may(submission: Submission, action: Action) -> bool:
    try:
        check(snapshot_of(submission), action, SYSTEM, utcnow())
    except WorkflowError:
        return False
    return True


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
