"""CitizenVoice text mining: a pure library that turns citizen messages into analyses.

Public API (stable names; the heavy models load only when ``Analyzer.load()`` is called)::

    from nlp import Analyzer
    analyzer = Analyzer.load()                 # or Analyzer.load(Path("retrained-models"))
    result = analyzer.analyze("小区噪音扰民", "楼下餐馆每晚营业到凌晨……")
    result.category, result.sentiment_label, result.keywords, result.urgent

Building blocks, usable on their own: ``normalize``, ``redact``, ``Segmenter``,
``KeywordExtractor`` / ``textrank``, ``UrgencyDetector``. The category and sentiment models
live in ``nlp.classify`` and ``nlp.sentiment``; near-duplicates in ``nlp.dedup``; topics in
``nlp.topics``; reply quality in ``nlp.reply_quality``. Command line: ``python -m nlp``.

The package never imports Flask, SQLAlchemy, RQ, Redis or the application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nlp.keywords import KeywordExtractor, textrank
from nlp.normalize import normalize
from nlp.redact import Redaction, RedactionSpan, redact
from nlp.segment import Segmenter, default_segmenter
from nlp.urgency import Urgency, UrgencyDetector

if TYPE_CHECKING:
    from nlp.pipeline import Analysis, Analyzer

__all__ = [
    "Analysis",
    "Analyzer",
    "KeywordExtractor",
    "Redaction",
    "RedactionSpan",
    "Segmenter",
    "Urgency",
    "UrgencyDetector",
    "default_segmenter",
    "normalize",
    "redact",
    "textrank",
]


def __getattr__(name: str) -> Any:
    """Import the pipeline lazily: it pulls in the models' numpy/scipy stack."""
    if name in ("Analysis", "Analyzer"):
        from nlp import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")
