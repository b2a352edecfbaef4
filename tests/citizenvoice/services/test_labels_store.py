"""The labels store: redaction, strength by source, one row per label, time order, races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from citizenvoice.domain.labels import LabelKind, LabelSource, LabelStrength, strength_of
from citizenvoice.extensions import db
from citizenvoice.models import TrainingLabel
from citizenvoice.services.labels import (
    LabelInput,
    count_labels,
    labels_for_training,
    record_labels,
)


@pytest.fixture
def app(db_app: Flask) -> Flask:
    """Both databases: the store's upsert is dialect-specific SQL."""
    return db_app


T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _label(text: str, label: str, *, at: datetime = T0, **kw) -> LabelInput:
    return LabelInput(
        kind=kw.pop("kind", LabelKind.CATEGORY),
        source=kw.pop("source", LabelSource.IMPORT),
        text=text,
        label=label,
        labelled_at=at,
        **kw,
    )


def test_strength_follows_the_source():
    assert strength_of(LabelSource.IMPORT) is LabelStrength.STRONG
    assert strength_of(LabelSource.STAFF_CORRECTION) is LabelStrength.STRONG
    assert strength_of("routing") is LabelStrength.STRONG
    assert strength_of(LabelSource.RATING) is LabelStrength.WEAK
    assert strength_of(LabelSource.FOLLOW_UP) is LabelStrength.WEAK
    with pytest.raises(ValueError):
        strength_of("gossip")


def test_texts_are_stored_redacted_and_strength_is_set(app: Flask):
    with app.app_context():
        record_labels(
            [_label("小区噪音扰民，请联系13812345678", "城乡建设", title="噪音 13812345678")]
        )
        db.session.commit()
        row = db.session.scalars(select(TrainingLabel)).one()
        assert "13812345678" not in row.text and "13812345678" not in row.title
        assert row.strength == "strong" and row.source == "import" and row.kind == "category"
        assert row.labelled_at == T0


def test_recording_again_replaces_instead_of_adding(app: Flask):
    with app.app_context():
        first = _label("路灯坏了", "城乡建设", reference="row-1")
        assert record_labels([first, first]) == 1
        db.session.commit()
        later = _label("路灯坏了", "交通运输", reference="row-1", at=T0 + timedelta(days=1))
        record_labels([later])
        db.session.commit()
        rows = db.session.scalars(select(TrainingLabel)).all()
        assert [(r.label, r.labelled_at) for r in rows] == [("交通运输", T0 + timedelta(days=1))]


def test_training_reads_in_time_order_and_stops_at_until(app: Flask):
    with app.app_context():
        record_labels(
            [
                _label("第三条", "c", at=T0 + timedelta(days=2)),
                _label("第一条", "a", at=T0),
                _label("第二条", "b", at=T0 + timedelta(days=1)),
                _label("好评", "pos", kind=LabelKind.SENTIMENT, source=LabelSource.RATING),
            ]
        )
        db.session.commit()
        ordered = labels_for_training(LabelKind.CATEGORY)
        assert [r.label for r in ordered] == ["a", "b", "c"]
        early = labels_for_training(LabelKind.CATEGORY, until=T0 + timedelta(days=2))
        assert [r.label for r in early] == ["a", "b"]
        weak = labels_for_training(LabelKind.SENTIMENT, strength="weak")
        assert [r.label for r in weak] == ["pos"]
        assert count_labels() == {
            ("category", "import", "strong"): 3,
            ("sentiment", "rating", "weak"): 1,
        }


def test_hostile_text_loses_only_control_characters(app: Flask):
    hostile = "=1+1\x00\r\n" + "长" * 20_000
    with app.app_context():
        record_labels([_label(hostile, "城乡建设")])
        db.session.commit()
        assert db.session.scalars(select(TrainingLabel.text)).one() == hostile.replace("\x00", "")


def test_two_imports_of_one_file_at_once_store_each_label_once(app: Flask):
    batch = [_label(f"第{i}条留言", "城乡建设", reference=f"row-{i}") for i in range(300)]

    def import_once(_: int) -> int:
        with app.app_context():
            written = record_labels(batch)
            db.session.commit()
            return written

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(import_once, range(2))) == [300, 300]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TrainingLabel)) == 300
