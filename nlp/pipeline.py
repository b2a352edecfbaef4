"""The Analyzer: everything nlp/ knows about one message, from one segmentation pass.

``Analyzer.load()`` loads every resource once (segmenter, category model, sentiment model,
keyword IDF table, urgency lexicon); ``analyze(title, text)`` and ``analyze_batch(items)``
return frozen :class:`Analysis` records.

Steps, in order, for each message:

1. **normalize** title and text separately (``nlp.normalize``);
2. **redact** title and text separately (``nlp.redact``). Everything after this step sees only
   the redacted text, so personal data never reaches tokens, keywords or stored results: the
   redaction is length-preserving and the masked digits become ``*``, which the segmenter
   drops from content tokens;
3. **segment** once: the model text is ``title`` and ``text`` joined by a newline
   (``nlp.normalize.compose_text``, the layout the category model was trained on);
   ``Segmenter.cut`` runs once and its content tokens feed the classifier, the sentiment
   model and the keywords;
4. **classify** and **sentiment** (batched: one vectorised call per batch);
5. **keywords**: TF-IDF over the content tokens (IDF fitted on the tipdm corpus);
6. **urgency**: lexicon and context rules on the model text, gated by the predicted category.

Inputs: a message whose title and text hold no letter or digit after normalisation (empty,
whitespace, punctuation or emoji only) raises ValueError. Long texts: redaction and
normalisation cover the whole text; segmentation and the models see at most
``MAX_MODEL_CHARS`` (20,000) characters of the model text (the category model itself reads the
first 1,000), so a 100,000-character message costs about as much as a 20,000-character one.

Model directory: ``Analyzer.load(model_dir)``; ``None`` means the committed models in
``nlp/models`` (nlp reads no environment variable: the app passes its configured directory). The
directory holds ``category/``, ``sentiment/`` and optionally ``keywords/idf.tsv.gz``; missing
sub-directories fall back to the committed ones.

Timings: ``Analysis.timings_ms`` gives milliseconds per step. In ``analyze_batch`` the batched
steps (classify, sentiment) are timed for the whole batch and divided evenly among its items.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.classify import CategoryClassifier, load_default_classifier
from nlp.keywords import DEFAULT_IDF_PATH, KeywordExtractor
from nlp.normalize import compose_text, normalize
from nlp.redact import RedactionSpan, redact
from nlp.segment import Segmenter, default_segmenter
from nlp.sentiment import SentimentModel, load_default_sentiment
from nlp.urgency import DEFAULT_LEXICON, UrgencyDetector

__all__ = [
    "MAX_MODEL_CHARS",
    "Analysis",
    "Analyzer",
    "is_analyzable",
]

#: Characters of the model text that segmentation and the models see (see module docstring).
MAX_MODEL_CHARS = 20_000
#: Number of keywords kept per message.
TOP_KEYWORDS = 10
STEPS = ("normalize", "redact", "segment", "classify", "sentiment", "keywords", "urgency")


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis of one message. Texts are normalised and redacted; spans index into them."""

    title: str
    text: str
    title_redactions: tuple[RedactionSpan, ...]
    redactions: tuple[RedactionSpan, ...]
    tokens: tuple[str, ...]
    category: str
    category_confidence: float
    category_top3: tuple[tuple[str, float], ...]
    category_uncertain: bool
    sentiment: float
    sentiment_label: str
    keywords: tuple[tuple[str, float], ...]
    urgent: bool
    urgency_level: str
    urgency_reasons: tuple[str, ...]
    model_version: str
    timings_ms: tuple[tuple[str, float], ...]
    #: ``tokens`` plus their search-mode parts (Segmenter.search_terms): the keyword-search
    #: lexemes, so 垃圾 finds a message that jieba cut as 垃圾清运.
    search_terms: tuple[str, ...] = ()


def is_analyzable(title: str, text: str) -> bool:
    """Return True when title or text holds at least one letter or digit."""
    return any(ch.isalnum() for ch in title) or any(ch.isalnum() for ch in text)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class _Prepared:
    title: str
    text: str
    title_spans: tuple[RedactionSpan, ...]
    spans: tuple[RedactionSpan, ...]
    model_text: str
    content: list[str]
    ms: dict[str, float]


