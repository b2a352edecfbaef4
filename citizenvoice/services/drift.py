"""The weekly drift report: one Beijing week's analyses against the models' references.

Which analyses: those of submissions received in the week (Monday 00:00 to Monday 00:00,
Asia/Shanghai); messages with nothing to analyse (no category) are left out. Figures:

- category mix and its PSI against the category model's reference mix;
- mean category confidence, and the share below the routing threshold (``category_uncertain``:
  those cases wait in the office's routing queue);
- sentiment label mix and its PSI against the sentiment model's reference mix;
- out-of-vocabulary rate of the content tokens against each model's word vocabulary. Analyses
  do not store the model's tokens (``search_tokens`` adds search-mode parts), so the tokens
  are recomputed with nlp's segmenter from the title and the redacted text, on a seeded random
  sample of at most ``OOV_SAMPLE`` (2,000) analyses to bound the cost (a few seconds).

References are the champion's: a registry version's own ``reference.json`` (written when
retrain made it), else ``<NLP_MODEL_DIR>/<kind>/reference.json``, else the shipped model's
(``nlp.SHIPPED_MODELS_DIR``); see ``reference_dir``. Warnings follow
``citizenvoice.domain.drift``. ``store_report`` upserts one row per (week, kind).
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Integer, func, select
from sqlalchemy.dialects import postgresql, sqlite

import nlp
from citizenvoice.domain.drift import (
    SMALL_SAMPLE,
    drift_warnings,
    psi_noise_floor,
    week_bounds,
    week_start_of,
)
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, DriftReport, Submission
from citizenvoice.models.base import utcnow
from citizenvoice.services.bulk import in_ids, is_postgresql
from citizenvoice.services.model_registry import champion_dirs

__all__ = [
    "KINDS",
    "OOV_SAMPLE",
    "WEEKLY",
    "compute_report",
    "last_complete_week",
    "recent_reports",
    "reference_dir",
    "store_report",
]

KINDS = ("category", "sentiment")
WEEKLY = "weekly"
OOV_SAMPLE = 2000


def reference_dir(kind: str) -> Path:
    """The model directory whose ``reference.json`` the report compares against.

    The champion version's own directory when it has a reference (versions trained before
    references were written have none), else the configured models', else the shipped one.
    """
    champion = champion_dirs().get(kind)
    if champion and nlp.load_reference(Path(champion)) is not None:
        return Path(champion)
    configured = current_app.config.get("NLP_MODEL_DIR")
    if configured:
        candidate = Path(configured) / kind
        if candidate.is_dir() and nlp.load_reference(candidate) is not None:
            return candidate
    return nlp.SHIPPED_MODELS_DIR / kind


def _week_filter() -> Any:
    return (Analysis.submission_id == Submission.id) & Analysis.category.is_not(None)


def _counts(column: Any, start: Any, end: Any) -> dict[str, int]:
    rows = db.session.execute(
        select(column, func.count())
        .where(_week_filter(), Submission.created_at >= start, Submission.created_at < end)
        .group_by(column)
    ).all()
    return {str(k): int(n) for k, n in rows if k is not None}


def _oov_rates(start: Any, end: Any, monday: date) -> tuple[dict[str, float | None], int]:
    """OOV rate against each model's vocabulary on a seeded sample of the week's analyses."""
    ids = db.session.scalars(
        select(Analysis.id)
        .where(_week_filter(), Submission.created_at >= start, Submission.created_at < end)
        .order_by(Analysis.id)
    ).all()
    if not ids:
        return dict.fromkeys(KINDS), 0
    # Seeded by the week: a rerun of the same week measures the same sample.
    rng = random.Random(monday.toordinal())  # noqa: S311 - a sample, not a secret
    sample = sorted(rng.sample(list(ids), min(OOV_SAMPLE, len(ids))))
    rows = db.session.execute(
        select(Submission.title, Analysis.redacted_text).where(
            Analysis.submission_id == Submission.id, in_ids(Analysis.id, sample)
        )
    ).all()
    segmenter = nlp.default_segmenter()
    tokens = [
        t
        for title, text in rows
        for t in segmenter.content_tokens(nlp.compose_text(title or "", text or ""))
    ]
    rates = {
        kind: nlp.oov_rate(tokens, nlp.model_vocabulary(reference_dir(kind))) for kind in KINDS
    }
    return rates, len(rows)


def _psi(reference: dict[str, float] | None, week: dict[str, int]) -> dict[str, float | None]:
    """PSI of the week's counts against the reference mix, and its sampling-noise floor."""
    if not reference or not week:
        return {"psi": None, "psi_noise": None}
    bins = len(set(reference) | set(week))
    return {
        "psi": round(nlp.population_stability_index(reference, week), 4),
        "psi_noise": round(psi_noise_floor(bins, sum(week.values())), 4),
    }


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: round(v / total, 4) for k, v in sorted(counts.items())} if total else {}


