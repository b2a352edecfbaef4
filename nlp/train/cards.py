"""Model cards: ``card.json`` and ``MODEL_CARD.md`` beside every trained model directory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["CARD_FILE", "card_head", "write_card"]

CARD_FILE = "card.json"


def card_head(out_dir: Path, card: Mapping[str, Any]) -> list[str]:
    """Write ``card.json`` and return the lines every ``MODEL_CARD.md`` starts with.

    Those are the title, the facts (date, random state, data, size) and how to retrain.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CARD_FILE).write_text(
        json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    lines = [f"# Model card: {card['model']} ({card['version']})", ""]
    for key in ("date", "random_state", "data", "n_documents"):
        if key in card:
            lines.append(f"- {key}: {card[key]}")
    lines += ["", "## Reproduce", ""]
    lines.append(
        f"- train: `python -m nlp train {card['model']} --out DIR --random-state "
        f"{card['random_state']}` (shared data when --data is omitted)"
    )
    return lines


def write_card(out_dir: Path, card: dict[str, Any]) -> None:
    """Write ``card.json`` and a human-readable ``MODEL_CARD.md`` beside the model."""
    lines = card_head(out_dir, card)
    if card["model"] == "category":
        lines.append(
            "- dev figures of the stored model: `pytest tests/nlp/test_classify.py -k dev`"
        )
    dev = card.get("dev_metrics", {})
    if "per_class_f1" in dev:
        lines += ["", "## Dev split (grouped hold-out)", "", "| class | F1 |", "| --- | --- |"]
        lines += [f"| {k} | {v:.4f} |" for k, v in dev["per_class_f1"].items()]
        lines.append(f"| **macro-F1** | **{dev['macro_f1']:.4f}** |")
        lines.append(f"| accuracy | {dev['accuracy']:.4f} |")
    elif dev:
        lines += ["", "## Held-out figures", "", "| held out | model acc | model macro-F1 |"]
        lines.append("| --- | --- | --- |")
        for name, entry in dev.items():
            m = entry.get("model", entry)
            lines.append(f"| {name} | {m['accuracy']:.4f} | {m['macro_f1']:.4f} |")
    lines += ["", "## Split", ""]
    split = {k: v for k, v in card.get("split", {}).items() if not k.endswith("_rows")}
    lines += [f"- {k}: {v}" for k, v in split.items()]
    for section in ("cross_validation", "dev_metrics", "stored_model_check", "extra"):
        if section in card:
            lines += ["", f"## {section.replace('_', ' ').capitalize()}", "", "```json"]
            lines.append(json.dumps(card[section], ensure_ascii=False, indent=1))
            lines.append("```")
    if "notes" in card:
        lines += ["", "## Notes", "", str(card["notes"])]
    (out_dir / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
