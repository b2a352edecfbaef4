"""Shadow mode: a challenger scores new messages beside the champion for a set period.

``start_shadow`` / ``stop_shadow`` set and end the one shadow of a kind (table
``model_shadow``, the kind its primary key); ``score_in_shadow`` stores the challenger's label
and confidence for newly analysed submissions (``shadow_prediction``), never changing the
analysis or routing; ``shadow_summary`` gives the figures per version (domain.shadow).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from citizenvoice.domain.labels import LabelStrength
from citizenvoice.domain.model_registry import KINDS
from citizenvoice.domain.shadow import (
    MAX_SHADOW_DAYS,
    ShadowPair,
    comparable_label,
    sentiment_confidence,
    shadow_figures,
)
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    ModelShadow,
    ModelVersion,
    ShadowPrediction,
    Submission,
    TrainingLabel,
)
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.bulk import in_ids
from citizenvoice.services.model_registry import RegistryError

__all__ = [
    "active_shadows",
    "score_in_shadow",
    "shadow_summary",
    "start_shadow",
    "stop_shadow",
]


def _dialect() -> Any:
    return postgresql if db.engine.dialect.name == "postgresql" else sqlite


def start_shadow(version: str, days: int, *, actor: str = "cli") -> ModelShadow:
    """Put challenger ``version`` in shadow for ``days`` days, replacing its kind's shadow.

    One statement (insert, or update on the kind): two starts at once leave one row per kind.
    Audited (``model_shadow_start``). The caller commits.
    """
    if not 1 <= days <= MAX_SHADOW_DAYS:
        raise RegistryError(f"影子运行天数应为 1 到 {MAX_SHADOW_DAYS} 天。")
    if len(version) > 64 or "\x00" in version:
        raise RegistryError(f"没有版本 {version[:80]!r}。")
    row = db.session.scalars(select(ModelVersion).where(ModelVersion.version == version)).first()
    if row is None:
        raise RegistryError(f"没有版本 {version[:80]!r}。")
    if row.status != "challenger":
        raise RegistryError(f"版本 {row.version} 不是候选模型，只有候选模型可以影子运行。")
    now = utcnow()
    values = {"version": row.version, "started_at": now, "until": now + timedelta(days=days)}
    statement = (
        _dialect()
        .insert(ModelShadow)
        .values(kind=row.kind, actor=actor[:200], **values)
        .on_conflict_do_update(index_elements=["kind"], set_={**values, "actor": actor[:200]})
    )
    db.session.execute(statement)
    record(
        actor, "model_shadow_start", "model_version", row.version, {"kind": row.kind, "days": days}
    )
    shadow = db.session.get(ModelShadow, row.kind, populate_existing=True)
    assert shadow is not None
    return shadow


def stop_shadow(kind: str, *, actor: str = "cli") -> str:
    """End the shadow of ``kind``; returns the version that was in shadow. The caller commits."""
    if kind not in KINDS:
        raise RegistryError(f"未知的模型类型 {kind[:40]!r}，应为 category 或 sentiment。")
    version = db.session.execute(
        delete(ModelShadow).where(ModelShadow.kind == kind).returning(ModelShadow.version)
    ).scalar()
    if version is None:
        raise RegistryError(f"{kind} 当前没有影子运行的模型。")
    record(actor, "model_shadow_stop", "model_version", version, {"kind": kind})
    return str(version)


def active_shadows() -> dict[str, tuple[str, str]]:
    """{kind: (version, dir)} of the shadows still running (one small indexed query)."""
    query = (
        select(ModelShadow.kind, ModelShadow.version, ModelVersion.dir)
        .join(ModelVersion, ModelVersion.version == ModelShadow.version)
        .where(ModelShadow.until > utcnow(), ModelVersion.status == "challenger")
    )
    return {str(k): (str(v), str(d)) for k, v, d in db.session.execute(query)}


def score_in_shadow(submission_ids: Sequence[int], analyzer_for: Callable[[str, str], Any]) -> int:
    """Score newly analysed submissions with each kind's shadow; returns the rows stored.

    ``analyzer_for(kind, dir)`` gives an nlp Analyzer whose model of ``kind`` is the
    challenger's (cached by the caller). Only the shadow kind's label is kept; submissions
    without a stored analysis (nothing to analyse) are skipped. Idempotent. Never commits.
    """
    shadows = active_shadows() if submission_ids else {}
    if not shadows:
        return 0
    rows = db.session.execute(
        select(Submission.id, Submission.title, Submission.text, Analysis)
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(in_ids(Submission.id, list(submission_ids)), Analysis.category.is_not(None))
        .order_by(Submission.id)
    ).all()
    stored = 0
    for kind, (version, directory) in shadows.items():
        if not rows:
            break
        found = analyzer_for(kind, directory).analyze_batch(
            [(title or "", text) for _id, title, text, _a in rows]
        )
        values = [
            {"submission_id": sid, "kind": kind, "version": version, "created_at": utcnow()}
            | _labels(kind, result, analysis)
            for (sid, _t, _x, analysis), result in zip(rows, found, strict=True)
        ]
        statement = (
            _dialect()
            .insert(ShadowPrediction)
            .on_conflict_do_nothing(index_elements=["submission_id", "version"])
        )
        db.session.execute(statement, values)
        stored += len(values)
    return stored


def _labels(kind: str, result: Any, analysis: Analysis) -> dict[str, Any]:
    """The challenger's and the stored champion's label and confidence of one message."""
    if kind == "category":
        return {
            "label": result.category,
            "confidence": float(result.category_confidence),
            "champion_label": analysis.category,
            "champion_confidence": analysis.category_confidence,
        }
    champion = analysis.sentiment
    return {
        "label": result.sentiment_label,
        "confidence": sentiment_confidence(float(result.sentiment)),
        "champion_label": analysis.sentiment_label,
        "champion_confidence": None if champion is None else sentiment_confidence(champion),
    }


def _arrived_labels(kind: str, submission_ids: list[int]) -> dict[int, str]:
    """The newest label that arrived per submission (category: strong ones only)."""
    query = select(TrainingLabel.submission_id, TrainingLabel.label).where(
        TrainingLabel.kind == kind, in_ids(TrainingLabel.submission_id, submission_ids)
    )
    if kind == "category":
        query = query.where(TrainingLabel.strength == LabelStrength.STRONG.value)
    out: dict[int, str] = {}
    for sid, label in db.session.execute(query.order_by(TrainingLabel.labelled_at)):
        out[int(sid)] = str(comparable_label(kind, label))
    return out


def _label_filter() -> Any:
    """Labels that count: any sentiment label, strong category labels only."""
    return and_(
        TrainingLabel.submission_id == ShadowPrediction.submission_id,
        TrainingLabel.kind == ShadowPrediction.kind,
        or_(
            TrainingLabel.kind != "category",
            TrainingLabel.strength == LabelStrength.STRONG.value,
        ),
    )


def _labelled_pairs() -> dict[str, list[ShadowPair]]:
    """{version: pairs} of the shadow-scored messages for which a label has arrived."""
    query = (
        select(ShadowPrediction)
        .where(exists().where(_label_filter()))
        .order_by(ShadowPrediction.id)
    )
    out: dict[str, list[ShadowPair]] = {}
    for p in db.session.scalars(query):
        out.setdefault(p.version, []).append(
            ShadowPair(
                p.submission_id, p.champion_label, p.champion_confidence, p.label, p.confidence
            )
        )
    return out


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def shadow_summary() -> dict[str, dict[str, Any]]:
    """{version: figures} for every version that is or was in shadow, with its period.

    Counts and means are aggregated in the database (a long shadow has many rows); only the
    labelled messages are read, for the accuracies (domain.shadow.shadow_figures).
    """
    shadows = {s.version: s for s in db.session.scalars(select(ModelShadow))}
    agree = case((ShadowPrediction.label == ShadowPrediction.champion_label, 1), else_=0)
    totals = db.session.execute(
        select(
            ShadowPrediction.version,
            ShadowPrediction.kind,
            func.count(),
            func.sum(agree),
            func.avg(ShadowPrediction.champion_confidence),
            func.avg(ShadowPrediction.confidence),
        ).group_by(ShadowPrediction.version, ShadowPrediction.kind)
    ).all()
    labelled = _labelled_pairs()
    now = utcnow()
    out: dict[str, dict[str, Any]] = {}
    for version, kind, n, agreed, champion_mean, challenger_mean in totals:
        pairs = labelled.get(version, [])
        labels = _arrived_labels(kind, sorted({p.submission_id for p in pairs}))
        figures = shadow_figures(kind, pairs, labels)
        out[version] = {
            "n": int(n),
            "agreement": round(int(agreed or 0) / n, 4) if n else None,
            "champion_mean_confidence": _rounded(champion_mean),
            "challenger_mean_confidence": _rounded(challenger_mean),
        } | {k: figures[k] for k in ("n_labelled", "champion_accuracy", "challenger_accuracy")}
    for version in set(shadows) - set(out):
        out[version] = shadow_figures(shadows[version].kind, [], {})
    for version, figures in out.items():
        shadow = shadows.get(version)
        figures["active"] = bool(shadow and shadow.until > now)
        figures["until"] = shadow.until.isoformat() if shadow else None
    return out