class Analyzer:
    """All nlp resources, loaded once; thread-compatible for reading (no shared mutation)."""

    def __init__(
        self,
        segmenter: Segmenter,
        classifier: CategoryClassifier,
        sentiment: SentimentModel,
        keywords: KeywordExtractor,
        urgency: UrgencyDetector,
        model_version: str,
    ) -> None:
        self.segmenter = segmenter
        self.classifier = classifier
        self.sentiment = sentiment
        self.keywords = keywords
        self.urgency = urgency
        self.model_version = model_version

    @classmethod
    def load(
        cls,
        model_dir: Path | None = None,
        *,
        category_dir: Path | None = None,
        sentiment_dir: Path | None = None,
    ) -> Analyzer:
        """Load every resource from ``model_dir`` (see module docstring for the fallback).

        ``category_dir`` / ``sentiment_dir`` name one model's own directory (a registry
        version) and win over ``model_dir`` for that model.
        """
        for given in (model_dir, category_dir, sentiment_dir):
            if given is not None and not given.is_dir():
                raise FileNotFoundError(f"model directory {given} does not exist")
        own = {"category": category_dir, "sentiment": sentiment_dir}

        def sub(name: str) -> Path | None:
            if own[name] is not None:
                return own[name]
            if model_dir is not None and (model_dir / name).is_dir():
                return model_dir / name
            return None

        idf_path = DEFAULT_IDF_PATH
        if model_dir is not None and (model_dir / "keywords" / "idf.tsv.gz").is_file():
            idf_path = model_dir / "keywords" / "idf.tsv.gz"
        segmenter = default_segmenter()
        classifier = load_default_classifier(sub("category"))
        sentiment = load_default_sentiment(sub("sentiment"))
        keywords = KeywordExtractor.load(idf_path)
        urgency = UrgencyDetector()
        dict_digest = hashlib.sha256(
            b"".join(p.read_bytes() for p in segmenter.dictionaries)
        ).hexdigest()[:8]
        version = (
            f"category={classifier.version};sentiment={sentiment.version};"
            f"idf={_digest(idf_path)};urgency={_digest(DEFAULT_LEXICON)};dict={dict_digest}"
        )
        return cls(segmenter, classifier, sentiment, keywords, urgency, version)

    # ------------------------------------------------------------------ steps
    def _prepare(self, items: Iterable[tuple[str, str]]) -> list[_Prepared]:
        """Normalise and redact every message, then segment them all in one tight loop.

        Running each step over the whole batch before the next (instead of message by message)
        keeps jieba's large prefix dictionary warm in the CPU cache while it segments.
        """
        cleaned = []
        for index, (title, text) in enumerate(items):
            t0 = time.perf_counter()
            norm_title, norm_text = normalize(title), normalize(text)
            t1 = time.perf_counter()
            if not is_analyzable(norm_title, norm_text):
                raise ValueError(
                    f"message {index} has nothing to analyse: title and text are empty or hold "
                    "only whitespace, punctuation or emoji"
                )
            red_title, red_text = redact(norm_title), redact(norm_text)
            t2 = time.perf_counter()
            ms = {"normalize": (t1 - t0) * 1000, "redact": (t2 - t1) * 1000}
            cleaned.append((red_title, red_text, ms))
        prepared = []
        cut, content_of = self.segmenter.cut, self.segmenter.content_of
        for red_title, red_text, ms in cleaned:
            t0 = time.perf_counter()
            model_text = compose_text(red_title.text, red_text.text)[:MAX_MODEL_CHARS]
            content = content_of(cut(model_text))
            ms["segment"] = (time.perf_counter() - t0) * 1000
            prepared.append(
                _Prepared(
                    red_title.text,
                    red_text.text,
                    red_title.spans,
                    red_text.spans,
                    model_text,
                    content,
                    ms,
                )
            )
        return prepared

    def analyze(self, title: str, text: str) -> Analysis:
        """Analyse one message (title may be empty). Raises ValueError when there is no text."""
        return self.analyze_batch([(title, text)])[0]

    def analyze_batch(self, items: Iterable[tuple[str, str]]) -> list[Analysis]:
        """Analyse (title, text) messages; classifier and sentiment run once per batch.

        Raises ValueError naming the first message (0-based) that has nothing to analyse;
        use :func:`is_analyzable` to filter beforehand.
        """
        prepared = self._prepare(items)
        if not prepared:
            return []
        texts = [p.model_text for p in prepared]
        tokens = [p.content for p in prepared]
        t0 = time.perf_counter()
        categories = self.classifier.predict(texts, tokens)
        t1 = time.perf_counter()
        sentiments = self.sentiment.predict(texts, tokens)
        t2 = time.perf_counter()
        per_classify = (t1 - t0) * 1000 / len(prepared)
        per_sentiment = (t2 - t1) * 1000 / len(prepared)
        out = []
        for p, cat, sent in zip(prepared, categories, sentiments, strict=True):
            k0 = time.perf_counter()
            keywords = tuple(self.keywords.tfidf(p.content, TOP_KEYWORDS))
            k1 = time.perf_counter()
            urgency = self.urgency.detect(p.model_text, cat.label)
            k2 = time.perf_counter()
            ms = dict(p.ms)
            ms["classify"] = per_classify
            ms["sentiment"] = per_sentiment
            ms["keywords"] = (k1 - k0) * 1000
            ms["urgency"] = (k2 - k1) * 1000
            out.append(
                Analysis(
                    title=p.title,
                    text=p.text,
                    title_redactions=p.title_spans,
                    redactions=p.spans,
                    tokens=tuple(p.content),
                    category=cat.label,
                    category_confidence=cat.confidence,
                    category_top3=cat.top3,
                    category_uncertain=cat.uncertain,
                    sentiment=sent.score,
                    sentiment_label=sent.label,
                    keywords=keywords,
                    urgent=urgency.urgent,
                    urgency_level=urgency.level,
                    urgency_reasons=urgency.reasons,
                    model_version=self.model_version,
                    timings_ms=tuple((step, round(ms[step], 3)) for step in STEPS),
                    search_terms=tuple(self.segmenter.search_terms(p.content)),
                )
            )
        return out

    def segment_only(self, texts: Sequence[str]) -> int:
        """Segment ``texts`` exactly as the pipeline does (for benchmarks); return token count."""
        n = 0
        for text in texts:
            n += len(self.segmenter.content_of(self.segmenter.cut(text[:MAX_MODEL_CHARS])))
        return n
