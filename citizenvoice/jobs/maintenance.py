"""Housekeeping jobs: topics, hot issues, search index, auto-close, duplicates, photos.

Photos: residents' uploads never attached to a case (docs/photos.md). Each loads nothing but
its window, calls one service, commits and logs one line.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from rq import get_current_job

from citizenvoice.extensions import db
from citizenvoice.jobs.base import app_context, log_job
from citizenvoice.models.base import utcnow
from citizenvoice.services.cases import merge_search_index
from citizenvoice.services.duplicates import regroup_window
from citizenvoice.services.media import prune_unattached
from citizenvoice.services.media_storage import storage_from_setting
from citizenvoice.services.topics import refresh_hot_issues, refresh_topics
from citizenvoice.services.workflow import close_unanswered

__all__ = [
    "auto_close_job",
    "clean_search_index_job",
    "prune_media_job",
    "refresh_duplicate_groups_job",
    "refresh_hot_issues_job",
    "refresh_topics_job",
]


def refresh_topics_job(days: int = 30) -> dict[str, Any]:
    """Nightly: fit the topic model over the last ``days`` days and label the messages."""
    started = time.perf_counter()
    job = get_current_job()
    with app_context():
        snapshot = refresh_topics(days)
        db.session.commit()
        result: dict[str, Any] = (
            {"documents": snapshot.documents, "topics": snapshot.n_topics}
            if snapshot
            else {"documents": 0, "topics": 0}
        )
        db.session.remove()
    if job is not None:
        job.meta.update({"done": 1, "total": 1})
        job.save_meta()  # type: ignore[no-untyped-call]
    log_job("refresh_topics", started, **result)
    return result


def refresh_hot_issues_job() -> dict[str, int]:
    """Hourly: recompute the hot-issue index of topics and duplicate groups."""
    started = time.perf_counter()
    with app_context():
        snapshot = refresh_hot_issues()
        db.session.commit()
        counts = (
            {"hot_topics": len(snapshot.hot_topics), "hot_groups": len(snapshot.hot_groups)}
            if snapshot
            else {}
        )
        db.session.remove()
    log_job("refresh_hot_issues", started, **counts)
    return counts


def clean_search_index_job() -> dict[str, int]:
    """Hourly: merge the search index's pending list (new analyses only append to it)."""
    started = time.perf_counter()
    with app_context():
        pages = merge_search_index()
        db.session.commit()
        db.session.remove()
    log_job("clean_search_index", started, pages=pages)
    return {"pages": pages}


def auto_close_job() -> dict[str, int]:
    """Daily: close replied cases the resident did not follow up in time ("no response")."""
    started = time.perf_counter()
    with app_context():
        closed = close_unanswered()
        db.session.commit()
        db.session.remove()
    log_job("auto_close", started, closed=len(closed))
    return {"closed": len(closed)}


def refresh_duplicate_groups_job(days: int = 30) -> dict[str, int]:
    """Hourly: rebuild duplicate groups of the last ``days`` from stored signatures."""
    started = time.perf_counter()
    with app_context():
        end = utcnow() + timedelta(seconds=1)
        changed = regroup_window(end - timedelta(days=days), end)
        db.session.commit()
        db.session.remove()
    log_job("refresh_duplicate_groups", started, changed=changed, days=days)
    return {"changed": changed}


def prune_media_job() -> dict[str, int]:
    """Daily: delete photos uploaded but never attached within MEDIA_UNATTACHED_HOURS."""
    started = time.perf_counter()
    with app_context() as app:
        hours = float(app.config["MEDIA_UNATTACHED_HOURS"])
        removed = prune_unattached(
            storage_from_setting(app.config),
            older_than=utcnow() - timedelta(hours=hours),
        )
        db.session.commit()
        db.session.remove()
    log_job("prune_media", started, removed=removed)
    return {"removed": removed}
