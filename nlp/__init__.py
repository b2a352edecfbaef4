"""CitizenVoice text mining: a pure library that turns citizen messages into analyses.

Public API (everything in ``__all__``; other modules are internal and may change)::

    from nlp import Analyzer
    analyzer = Analyzer.load()                 # or Analyzer.load(Path("retrained-models"))
    result = analyzer.analyze("小区噪音扰民", "楼下餐馆每晚营业到凌晨……")
    result.category, result.sentiment_label, result.keywords, result.urgent
    results = analyzer.analyze_batch([(title, text), ...])   # one model pass for many

- Analysis: ``Analyzer``, ``Analysis``, ``is_analyzable``.
- Models (scikit-learn style estimators, saved as arrays + JSON, never pickle):
  ``CategoryClassifier``, ``CategoryPrediction``, ``SentimentModel``, ``SentimentResult``.
- Training and evaluation (``nlp.train``, loaded only when asked for): ``train_category``,
  ``train_sentiment``, ``evaluate_category``, ``evaluate_sentiment``; ``retrain_model`` and
  ``evaluate_examples`` (shipped corpora plus a deployment's own labels, for a model registry).
- Building blocks: ``normalize``, ``compose_text``, ``redact`` (``Redaction``,
  ``RedactionSpan``, ``MASK``), ``Segmenter`` / ``default_segmenter`` /
  ``configure_default_segmenter``, ``KeywordExtractor`` /
  ``textrank`` / ``is_whole_word``, ``UrgencyDetector`` / ``Urgency``,
  ``NearDuplicateIndex`` (its grouping rules for stored signatures: ``band_buckets``,
  ``rank_similar``, ``is_empty_signature``), ``TopicModel``, ``hot_issue_index`` / ``HotRecord``,
  ``score_reply`` / ``ReplyQuality``; drift measures (``population_stability_index``,
  ``PSI_EPSILON``, ``oov_rate``, ``label_mix``, ``model_vocabulary``, ``load_reference``,
  ``SHIPPED_MODELS_DIR``); readers of the shared corpus: ``load_messages``,
  ``load_hot_messages``, ``load_replies``.

Command line: ``python -m nlp`` (predict, evaluate, train, reference, bench).
nlp/README.md has more.
The package never imports Flask, SQLAlchemy, RQ, Redis or the application.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlp.drift import (
    PSI_EPSILON,
    SHIPPED_MODELS_DIR,
    label_mix,
    load_reference,
    model_vocabulary,
    oov_rate,
    population_stability_index,
)
from nlp.keywords import KeywordExtractor, is_whole_word, textrank
from nlp.normalize import compose_text, normalize
from nlp.redact import MASK, Redaction, RedactionSpan, redact
from nlp.segment import Segmenter, configure_default_segmenter, default_segmenter
from nlp.urgency import Urgency, UrgencyDetector

if TYPE_CHECKING:
    from nlp.classify import CategoryClassifier, CategoryPrediction
    from nlp.datasets import load_hot_messages, load_messages, load_replies
    from nlp.dedup import NearDuplicateIndex
    from nlp.hot_issues import HotRecord, hot_issue_index
    from nlp.lsh import band_buckets, is_empty_signature, rank_similar
    from nlp.pipeline import Analysis, Analyzer, is_analyzable
    from nlp.reply_quality import ReplyQuality, score_reply
    from nlp.sentiment import SentimentModel, SentimentResult
    from nlp.topics import TopicModel
    from nlp.train import (
        evaluate_category,
        evaluate_examples,
        evaluate_sentiment,
        retrain_model,
        train_category,
        train_sentiment,
    )

__all__ = [
    "MASK",
    "PSI_EPSILON",
    "SHIPPED_MODELS_DIR",
    "Analysis",
    "Analyzer",
    "CategoryClassifier",
    "CategoryPrediction",
    "HotRecord",
    "KeywordExtractor",
    "NearDuplicateIndex",
    "Redaction",
    "RedactionSpan",
    "ReplyQuality",
    "Segmenter",
    "SentimentModel",
    "SentimentResult",
    "TopicModel",
    "Urgency",
    "UrgencyDetector",
    "band_buckets",
    "compose_text",
    "configure_default_segmenter",
    "default_segmenter",
    "evaluate_category",
    "evaluate_examples",
    "evaluate_sentiment",
    "hot_issue_index",
    "is_analyzable",
    "is_empty_signature",
    "is_whole_word",
    "label_mix",
    "load_hot_messages",
    "load_messages",
    "load_reference",
    "load_replies",
    "model_vocabulary",
    "normalize",
    "oov_rate",
    "population_stability_index",
    "rank_similar",
    "redact",
    "retrain_model",
    "score_reply",
    "shipped_model_dir",
    "textrank",
    "train_category",
    "train_sentiment",
]

# Names whose modules pull in numpy/scipy/scikit-learn/gensim or the training code: imported
# on first use, so ``import nlp`` stays cheap and a worker never loads ``nlp.train``.
_LAZY = {
    "Analysis": "nlp.pipeline",
    "Analyzer": "nlp.pipeline",
    "is_analyzable": "nlp.pipeline",
    "CategoryClassifier": "nlp.classify",
    "CategoryPrediction": "nlp.classify",
    "SentimentModel": "nlp.sentiment",
    "SentimentResult": "nlp.sentiment",
    "NearDuplicateIndex": "nlp.dedup",
    "band_buckets": "nlp.lsh",
    "is_empty_signature": "nlp.lsh",
    "rank_similar": "nlp.lsh",
    "TopicModel": "nlp.topics",
    "HotRecord": "nlp.hot_issues",
    "hot_issue_index": "nlp.hot_issues",
    "ReplyQuality": "nlp.reply_quality",
    "score_reply": "nlp.reply_quality",
    "load_messages": "nlp.datasets",
    "load_hot_messages": "nlp.datasets",
    "load_replies": "nlp.datasets",
    "train_category": "nlp.train",
    "retrain_model": "nlp.train",
    "evaluate_examples": "nlp.train",
    "train_sentiment": "nlp.train",
    "evaluate_category": "nlp.train",
    "evaluate_sentiment": "nlp.train",
}


def shipped_model_dir(kind: str) -> Path:
    """The committed model directory of ``kind`` (``category`` or ``sentiment``)."""
    if kind not in ("category", "sentiment"):
        raise ValueError(f"unknown model kind {kind!r}")
    return Path(__file__).resolve().parent / "models" / kind


def __getattr__(name: str) -> Any:
    """Import the heavy parts of the public API on first use (see ``_LAZY``)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    """List the public API, lazy names included."""
    return sorted(__all__)
