"""What every job shares: the app context it runs in, the nlp Analyzer, its one log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context
from rq.timeouts import JobTimeoutException

from citizenvoice.extensions import db

if TYPE_CHECKING:
    from nlp import Analyzer

__all__ = [
    "app_context",
    "discard_transaction_after",
    "get_analyzer",
    "log_job",
    "score_new_in_shadow",
]

log = logging.getLogger("citizenvoice.jobs")


# The champion directories (category, sentiment) last read from the registry.
_last_champions: tuple[str | None, str | None] = (None, None)


@lru_cache(maxsize=1)
def _analyzer_for(
    model_dir: str | None, category_dir: str | None = None, sentiment_dir: str | None = None
) -> Analyzer:
    # Imported here: the web process (queue mode) never loads the models.
    from nlp import Analyzer

    def path(value: str | None) -> Path | None:
        return Path(value) if value else None

    return Analyzer.load(
        path(model_dir), category_dir=path(category_dir), sentiment_dir=path(sentiment_dir)
    )


def get_analyzer() -> Analyzer:
    """The process-wide nlp Analyzer with the registry's current champions.

    Called once per batch: one indexed query reads the champion directories (no Redis needed),
    and the cached Analyzer is replaced only when they changed, so a promotion or rollback is
    picked up by the next batch without a restart.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from citizenvoice.services.model_registry import champion_dirs

    global _last_champions
    try:
        dirs = champion_dirs()
        _last_champions = (dirs.get("category"), dirs.get("sentiment"))
    except SQLAlchemyError as exc:
        # The database is away (a worker warming up during an outage): keep the models in
        # hand; the next batch asks again.
        db.session.rollback()
        log.warning("model registry not readable (%s): keeping the current models", exc.code)
    return _analyzer_for(current_app.config.get("NLP_MODEL_DIR"), *_last_champions)


@lru_cache(maxsize=2)
def _shadow_analyzer_for(
    model_dir: str | None, category_dir: str | None, sentiment_dir: str | None
) -> Analyzer:
    """A challenger's Analyzer, cached per version apart from the champion's one."""
    return _analyzer_for.__wrapped__(model_dir, category_dir, sentiment_dir)


def score_new_in_shadow(submission_ids: list[int]) -> None:
    """Score newly analysed submissions with the challengers in shadow, and commit.

    Called after the batch's own commit: shadow mode is extra work that must never fail or
    roll back an analysis, so any error here is logged and dropped.
    """
    from citizenvoice.services.model_shadow import score_in_shadow

    def analyzer_for(kind: str, directory: str) -> Analyzer:
        category, sentiment = _last_champions
        if kind == "category":
            category = directory
        else:
            sentiment = directory
        return _shadow_analyzer_for(current_app.config.get("NLP_MODEL_DIR"), category, sentiment)

    try:
        stored = score_in_shadow(submission_ids, analyzer_for)
        db.session.commit()
    except JobTimeoutException:
        raise
    except Exception as exc:  # shadow mode is best effort by design
        db.session.rollback()
        log.warning("shadow scoring skipped: %s", type(exc).__name__)
        return
    if stored:
        log.info("shadow scored=%d", stored)


@contextmanager
def app_context() -> Iterator[Flask]:
    """The app the worker (or the in-process runner) pushed; jobs never build their own."""
    if not has_app_context():
        raise RuntimeError(
            "CitizenVoice jobs run inside an app context: start workers with python worker.py"
        )
    try:
        yield current_app._get_current_object()  # type: ignore[attr-defined]
    except JobTimeoutException:
        discard_transaction_after(JobTimeoutException())
        raise


def discard_transaction_after(exc: BaseException) -> None:
    """Roll back a failed job's transaction; after a timeout, throw its connection away.

    RQ's timeout is an exception raised from a signal handler: when it strikes while psycopg
    waits for a result, the connection is left mid-command and cannot even roll back (nor be
    used by the next job of this worker), so the session invalidates it instead.
    """
    if isinstance(exc, JobTimeoutException):
        db.session().invalidate()
    else:
        db.session.rollback()


def log_job(name: str, started: float, **fields: Any) -> None:
    """One structured line per job: name, duration and the outcome's fields."""
    parts = " ".join(f"{key}={value}" for key, value in fields.items())
    log.info("job=%s duration_ms=%.1f %s", name, (time.perf_counter() - started) * 1000, parts)
