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
new messages is. The files are committed: the product reads them and never needs the data.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from nlp.datasets import load_messages
from nlp.drift import REFERENCE_FILE, SHIPPED_MODELS_DIR, label_mix, model_vocabulary, oov_rate

__all__ = ["compute_references", "write_references"]

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


def compute_references(models: Path, data: Path | None = None) -> dict[str, dict[str, Any]]:
    """The reference of each model kind ("category", "sentiment") in ``models``."""
    from nlp.pipeline import Analyzer, is_analyzable

    category_dir, sentiment_dir = models / "category", models / "sentiment"
    rows = _dev_rows(category_dir)
    messages = [m for m in load_messages(data) if rows is None or m.row in rows]
    items = [(m.title, m.text) for m in messages if is_analyzable(m.title, m.text)]
    analyzer = Analyzer.load(models)
    results = []
    for start in range(0, len(items), _BATCH):
        results.extend(analyzer.analyze_batch(items[start : start + _BATCH]))
    tokens = [t for r in results for t in r.tokens]
    threshold = float(analyzer.classifier.uncertain_threshold_)
    n = len(results)
    common = {
        "data": "tipdm2020c/messages.csv.gz, category dev split" if rows else "tipdm2020c",
        "n_messages": n,
        "n_tokens": len(tokens),
        "computed": date.today().isoformat(),
    }
    category = {
        **common,
        "kind": "category",
        "model_version": _version(category_dir),
        "category_mix": label_mix(r.category for r in results),
        "mean_confidence": sum(r.category_confidence for r in results) / n,
        "routing_threshold": threshold,
        "share_below_threshold": sum(1 for r in results if r.category_uncertain) / n,
        "oov_rate": oov_rate(tokens, model_vocabulary(category_dir)),
    }
    sentiment = {
        **common,
        "kind": "sentiment",
        "model_version": _version(sentiment_dir),
        "sentiment_mix": label_mix(r.sentiment_label for r in results),
        "mean_score": sum(r.sentiment for r in results) / n,
        "oov_rate": oov_rate(tokens, model_vocabulary(sentiment_dir)),
    }
    return {"category": category, "sentiment": sentiment}


def write_references(models: Path | None = None, data: Path | None = None) -> dict[str, Any]:
    """Compute and write ``reference.json`` beside each model; return what was written."""
    root = models if models is not None else SHIPPED_MODELS_DIR
    refs = compute_references(root, data)
    for kind, ref in refs.items():
        path = root / kind / REFERENCE_FILE
        path.write_text(
            json.dumps(ref, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return refs
