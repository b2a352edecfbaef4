"""Retraining a challenger from the product's labels into the model registry.

The labels store gives the labels of one kind in time order; the newest share
(``domain.model_registry.NEWEST_SHARE``) is held out as the newest in-product slice and never
trained on, the rest joins the shipped corpora (``nlp.retrain_model``). With a centre's own
category tree (services.taxonomy) the category challenger learns the tree's labels
(``centre_classes``). Weak labels train at ``WEAK_LABEL_FACTOR`` of their weight. The files go
to ``MODEL_REGISTRY_DIR/<kind>/<version>/`` with their card and a ``SHA256SUMS`` file; the row
records metrics and checksums. Training runs outside any transaction: reading the labels
commits first, the new row is one short write.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

import nlp
from citizenvoice.domain.labels import LabelKind
from citizenvoice.domain.model_registry import (
    KINDS,
    NEWEST_SHARE,
    split_newest,
    training_weight,
    version_name,
)
from citizenvoice.extensions import db
from citizenvoice.models import ModelVersion, TrainingLabel
from citizenvoice.models.base import utcnow
from citizenvoice.services.audit import record
from citizenvoice.services.labels import labels_for_training
from citizenvoice.services.model_registry import (
    CHECKSUM_FILE,
    RegistryError,
    champion_dirs,
    file_checksums,
)
from citizenvoice.services.taxonomy import tree_classes

__all__ = ["centre_classes", "newest_slice_figures", "retrain"]

Example = tuple[str, str, str, float]


def _example(label: TrainingLabel) -> Example:
    return (
        label.title or "",
        label.text,
        label.label,
        training_weight(label.strength, label.weight),
    )


def _registry_dir() -> Path:
    return Path(current_app.config["MODEL_REGISTRY_DIR"]).resolve()


def _new_version(kind: str) -> str:
    taken = list(
        db.session.scalars(
            select(ModelVersion.version).where(ModelVersion.version.like(f"{kind}-%"))
        )
    )
    return version_name(kind, utcnow(), taken)


def _write_checksums(directory: Path) -> dict[str, str]:
    sums = file_checksums(directory)
    lines = [f"{digest}  {name}" for name, digest in sums.items()]
    (directory / CHECKSUM_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sums


def retrain(
    kind: str,
    *,
    shipped_limit: int | None = None,
    share: float = NEWEST_SHARE,
    actor: str = "cli",
) -> ModelVersion:
    """Train a ``kind`` challenger on the shipped corpora and the product's labels; store it.

    ``shipped_limit`` trains on a small even sample of the shipped corpus (tests). Returns the
    committed challenger row.
    """
    if kind not in KINDS:
        raise RegistryError(f"未知的模型类型 {kind[:40]!r}，应为 category 或 sentiment。")
    labels, classes = centre_classes(labels_for_training(LabelKind(kind)), kind)
    train, newest = split_newest(labels, share)
    extra, held = [_example(label) for label in train], [_example(label) for label in newest]
    held_ids = [label.id for label in newest]
    version = _new_version(kind)
    baseline = champion_dirs().get(kind)
    db.session.commit()  # no transaction stays open during training
    out_dir = _registry_dir() / kind / version
    data_dir = current_app.config.get("DATA_DIR")
    try:
        card = nlp.retrain_model(
            kind,
            extra,
            held,
            out_dir,
            version,
            baseline_dir=Path(baseline) if baseline else None,
            shipped_limit=shipped_limit,
            data_dir=Path(data_dir) if data_dir else None,
            classes=classes,
        )
    except Exception:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    row = ModelVersion(
        kind=kind,
        version=version,
        status="challenger",
        dir=str(out_dir),
        metrics=card["metrics"],
        card={**card, "newest_label_ids": held_ids},
        checksums=_write_checksums(out_dir),
    )
    db.session.add(row)
    record(actor, "model_retrain", "model_version", version, _audit_details(card["metrics"]))
    db.session.commit()
    return row


def centre_classes(
    labels: list[TrainingLabel], kind: str
) -> tuple[list[TrainingLabel], list[str] | None]:
    """The labels a category challenger learns and its class set, from the centre's tree.

    Without a tree (or for sentiment): every label, and no class set (the shipped seven).
    With one: the labels naming a tree category, and every tree label at the levels those
    labels use (level 1 when there are none), so shipped rows of those names are kept.
    """
    classes = tree_classes({label.label for label in labels}) if kind == "category" else None
    if classes is None:
        return labels, None
    known = set(classes)
    return [label for label in labels if label.label in known], classes


def _audit_details(metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "dev_macro_f1": (metrics.get("dev") or {}).get("macro_f1"),
        "newest_score": (metrics.get("newest") or {}).get("score"),
        "n_product_train": metrics.get("n_product_train"),
        "n_product_newest": metrics.get("n_product_newest"),
    }


def newest_slice_figures(row: ModelVersion, model_dir: Path | None) -> dict[str, Any]:
    """The newest-slice figure of the model in ``model_dir`` (None: shipped) on ``row``'s slice.

    The slice is the labels ``row`` held out when it was trained, read again by id (labels
    removed since then are simply missing).
    """
    ids = list(row.card.get("newest_label_ids") or [])
    labels = (
        list(
            db.session.scalars(
                select(TrainingLabel)
                .where(TrainingLabel.id.in_(ids))
                .order_by(TrainingLabel.labelled_at, TrainingLabel.id)
            )
        )
        if ids
        else []
    )
    if not labels:  # nothing to measure: no need to load the model
        measure = "macro_f1" if row.kind == "category" else "accuracy"
        return {"measure": measure, "score": None, "n": 0}
    result: dict[str, Any] = nlp.evaluate_examples(
        row.kind, model_dir, [_example(label) for label in labels]
    )
    return result
