"""The sentiment model card: the leave-one-domain-out table, selection, checks and notes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nlp.train.cards import card_head, provenance_lines

__all__ = ["NOTES_PATH", "sentiment_notes", "write_sentiment_card"]

# The card's notes (protocol, experiments with figures, what did not help, hotel look log) live
# in a Markdown file so they can hold tables; train_sentiment copies them into every card.
NOTES_PATH = Path(__file__).resolve().parent.parent / "data" / "sentiment_notes.md"


def sentiment_notes() -> str:
    """The notes copied into the sentiment model card (empty if the file is missing)."""
    return NOTES_PATH.read_text(encoding="utf-8").strip() if NOTES_PATH.is_file() else ""


def _table_rows(card: Mapping[str, Any]) -> list[str]:
    """Markdown rows of the leave-one-domain-out table (model vs SnowNLP on the same sample)."""
    dev = card.get("dev_metrics", {})
    lines = [
        "| held out | n | model acc | model macro-F1 | recall pos / neg | sample n | "
        "model acc (sample) | SnowNLP acc (sample) | SnowNLP macro-F1 (sample) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in dev.items():
        m = entry.get("model", entry)
        row = [name, str(m["n"]), f"{m['accuracy']:.4f}", f"{m['macro_f1']:.4f}"]
        if "recall_positive" in m:
            row.append(f"{m['recall_positive']:.3f} / {m['recall_negative']:.3f}")
        else:
            row.append("")
        if "snownlp_on_sample" in entry:
            ms, sn = entry["model_on_snownlp_sample"], entry["snownlp_on_sample"]
            row += [str(sn["n"]), f"{ms['accuracy']:.4f}", f"{sn['accuracy']:.4f}"]
            row.append(f"{sn['macro_f1']:.4f}")
        else:
            row += ["", "", "", ""]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def write_sentiment_card(out_dir: Path, card: Mapping[str, Any]) -> None:
    """Write ``card.json`` and ``MODEL_CARD.md`` (with the leave-one-domain-out table)."""
    lines = card_head(out_dir, card)
    lines.append(
        "- evaluate the stored model on a labelled CSV (text or review, label 1/0): "
        "`python -m nlp evaluate --task sentiment --data FILE.csv [--model-dir DIR]`"
    )
    lines += provenance_lines(card)
    lines += ["", "## Held-out figures", ""]
    lines += _table_rows(card)
    extra = card.get("extra", {})
    if "selection" in extra:
        sel = extra["selection"]
        lines += ["", "## Model selection (every domain but snownlp_hotel)", ""]
        lines += ["| scores | mean acc | min acc | mean macro-F1 | min macro-F1 |"]
        lines += ["| --- | --- | --- | --- | --- |"]
        for key in ("model", "model_on_snownlp_samples", "snownlp_on_samples"):
            if key in sel:
                v = sel[key]
                lines.append(
                    f"| {key} | {v['mean_accuracy']:.4f} | {v['min_accuracy']:.4f} | "
                    f"{v['mean_macro_f1']:.4f} | {v['min_macro_f1']:.4f} |"
                )
    if extra.get("tipdm_label_shares"):
        shares = extra["tipdm_label_shares"]
        lines += ["", "## Product sanity check: labels on the TipDM citizen messages", ""]
        lines.append(
            f"- n {shares['n']}: negative {shares['negative']}, neutral {shares['neutral']}, "
            f"positive {shares['positive']} (mostly complaints; no sentiment labels)"
        )
    if "artefact" in extra:
        a = extra["artefact"]
        lines += ["", "## Artefact", ""]
        lines += [f"- {k}: {v}" for k, v in a.items()]
    lines += ["", "## Split", ""]
    lines += [f"- {k}: {v}" for k, v in card.get("split", {}).items()]
    lines += ["", "## Params", "", "```json", json.dumps(card.get("params", {}), indent=1)]
    lines.append("```")
    for section in ("dev_metrics", "extra", "stored_model_check"):
        if section in card:
            lines += ["", f"## {section.replace('_', ' ').capitalize()} (JSON)", "", "```json"]
            lines.append(json.dumps(card[section], ensure_ascii=False, indent=1))
            lines.append("```")
    if "notes" in card:
        lines += ["", "## Notes", "", str(card["notes"])]
    (out_dir / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
