"""Flag follow-ups whose judgement and comment disagree, and read the flags for the office.

The rule and its threshold are the domain's (citizenvoice.domain.judgement_flags). Scoring the
comments needs the sentiment model, which the web process does not load, so flags are
computed by ``flask labels flags`` (or any job that has the analyzer) and the integrity page
only reads them. A flag is a question for a person: the follow-up is never changed, held or
rescored here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select

from citizenvoice.domain.cases import Satisfaction
from citizenvoice.domain.judgement_flags import (
    CLEARLY_NEGATIVE,
    CLEARLY_POSITIVE,
    MIN_COMMENT_CHARS,
    disagreement,
)
from citizenvoice.extensions import db
from citizenvoice.models import Department, FollowUp, JudgementFlag, SurveyAnswer

__all__ = [
    "FlagOutcome",
    "PeriodFlags",
    "flag_disagreements",
    "flags_between",
    "survey_disagreements",
]

SOURCE = "follow_up"
_CLEAR = (Satisfaction.SATISFIED.value, Satisfaction.DISSATISFIED.value)
# Comments scored per call: one model pass per chunk keeps memory flat on a big backlog.
_CHUNK = 500

Scorer = Callable[[Sequence[str]], Sequence[float]]


@dataclass(frozen=True)
class FlagOutcome:
    """Follow-ups checked (a clear judgement and a comment), flagged, and both per department."""

    checked: int
    flagged: int
    by_department: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Share of checked follow-ups that were flagged (0 when none were checked)."""
        return self.flagged / self.checked if self.checked else 0.0


def _eligible() -> list[FollowUp]:
    rows = db.session.scalars(
        select(FollowUp)
        .where(FollowUp.satisfaction.in_(_CLEAR), FollowUp.no_response.is_(False))
        .order_by(FollowUp.id)
    ).all()
    return [row for row in rows if len((row.comment or "").strip()) >= MIN_COMMENT_CHARS]


def flag_disagreements(score: Scorer, model_version: str | None = None) -> FlagOutcome:
    """Score every clear judgement's comment and keep a flag for each disagreement. Flushes.

    Flags are recomputed from the current follow-ups: a judgement replaced after a redo no
    longer keeps its old flag. Running twice stores the same flags once.
    """
    rows = _eligible()
    names = dict(db.session.execute(select(Department.id, Department.name)).tuples().all())
    existing = {
        f.submission_id: f
        for f in db.session.scalars(select(JudgementFlag).where(JudgementFlag.source == SOURCE))
    }
    checked: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    keep: set[int] = set()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        for row, value in zip(chunk, score([r.comment.strip() for r in chunk]), strict=True):
            department = names.get(row.department_id or 0, "（未分派）")
            checked[department] += 1
            reason = disagreement(row.satisfaction, float(value))
            if reason is None:
                continue
            flagged[department] += 1
            keep.add(row.submission_id)
            _store_flag(existing.get(row.submission_id), row, float(value), reason, model_version)
    stale = [sid for sid in existing if sid not in keep]
    if stale:
        db.session.execute(
            delete(JudgementFlag).where(
                JudgementFlag.source == SOURCE, JudgementFlag.submission_id.in_(stale)
            )
        )
    db.session.flush()
    per_department = {name: (n, flagged[name]) for name, n in sorted(checked.items())}
    return FlagOutcome(sum(checked.values()), sum(flagged.values()), per_department)


def survey_disagreements(score: Scorer) -> FlagOutcome:
    """The same rule over survey answers with a comment: counted, not stored.

    Survey answers are anonymous and have no case to review, so the figure is a measurement
    for the office (``flask labels flags`` prints it), not a list of flags.
    """
    names = dict(db.session.execute(select(Department.id, Department.name)).tuples().all())
    rows = [
        row
        for row in db.session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.rating.in_(_CLEAR)).order_by(SurveyAnswer.id)
        ).all()
        if len((row.comment or "").strip()) >= MIN_COMMENT_CHARS
    ]
    checked: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        comments = [(r.comment or "").strip() for r in chunk]
        for row, value in zip(chunk, score(comments), strict=True):
            department = names.get(row.department_id, "（未知部门）")
            checked[department] += 1
            if disagreement(row.rating, float(value)) is not None:
                flagged[department] += 1
    per_department = {name: (n, flagged[name]) for name, n in sorted(checked.items())}
    return FlagOutcome(sum(checked.values()), sum(flagged.values()), per_department)


def _store_flag(
    flag: JudgementFlag | None, row: FollowUp, value: float, reason: str, version: str | None
) -> None:
    """Insert or refresh one flag with both figures as they are now."""
    if flag is None:
        flag = JudgementFlag(source=SOURCE, submission_id=row.submission_id)
        db.session.add(flag)
    flag.department_id = row.department_id
    flag.judgement = row.satisfaction or ""
    flag.rating = row.rating
    flag.sentiment_score = round(value, 4)
    flag.reason = reason[:200]
    flag.model_version = version[:200] if version else None
    flag.judged_at = row.created_at


@dataclass(frozen=True)
class PeriodFlags:
    """The flags of judgements given in a span, and their count per department."""

    flags: list[tuple[JudgementFlag, str]]
    per_department: list[tuple[str, int]]
    low: float = CLEARLY_NEGATIVE  # the thresholds, for the page to state them
    high: float = CLEARLY_POSITIVE


def flags_between(start: datetime, end: datetime, limit: int = 500) -> PeriodFlags:
    """Flags of judgements given in [start, end), newest first, with per-department counts."""
    names = dict(db.session.execute(select(Department.id, Department.name)).tuples().all())
    flags = db.session.scalars(
        select(JudgementFlag)
        .where(JudgementFlag.judged_at >= start, JudgementFlag.judged_at < end)
        .order_by(JudgementFlag.judged_at.desc(), JudgementFlag.id.desc())
    ).all()
    counts = Counter(names.get(f.department_id or 0, "（未分派）") for f in flags)
    return PeriodFlags(
        flags=[(f, names.get(f.department_id or 0, "（未分派）")) for f in flags[:limit]],
        per_department=sorted(counts.items(), key=lambda item: (-item[1], item[0])),
    )
