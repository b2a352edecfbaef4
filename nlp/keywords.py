"""Keyword extraction: TF-IDF with an IDF fitted on citizen messages, and TextRank.

Both functions take the content tokens of the one segmentation pass
(``Segmenter.content_of(Segmenter.cut(text))``) and return ranked ``(word, weight)`` lists,
highest weight first, ties broken by the word so results are deterministic.

The IDF table ships with the library: ``nlp/models/keywords/idf.tsv.gz`` (``word<TAB>idf``,
UTF-8, gzip; a ``#`` header line records the corpus and parameters). It was fitted on the
title + text of every distinct tipdm2020c message (labelled messages, hot messages, replied
messages), normalised and segmented with the default segmenter; words seen in fewer than
``min_df`` documents are left out to keep the file small, and any word missing from the table
gets ``default_idf_`` (the IDF of a word seen in one document). Refit with
``python -m nlp train keywords`` (see ``nlp.cli``).

Candidates are content tokens of at least two characters that are not pure numbers and not in
``NON_KEYWORDS`` (negations and fillers that the segmenter keeps for sentiment and urgency but
that are never useful keywords). Single characters and numbers are rarely useful keywords.
"""

from __future__ import annotations

import gzip
import heapq
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Protocol

__all__ = [
    "DEFAULT_IDF_PATH",
    "NON_KEYWORDS",
    "WHOLE_WORD_TAGS",
    "KeywordExtractor",
    "fit_default_idf",
    "is_candidate",
    "is_whole_word",
    "textrank",
    "tipdm_documents",
]

DEFAULT_IDF_PATH = Path(__file__).resolve().parent / "models" / "keywords" / "idf.tsv.gz"


#: Tokens kept by the segmenter (they matter to sentiment and urgency) but never keywords.
_NON_KEYWORDS_TEXT = (
    "没有 不是 不能 不要 不会 不够 并不 并不是 并没有 毫不 无法 相关 情况 现在 目前 一直 多次 "
    "今年 去年 时间 已经 还是 这个 那个 什么 怎么 一下 一些 一个 有关 进行 导致 出现 严重 "
    "非常 及时 合理 正常 重要 认真 积极 明显"
)
NON_KEYWORDS = frozenset(_NON_KEYWORDS_TEXT.split())


#: Parts of speech a hot keyword may have (jieba's tags, by prefix): nouns (not person names),
#: verbs, adjectives, idioms, abbreviations. Numerals (五里: m), pronouns, adverbs, place words
#: of one character and the like are fragments or fillers on a dashboard.
WHOLE_WORD_TAGS = ("n", "v", "a", "l", "i", "j")
_PERSON_NAME_TAGS = ("nr",)


class _Dictionary(Protocol):
    def in_dictionary(self, word: str) -> bool: ...

    def word_tag(self, word: str) -> str | None: ...


def is_whole_word(word: str, dictionary: _Dictionary) -> bool:
    """True when ``word`` is a dictionary word of a content part of speech.

    jieba's HMM cuts unknown names into guesses (五里牌镇 -> 五里 牌镇): 牌镇 is in no
    dictionary, and 五里 is a numeral phrase. Words of our own dictionaries come untagged and
    are whole by construction.
    """
    if not is_candidate(word) or not dictionary.in_dictionary(word):
        return False
    tag = dictionary.word_tag(word)
    if tag is None:
        return True
    return tag.startswith(WHOLE_WORD_TAGS) and not tag.startswith(_PERSON_NAME_TAGS)


@lru_cache(maxsize=262_144)
def is_candidate(token: str) -> bool:
    """Return True when ``token`` may be a keyword (2+ characters, not a bare number)."""
    if len(token) < 2 or token in NON_KEYWORDS:
        return False
    stripped = token.replace(".", "").replace("-", "").replace("%", "")
    return not stripped.isdigit() and any(ch.isalnum() for ch in token)


