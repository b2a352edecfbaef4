"""What both trainers share: reading a (gzipped) CSV, the non-word pattern and the metrics."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["NON_WORD", "classification_metrics", "open_text"]

#: Runs of characters that are neither letters nor digits: removed to compare texts.
NON_WORD = re.compile(r"[\W_]+")


def open_text(path: Path) -> Any:
    """Open a UTF-8 text file (``.gz`` decompressed) for the csv module; a BOM is dropped."""
    import gzip

    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix (rows true, columns predicted)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

    names = sorted(set(y_true) | set(y_pred)) if labels is None else list(labels)
    per_class = f1_score(y_true, y_pred, labels=names, average=None, zero_division=0)
    seen = set(y_true) | set(y_pred)  # as scikit-learn: classes in truth or predictions
    present = [k for k, name in enumerate(names) if name in seen]
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(np.mean([per_class[k] for k in present])), 4),
        "per_class_f1": {name: round(float(per_class[k]), 4) for k, name in enumerate(names)},
        "confusion_matrix": {
            "labels": names,
            "matrix": confusion_matrix(y_true, y_pred, labels=names).tolist(),
        },
        "n": len(y_true),
    }
