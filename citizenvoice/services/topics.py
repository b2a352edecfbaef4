"""Topics and hot issues over recent messages (nightly topic model, hourly hot-issue index).

The topic model (nlp.TopicModel: NMF on TF-IDF of the stored jieba tokens, K chosen by
coherence) is fitted on the messages of a window; every analysed message in the window gets the
label of its topic. The hot-issue index (nlp.hot_issues: volume, growth of the recent window
against the earlier one, likes, time span) ranks topics and duplicate groups.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission, TopicSnapshot
from citizenvoice.models.base import utcnow

__all__ = ["MIN_DOCUMENTS", "current_snapshot", "refresh_hot_issues", "refresh_topics"]

# Below this many messages a topic model says nothing useful (and NMF with K >= 5 is unstable).
MIN_DOCUMENTS = 50
HOT_LIMIT = 20


def current_snapshot() -> TopicSnapshot | None:
    """The newest topic snapshot, if any."""
    return db.session.scalar(select(TopicSnapshot).order_by(TopicSnapshot.id.desc()).limit(1))


def _window_rows(start: datetime, end: datetime) -> list[tuple[int, str, datetime, str | None]]:
    return [
        (int(sid), str(tokens or ""), created, group)
        for sid, tokens, created, group in db.session.execute(
            select(
                Analysis.submission_id,
                Analysis.search_tokens,
                Submission.created_at,
                Analysis.duplicate_group,
            )
            .join(Submission, Submission.id == Analysis.submission_id)
            .where(Submission.created_at >= start, Submission.created_at < end)
            .order_by(Submission.id)
        ).tuples()
    ]


def _hot(records: list[tuple[Any, datetime, int]], now: datetime) -> list[dict[str, Any]]:
    from nlp import hot_issue_index

    return [
        {
            "key": str(issue.key),
            "index": round(issue.index, 4),
            "volume": issue.volume,
            "recent": issue.recent,
            "growth": round(issue.growth, 3),
            "likes": issue.likes,
            "span_days": round(issue.span_days, 2),
        }
        for issue in hot_issue_index(records, now=now)[:HOT_LIMIT]
    ]


def refresh_topics(
    days: int = 30, now: datetime | None = None, random_state: int = 1
) -> TopicSnapshot | None:
    """Fit topics over the last ``days`` days, label the messages, store a snapshot. Flushes.

    Returns None (and stores nothing) when the window holds fewer than MIN_DOCUMENTS messages.
    """
    from nlp import TopicModel

    end = now or utcnow()
    start = end - timedelta(days=days)
    rows = [r for r in _window_rows(start, end) if r[1].strip()]
    if len(rows) < MIN_DOCUMENTS:
        return None
    docs = [tokens.split() for _, tokens, _, _ in rows]
    model = TopicModel(random_state=random_state).fit(docs)
    weights = model.transform(docs)
    assignment = weights.argmax(axis=1)
    labels = list(model.topic_labels_)
    counts = [int((assignment == k).sum()) for k in range(len(labels))]
    for k, label in enumerate(labels):
        ids = [
            rows[i][0] for i in range(len(rows)) if int(assignment[i]) == k and weights[i].max() > 0
        ]
        for chunk in range(0, len(ids), 1000):
            db.session.execute(
                update(Analysis)
                .where(Analysis.submission_id.in_(ids[chunk : chunk + 1000]))
                .values(topic_label=label)
            )
    snapshot = TopicSnapshot(
        window_start=start,
        window_end=end,
        documents=len(rows),
        n_topics=len(labels),
        model={"k": len(labels), "coherence": getattr(model, "coherence_", None)},
        topics=[
            {
                "id": k,
                "label": labels[k],
                "words": [w for w, _ in model.topic_words_[k]],
                "count": counts[k],
            }
            for k in range(len(labels))
        ],
    )
    db.session.add(snapshot)
    db.session.flush()
    refresh_hot_issues(snapshot, end)
    return snapshot


def refresh_hot_issues(
    snapshot: TopicSnapshot | None = None, now: datetime | None = None
) -> TopicSnapshot | None:
    """Recompute the hot-issue index of topics and duplicate groups for a snapshot's window."""
    snapshot = snapshot or current_snapshot()
    if snapshot is None:
        return None
    end = now or utcnow()
    start = snapshot.window_start
    topic_rows = db.session.execute(
        select(Analysis.topic_label, Submission.created_at)
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.topic_label.is_not(None),
        )
    ).tuples()
    snapshot.hot_topics = _hot([(label, created, 0) for label, created in topic_rows], end)
    group_rows = [(g, c, 0) for _, _, c, g in _window_rows(start, end) if g]
    sizes: dict[str, int] = {}
    for group, _, _ in group_rows:
        sizes[group] = sizes.get(group, 0) + 1
    snapshot.hot_groups = _hot([r for r in group_rows if sizes[r[0]] >= 2], end)
    snapshot.hot_refreshed_at = utcnow()
    db.session.flush()
    return snapshot