class KeywordExtractor:
    """TF-IDF keywords with an IDF learned from a corpus (scikit-learn style estimator)."""

    def __init__(self, min_df: int = 2) -> None:
        self.min_df = min_df
        self.idf_: dict[str, float] = {}
        self.default_idf_: float = 0.0
        self.n_documents_: int = 0

    def fit(self, documents: Iterable[Sequence[str]]) -> KeywordExtractor:
        """Learn IDF values from tokenised documents; return self."""
        df: Counter[str] = Counter()
        n = 0
        for tokens in documents:
            n += 1
            df.update({t for t in tokens if is_candidate(t)})
        if n == 0:
            raise ValueError("cannot fit keyword IDF on an empty corpus")
        self.n_documents_ = n
        self.default_idf_ = math.log((n + 1) / 2) + 1.0  # a word seen in one document
        self.idf_ = {
            w: math.log((n + 1) / (c + 1)) + 1.0 for w, c in df.items() if c >= self.min_df
        }
        return self

    def tfidf(self, tokens: Sequence[str], top_k: int = 10) -> list[tuple[str, float]]:
        """Return the ``top_k`` tokens by TF-IDF (term frequency normalised by length)."""
        counts = Counter(tokens)  # count first: far fewer distinct words than tokens
        idf_get, default = self.idf_.get, self.default_idf_
        scored: list[tuple[str, float]] = []
        total = 0
        for w, c in counts.items():
            # Words in the table are candidates (fit keeps candidates only); others are checked.
            v = idf_get(w)
            if v is None:
                if not is_candidate(w):
                    continue
                v = default
            total += c
            scored.append((w, c * v))
        if not scored:
            return []
        scored.sort()  # by word first, so equal weights come out in word order
        best = heapq.nlargest(top_k, scored, key=itemgetter(1))
        return [(w, round(s / total, 6)) for w, s in best]

    def save(self, path: Path) -> None:
        """Write the IDF table as gzip TSV, sorted by word (reproducible bytes)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            f"#n_documents={self.n_documents_}\tmin_df={self.min_df}\t"
            f"default_idf={self.default_idf_:.6f}"
        ]
        lines += [f"{w}\t{v:.6f}" for w, v in sorted(self.idf_.items())]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(data)

    @classmethod
    def load(cls, path: Path | None = None) -> KeywordExtractor:
        """Read an IDF table written by ``save`` (default: the committed table)."""
        source = path if path is not None else DEFAULT_IDF_PATH
        with gzip.open(source, "rt", encoding="utf-8") as fh:
            header = fh.readline().lstrip("#").rstrip("\n")
            meta = dict(item.split("=", 1) for item in header.split("\t"))
            out = cls(min_df=int(meta["min_df"]))
            out.n_documents_ = int(meta["n_documents"])
            out.default_idf_ = float(meta["default_idf"])
            idf: dict[str, float] = {}
            for line in fh:
                word, _, value = line.rstrip("\n").partition("\t")
                idf[word] = float(value)
            out.idf_ = idf
        return out

    @classmethod
    def from_table(cls, idf: Mapping[str, float], default_idf: float) -> KeywordExtractor:
        """Build an extractor from an existing IDF mapping."""
        out = cls()
        out.idf_ = dict(idf)
        out.default_idf_ = default_idf
        return out


def textrank(
    tokens: Sequence[str],
    top_k: int = 10,
    window: int = 5,
    damping: float = 0.85,
    iterations: int = 30,
    tolerance: float = 1e-6,
) -> list[tuple[str, float]]:
    """Return the ``top_k`` tokens by TextRank over a co-occurrence graph.

    Nodes are candidate tokens; an undirected edge joins two tokens that occur within
    ``window`` positions of each other (weighted by the number of co-occurrences). Weights are
    the PageRank scores scaled so the best keyword has weight 1.0.
    """
    candidates = [t for t in tokens if is_candidate(t)]
    if not candidates:
        return []
    edges: dict[str, Counter[str]] = {}
    for i, word in enumerate(candidates):
        edges.setdefault(word, Counter())
        for other in candidates[i + 1 : i + window]:
            if other != word:
                edges[word][other] += 1
                edges.setdefault(other, Counter())[word] += 1
    nodes = sorted(edges)
    out_weight = {w: sum(edges[w].values()) for w in nodes}
    score = dict.fromkeys(nodes, 1.0)
    for _ in range(iterations):
        new = {}
        for w in nodes:
            rank = sum(c / out_weight[o] * score[o] for o, c in edges[w].items())
            new[w] = (1 - damping) + damping * rank
        delta = max(abs(new[w] - score[w]) for w in nodes)
        score = new
        if delta < tolerance:
            break
    best = max(score.values())
    ranked = sorted(((w, s / best) for w, s in score.items()), key=lambda x: (-x[1], x[0]))
    return [(w, round(s, 6)) for w, s in ranked[:top_k]]


def tipdm_documents(base: Path | None = None) -> list[str]:
    """Return the distinct ``title + text`` strings of all tipdm2020c files (for fitting)."""
    from nlp.datasets import load_hot_messages, load_messages, load_replies

    seen: dict[str, None] = {}
    for rows in (load_messages(base), load_hot_messages(base), load_replies(base)):
        for r in rows:
            doc = f"{r.title} {r.text}".strip()
            if doc:
                seen.setdefault(doc, None)
    return list(seen)


def fit_default_idf(
    output: Path = DEFAULT_IDF_PATH,
    min_df: int = 2,
    base: Path | None = None,
    documents: Iterable[str] | None = None,
) -> KeywordExtractor:
    """Fit the IDF on ``documents`` (default: the tipdm2020c messages) as the pipeline sees text.

    Each document goes through ``normalize`` then ``redact`` and the default segmenter's
    content tokens, the same steps ``nlp.pipeline.Analyzer`` applies; the table is saved to
    ``output``.
    """
    from nlp.normalize import normalize
    from nlp.redact import redact
    from nlp.segment import default_segmenter

    segmenter = default_segmenter()
    source = documents if documents is not None else tipdm_documents(base)
    docs = (segmenter.content_tokens(redact(normalize(doc)).text) for doc in source)
    extractor = KeywordExtractor(min_df=min_df).fit(docs)
    extractor.save(output)
    return extractor
