"""Reference distributions of the shipped models, for the application's weekly drift report.

``python -m nlp reference [--models DIR] [--data PATH]`` runs the full pipeline (``Analyzer``)
over the category model's held-out dev messages of the shared TipDM corpus (the rows listed in
its ``card.json`` under ``split.dev_rows``; every message when the card lists none) and writes
one ``reference.json`` beside each model:

- ``category/reference.json``: predicted category mix, mean calibrated confidence, share of
  messages below the routing threshold (the model's ``uncertain_threshold``: such cases go to
  the office's routing queue), and the out-of-vocabulary rate of the content tokens against
  the category model's word vocabulary;
- ``sentiment/reference.json``: predicted sentiment label mix on the same messages (the
  service domain the product sees, not the review corpora the model learnt from) and the OOV
  rate against the sentiment model's vocabulary.

Held-out messages are used so the confidence figures are those of unseen text, as a week of
new messages is. ``write_version_reference`` writes the same figures for one retrained registry
version into its own directory, on the same corpus (the shipped model's dev split, which no
retrain trains on), so the references of every version are measured alike. The shipped
files are committed: the product reads them and never needs the data.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from nlp.datasets import load_messages
from nlp.drift import REFERENCE_FILE, SHIPPED_MODELS_DIR, label_mix, model_vocabulary, oov_rate

__all__ = ["compute_references", "write_references", "write_version_reference"]

_BATCH = 256


def _dev_rows(category_dir: Path) -> set[int] | None:
    card_path = category_dir / "card.json"
    if not card_path.is_file():
        return None
    rows = json.loads(card_path.read_text(encoding="utf-8")).get("split", {}).get("dev_rows")
    return {int(r) for r in rows} if rows else None


def _version(model_dir: Path) -> str:
    card_path = model_dir / "card.json"
    if card_path.is_file():
        return str(json.loads(card_path.read_text(encoding="utf-8")).get("version", ""))
    return ""


def _reference_messages(
    data: Path | None, limit: int | None, category_dir: Path = SHIPPED_MODELS_DIR / "category"
) -> list[tuple[str, str]]:
    """The analysable (title, text) pairs of the dev split listed in ``category_dir``'s card.

    Registry versions use the shipped card's split: a retrain never trains on those rows, so
    every version's reference is measured on the same unseen messages. ``limit`` takes at most
    that many, evenly over the split (small test trainings).
    """
    from nlp.pipeline import is_analyzable

    rows = _dev_rows(category_dir)
    messages = [m for m in load_messages(data) if rows is None or m.row in rows]
    items = [(m.title, m.text) for m in messages if is_analyzable(m.title, m.text)]
    if limit is not None and len(items) > limit:
        step = len(items) / limit
        items = [items[int(i * step)] for i in range(limit)]
    return items


def _analyse(analyzer: Any, items: list[tuple[str, str]]) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(items), _BATCH):
        results.extend(analyzer.analyze_batch(items[start : start + _BATCH]))
    return results


def _references(
    analyzer: Any, results: list[Any], dirs: dict[str, Path], limited: bool
) -> dict[str, dict[str, Any]]:
    """Both kinds' reference figures from one pass of ``analyzer`` over the reference corpus."""
    tokens = [t for r in results for t in r.tokens]
    n = len(results)
    split = "category dev split" + (" (an even sample)" if limited else "")
    common = {
        "data": f"tipdm2020c/messages.csv.gz, {split}",
        "n_messages": n,
        "n_tokens": len(tokens),
        "computed": date.today().isoformat(),
    }
    category = {
        **common,
        "kind": "category",
        "model_version": _version(dirs["category"]),
        "category_mix": label_mix(r.category for r in results),
        "mean_confidence": sum(r.category_confidence for r in results) / n,
        "routing_threshold": float(analyzer.classifier.uncertain_threshold_),
        "share_below_threshold": sum(1 for r in results if r.category_uncertain) / n,
        "oov_rate": oov_rate(tokens, model_vocabulary(dirs["category"])),
    }
    sentiment = {
        **common,
        "kind": "sentiment",
        "model_version": _version(dirs["sentiment"]),
        "sentiment_mix": label_mix(r.sentiment_label for r in results),
        "mean_score": sum(r.sentiment for r in results) / n,
        "oov_rate": oov_rate(tokens, model_vocabulary(dirs["sentiment"])),
    }
    return {"category": category, "sentiment": sentiment}


def compute_references(models: Path, data: Path | None = None) -> dict[str, dict[str, Any]]:
    """The reference of each model kind ("category", "sentiment") in ``models``."""
    from nlp.pipeline import Analyzer

    dirs = {kind: models / kind for kind in ("category", "sentiment")}
    analyzer = Analyzer.load(models)
    return _references(
        analyzer, _analyse(analyzer, _reference_messages(data, None, dirs["category"])), dirs, False
    )


def _write(path: Path, ref: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(ref, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


def write_references(models: Path | None = None, data: Path | None = None) -> dict[str, Any]:
    """Compute and write ``reference.json`` beside each model; return what was written."""
    root = models if models is not None else SHIPPED_MODELS_DIR
    refs = compute_references(root, data)
    for kind, ref in refs.items():
        _write(root / kind / REFERENCE_FILE, ref)
    return refs


def write_version_reference(
    kind: str, model_dir: Path, data: Path | None = None, limit: int | None = None
) -> dict[str, Any]:
    """Write ``reference.json`` into one version's own directory (a registry version).

    The model of ``kind`` is the one in ``model_dir``, the other kind the shipped one (it does
    not enter this kind's figures); the corpus is the shipped reference corpus (see
    ``_reference_messages``), at most ``limit`` messages. Returns what was written.
    """
    from nlp.pipeline import Analyzer

    if kind not in ("category", "sentiment"):
        raise ValueError(f"unknown model kind {kind!r}")
    dirs = {k: SHIPPED_MODELS_DIR / k for k in ("category", "sentiment")}
    dirs[kind] = model_dir
    analyzer = Analyzer.load(category_dir=dirs["category"], sentiment_dir=dirs["sentiment"])
    items = _reference_messages(data, limit)
    ref = _references(analyzer, _analyse(analyzer, items), dirs, limit is not None)[kind]
    _write(model_dir / REFERENCE_FILE, ref)
    return ref