def _category_figures(start: Any, end: Any, ref: dict[str, Any]) -> dict[str, Any]:
    counts = _counts(Analysis.category, start, end)
    n = sum(counts.values())
    mean, below = db.session.execute(
        select(
            func.avg(Analysis.category_confidence),
            func.sum(func.cast(Analysis.category_uncertain, Integer)),
        ).where(_week_filter(), Submission.created_at >= start, Submission.created_at < end)
    ).one()
    return {
        "n": n,
        "mix": _shares(counts),
        "reference_mix": ref.get("category_mix", {}),
        **_psi(ref.get("category_mix"), counts),
        "mean_confidence": round(float(mean), 4) if n and mean is not None else None,
        "reference_mean_confidence": ref.get("mean_confidence"),
        "share_below_threshold": round(int(below or 0) / n, 4) if n else None,
        "reference_share_below_threshold": ref.get("share_below_threshold"),
        "routing_threshold": ref.get("routing_threshold"),
        "reference_oov_rate": ref.get("oov_rate"),
    }


def compute_report(monday: date) -> dict[str, Any]:
    """Figures, warnings and model versions of the week starting ``monday`` (not stored)."""
    monday = week_start_of(monday)
    start, end = week_bounds(monday)
    refs = {kind: nlp.load_reference(reference_dir(kind)) or {} for kind in KINDS}
    category = _category_figures(start, end, refs["category"])
    sentiment_counts = _counts(Analysis.sentiment_label, start, end)
    sentiment = {
        "n": sum(sentiment_counts.values()),
        "mix": _shares(sentiment_counts),
        "reference_mix": refs["sentiment"].get("sentiment_mix", {}),
        **_psi(refs["sentiment"].get("sentiment_mix"), sentiment_counts),
        "reference_oov_rate": refs["sentiment"].get("oov_rate"),
    }
    n = int(category["n"])
    rates, sampled = _oov_rates(start, end, monday) if n else (dict.fromkeys(KINDS), 0)
    category["oov_rate"] = None if rates["category"] is None else round(rates["category"], 4)
    sentiment["oov_rate"] = None if rates["sentiment"] is None else round(rates["sentiment"], 4)
    figures = {
        "week_start": monday.isoformat(),
        "n_analyses": n,
        "no_data": n == 0,
        "small_sample": 0 < n < SMALL_SAMPLE,
        "oov_sample": sampled,
        "category": category,
        "sentiment": sentiment,
    }
    versions = {
        "reference": {kind: refs[kind].get("model_version") for kind in KINDS},
        "analyses": _counts(Analysis.model_version, start, end),
    }
    warnings = [w.as_json() for w in drift_warnings(figures)] if n else []
    return {
        "week_start": monday,
        "model_versions": versions,
        "figures": figures,
        "warnings": warnings,
    }


def store_report(report: dict[str, Any], kind: str = WEEKLY) -> int:
    """Insert or replace the report of its week; return the row's id.

    One row per (week_start, kind), even when two runs race: INSERT ... ON CONFLICT DO UPDATE
    on the unique constraint.
    """
    values = {
        "week_start": report["week_start"],
        "kind": kind,
        "model_versions": report["model_versions"],
        "figures": report["figures"],
        "warnings": report["warnings"],
        "computed_at": utcnow(),
    }
    table = DriftReport.__table__
    dialect: Any = postgresql if is_postgresql() else sqlite
    statement = dialect.insert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.week_start, table.c.kind],
        set_={
            k: statement.excluded[k]
            for k in ("model_versions", "figures", "warnings", "computed_at")
        },
    ).returning(table.c.id)
    report_id = int(db.session.execute(statement).scalar_one())
    db.session.commit()
    return report_id


def recent_reports(weeks: int = 12, kind: str = WEEKLY) -> list[DriftReport]:
    """The stored reports of the last ``weeks`` weeks (newest first)."""
    return list(
        db.session.scalars(
            select(DriftReport)
            .where(DriftReport.kind == kind)
            .order_by(DriftReport.week_start.desc())
            .limit(weeks)
        )
    )


def last_complete_week() -> date:
    """The Monday of the last full Beijing week (the weekly job reports on it)."""
    today = utcnow().astimezone(SHANGHAI).date()
    return date.fromordinal(week_start_of(today).toordinal() - 7)
