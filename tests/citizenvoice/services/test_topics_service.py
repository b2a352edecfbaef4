"""Nightly topics and hourly hot issues over recently analysed messages (real texts)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Analysis, TopicSnapshot
from citizenvoice.services.analysis import analyse_submission
from citizenvoice.services.topics import MIN_DOCUMENTS, refresh_hot_issues, refresh_topics


def _real_texts(n: int) -> list[str]:
    from nlp.datasets import data_dir, load_messages

    if data_dir(required=False) is None:
        pytest.skip("shared data not present")
    texts = [
        m.text for m in load_messages() if m.text_source == "original" and 30 <= len(m.text) <= 600
    ]
    return texts[:n]


def test_topics_label_messages_and_rank_hot_topics(seeded, analyzer):
    ids = [file_submission(seeded, text) for text in _real_texts(120)]
    with seeded.app_context():
        for case_id in ids:
            analyse_submission(case_id, analyzer)
        db.session.commit()
        snapshot = refresh_topics(days=1)
        db.session.commit()
        assert snapshot is not None and snapshot.documents == 120
        assert snapshot.n_topics == len(snapshot.topics) >= 2
        assert sum(t["count"] for t in snapshot.topics) == 120
        labelled = db.session.scalar(
            select(func.count()).select_from(Analysis).where(Analysis.topic_label.is_not(None))
        )
        assert labelled >= 100
        assert snapshot.hot_topics and snapshot.hot_topics[0]["volume"] >= 1
        assert {t["label"] for t in snapshot.topics} >= {h["key"] for h in snapshot.hot_topics}
        again = refresh_hot_issues()
        assert again is not None and again.hot_refreshed_at is not None


def test_too_few_messages_store_no_snapshot(seeded, analyzer):
    ids = [file_submission(seeded, text) for text in _real_texts(MIN_DOCUMENTS - 1)]
    with seeded.app_context():
        for case_id in ids:
            analyse_submission(case_id, analyzer)
        db.session.commit()
        assert refresh_topics(days=1) is None
        assert db.session.scalar(select(func.count()).select_from(TopicSnapshot)) == 0
