"""Survey comments through nlp, and what the office and departments read of them.

``analyse_comments`` runs every not yet analysed comment of a campaign through the same nlp
Analyzer the case analysis uses (normalise, redact, category, sentiment, keywords) and stores
one ``survey_comment_analysis`` row per answer; rows are inserted with ON CONFLICT DO NOTHING,
so a second run, or two runs at once, analyse nothing twice. Pages show only the stored,
redacted text. Nothing here logs a comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

import nlp  # nlp.normalize / nlp.redact: the functions (the names are modules too)
from citizenvoice.domain.survey_comments import (
    CommentGroup,
    CommentRow,
    GroupGap,
    group_comments,
    lagging_groups,
    negative_groups,
)
from citizenvoice.extensions import db
from citizenvoice.models import Department, SurveyAnswer, SurveyCampaign, SurveyCommentAnalysis
from citizenvoice.models.base import utcnow
from citizenvoice.services.survey_results import DepartmentSurvey, campaign_results

if TYPE_CHECKING:  # the web process never loads nlp's pipeline (and models) through here
    from nlp import Analysis as NlpAnalysis

__all__ = [
    "BATCH",
    "CommentAnalyzer",
    "DepartmentExplanation",
    "analyse_comments",
    "comment_groups",
    "department_comment_groups",
    "explain_department",
    "pending_comments",
]

BATCH = 200
KEYWORDS_KEPT = 8


class CommentAnalyzer(Protocol):
    """What this service needs of nlp.Analyzer."""

    model_version: str

    def analyze_batch(self, items: Iterable[tuple[str, str]]) -> list[NlpAnalysis]:
        """Analyse (title, text) messages in one model pass."""
        ...


def pending_comments(campaign_id: int) -> int:
    """How many comments of the campaign have no analysis yet."""
    return int(db.session.scalar(_pending(campaign_id).with_only_columns(func.count())) or 0)


def _pending(campaign_id: int) -> Any:
    analysed = select(SurveyCommentAnalysis.answer_id).where(
        SurveyCommentAnalysis.answer_id == SurveyAnswer.id
    )
    return select(SurveyAnswer.id, SurveyAnswer.department_id, SurveyAnswer.comment).where(
        SurveyAnswer.campaign_id == campaign_id,
        SurveyAnswer.comment.is_not(None),
        ~analysed.exists(),
    )


def analyse_comments(analyzer: CommentAnalyzer, campaign_id: int, batch: int = BATCH) -> int:
    """Analyse the campaign's comments not analysed yet, ``batch`` at a time; returns how many.

    Commits after every batch, so an interrupted run keeps what it did and the next run goes
    on from there. A comment with nothing to read (emoji, punctuation) is stored without a
    category, so it is not tried again.
    """
    done = 0
    while True:
        rows = db.session.execute(
            _pending(campaign_id).order_by(SurveyAnswer.id).limit(batch)
        ).all()
        if not rows:
            return done
        _store(campaign_id, _analyse_rows(analyzer, rows))
        db.session.commit()
        done += len(rows)


def _analyse_rows(analyzer: CommentAnalyzer, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """One stored row per answer: the analysable comments in one model pass, the rest bare."""
    texts = [str(comment) for _, _, comment in rows]
    # nlp.is_analyzable's rule (a letter or digit after normalising), without loading the
    # pipeline here: analyze_batch refuses a batch holding a comment with nothing to read.
    readable = [i for i, text in enumerate(texts) if any(c.isalnum() for c in nlp.normalize(text))]
    results = dict(
        zip(readable, analyzer.analyze_batch(("", texts[i]) for i in readable), strict=True)
    )
    now, version = utcnow(), analyzer.model_version[:200]
    out = []
    for index, (answer_id, department_id, _) in enumerate(rows):
        result = results.get(index)
        out.append(
            {
                "answer_id": answer_id,
                "campaign_id": None,  # filled by _store
                "department_id": department_id,
                "text": result.text if result else nlp.redact(nlp.normalize(texts[index])).text,
                "category": result.category if result else None,
                "sentiment": float(result.sentiment) if result else None,
                "keywords": [w for w, _ in result.keywords[:KEYWORDS_KEPT]] if result else [],
                "model_version": version,
                "analysed_at": now,
            }
        )
    return out


def _store(campaign_id: int, rows: list[dict[str, Any]]) -> None:
    """Insert the rows; an answer another run analysed meanwhile is skipped (not an error)."""
    for row in rows:
        row["campaign_id"] = campaign_id
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SurveyCommentAnalysis).on_conflict_do_nothing(
        index_elements=["answer_id"]
    )
    db.session.execute(statement, rows)


def _rows(campaign_id: int, department_id: int | None = None) -> list[tuple[int, CommentRow]]:
    """(department id, comment row) for the campaign's analysed comments."""
    query = select(
        SurveyCommentAnalysis.department_id,
        SurveyCommentAnalysis.category,
        SurveyCommentAnalysis.sentiment,
        SurveyCommentAnalysis.keywords,
        SurveyCommentAnalysis.text,
    ).where(SurveyCommentAnalysis.campaign_id == campaign_id)
    if department_id is not None:
        query = query.where(SurveyCommentAnalysis.department_id == department_id)
    return [
        (dept, CommentRow(category, sentiment, tuple(keywords or ()), text))
        for dept, category, sentiment, keywords, text in db.session.execute(
            query.order_by(SurveyCommentAnalysis.answer_id)
        ).tuples()
    ]


def department_comment_groups(campaign_id: int, department_id: int) -> list[CommentGroup]:
    """One department's comment groups in a campaign (staff of that department may read them)."""
    return group_comments(row for _, row in _rows(campaign_id, department_id))


def comment_groups(campaign_id: int) -> dict[str, list[CommentGroup]]:
    """Department code -> its comment groups, for the office's campaign page."""
    codes = dict(db.session.execute(select(Department.id, Department.code)).tuples().all())
    per_department: dict[str, list[CommentRow]] = {}
    for department_id, row in _rows(campaign_id):
        per_department.setdefault(codes[department_id], []).append(row)
    return {code: group_comments(rows) for code, rows in per_department.items()}


@dataclass(frozen=True)
class DepartmentExplanation:
    """Why a department's survey score is where it is: low rater groups and negative comments."""

    result: DepartmentSurvey
    lagging: list[GroupGap]
    negative: list[CommentGroup]
    groups: list[CommentGroup]


def explain_department(
    campaign: SurveyCampaign, department_id: int, department_code: str
) -> DepartmentExplanation | None:
    """The explanation of one department's survey score, or None when it was not rated."""
    result = next((r for r in campaign_results(campaign) if r.code == department_code), None)
    if result is None:
        return None
    groups = department_comment_groups(campaign.id, department_id)
    lagging = lagging_groups(
        result.combined.score,
        ((code, r.score, r.n, counted) for code, r, counted in result.groups),
    )
    return DepartmentExplanation(result, lagging, negative_groups(groups), groups)
