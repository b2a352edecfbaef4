"""Chinese word segmentation with a private jieba.Tokenizer and the government dictionary.

Interface contract used by every other nlp module (extend, do not break):
``Segmenter().cut(text) -> list[str]`` all tokens in order;
``Segmenter().content_tokens(text) -> list[str]`` tokens without stopwords, punctuation and
whitespace, the input of classifiers, keywords, topics and duplicate detection.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jieba

__all__ = ["DATA_DIR", "Segmenter"]

DATA_DIR = Path(__file__).resolve().parent / "data"


class Segmenter:
    """A jieba tokenizer of our own (never jieba's global one) plus a stopword list."""

    def __init__(self, user_dicts: list[Path] | None = None, stopwords: Path | None = None) -> None:
        jieba.setLogLevel(logging.WARNING)
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()
        for path in user_dicts if user_dicts is not None else sorted(DATA_DIR.glob("gov_dict*.txt")):
            self._tokenizer.load_userdict(str(path))
        stop_path = stopwords if stopwords is not None else DATA_DIR / "stopwords.txt"
        self.stopwords: frozenset[str] = (
            frozenset(w.strip() for w in stop_path.read_text(encoding="utf-8").splitlines() if w.strip())
            if stop_path.exists()
            else frozenset()
        )

    def cut(self, text: str) -> list[str]:
        """Return every token of ``text`` in order (HMM on for unknown words)."""
        return [t for t in self._tokenizer.lcut(text, HMM=True)]

    def content_tokens(self, text: str) -> list[str]:
        """Return the tokens that carry meaning: no stopwords, punctuation or whitespace."""
        return [t for t in self.cut(text) if t.strip() and t not in self.stopwords and _is_wordlike(t)]


def _is_wordlike(token: str) -> bool:
    return any(ch.isalnum() for ch in token)
