"""The drift report compares against the champion's own reference (issue 22).

A retrain writes the new version's ``reference.json`` into its registry directory (computed
like the shipped one's, on the shipped reference corpus); once that version is promoted the
weekly report's reference figures are its own, and back to the shipped ones after a rollback.
A version without a reference falls back to the shipped one. Runs on PostgreSQL and SQLite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from factories import make_model_version
from flask import Flask
from sqlalchemy import select

import nlp
from citizenvoice.domain.labels import LabelKind, LabelSource
from citizenvoice.extensions import db
from citizenvoice.models import ModelVersion
from citizenvoice.services.drift import compute_report, reference_dir
from citizenvoice.services.labels import LabelInput, record_labels
from citizenvoice.services.model_registry import file_checksums, promote, rollback
from nlp.datasets import data_dir
from nlp.drift import REFERENCE_FILE

WEEK = date(2026, 11, 2)
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
TEXTS = [
    ("城乡建设", "小区电梯一个月坏了四次，物业不修，请住建部门督促"),
    ("环境保护", "化工厂夜里偷排废气，气味刺鼻，请环保部门查处"),
    ("交通运输", "公交线路取消后上班要换乘三次，请恢复原线路"),
    ("教育文体", "学校周末组织收费补课，家长负担很重"),
    ("劳动和社会保障", "公司拖欠农民工三个月工资，请人社部门帮忙讨薪"),
]


@pytest.fixture
def app(db_app: Flask, tmp_path: Path) -> Flask:
    """Both databases, the registry in a temporary folder."""
    db_app.config["MODEL_REGISTRY_DIR"] = str(tmp_path / "registry")
    return db_app


def _shipped(kind: str) -> dict:
    reference = nlp.load_reference(nlp.SHIPPED_MODELS_DIR / kind)
    assert reference is not None
    return reference


@pytest.mark.slow
@pytest.mark.skipif(data_dir(required=False) is None, reason="shared data not available")
def test_a_promoted_retrained_version_is_the_drift_reference(app: Flask):
    from citizenvoice.services.model_retrain import retrain

    items = [
        LabelInput(
            kind=LabelKind.CATEGORY,
            source=LabelSource.IMPORT,
            text=f"{text}（第{n}次）",
            label=label,
            labelled_at=T0 + timedelta(hours=n * len(TEXTS) + k),
            reference=f"test:drift:{n}:{k}",
        )
        for n in range(6)
        for k, (label, text) in enumerate(TEXTS)
    ]
    with app.app_context():
        record_labels(items)
        db.session.commit()
        row = retrain("category", shipped_limit=300)
        version, directory = row.version, Path(row.dir)
        # written by the retrain itself, so it is under the version's checksums
        own = nlp.load_reference(directory)
        assert own is not None and own["model_version"] == version
        assert own["kind"] == "category" and own["n_messages"] == 75
        assert set(own) == set(_shipped("category"))  # the shipped format
        assert REFERENCE_FILE in row.checksums and file_checksums(directory) == row.checksums
        assert own["category_mix"] != _shipped("category")["category_mix"]

        assert reference_dir("category") == nlp.SHIPPED_MODELS_DIR / "category"
        promote(version, force=True, reason="测试")
        db.session.commit()
        assert reference_dir("category") == directory
        report = compute_report(WEEK)
        assert report["model_versions"]["reference"]["category"] == version
        figures = report["figures"]["category"]
        assert figures["reference_mix"] == own["category_mix"]
        assert figures["reference_mean_confidence"] == own["mean_confidence"]
        # the other kind keeps the shipped reference
        shipped_sentiment = _shipped("sentiment")
        assert (
            report["model_versions"]["reference"]["sentiment"]
            == (shipped_sentiment["model_version"])
        )

        rollback("category")
        db.session.commit()
        report = compute_report(WEEK)
        assert (
            report["figures"]["category"]["reference_mix"] == _shipped("category")["category_mix"]
        )


def test_a_champion_without_its_own_reference_falls_back_to_the_shipped_one(app: Flask):
    with app.app_context():
        make_model_version(
            app,
            "category-20261205-0300",
            {"dev": {"macro_f1": 0.9}, "newest": {"score": 0.9, "measure": "macro_f1", "n": 3}},
            reference=False,
        )
        promote("category-20261205-0300", force=True, reason="测试")
        db.session.commit()
        champion = db.session.scalars(select(ModelVersion.dir)).one()
        assert not (Path(champion) / REFERENCE_FILE).exists()
        assert reference_dir("category") == nlp.SHIPPED_MODELS_DIR / "category"
        report = compute_report(WEEK)
        assert (
            report["model_versions"]["reference"]["category"]
            == (_shipped("category")["model_version"])
        )
