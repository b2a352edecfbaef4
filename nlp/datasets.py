"""Loaders for the shared training and evaluation corpora.

The corpora live outside the repository (``../shared/data`` beside the repo root, or a folder
the caller passes: nlp reads no environment variable). The product never needs them at run
time; training, evaluation, benchmarks and some tests do. Every loader returns plain frozen records.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HotMessage",
    "LabelledMessage",
    "RepliedMessage",
    "SentimentReview",
    "data_dir",
    "load_hot_messages",
    "load_messages",
    "load_replies",
    "load_sentiment",
    "load_taxonomy",
]

_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    """A citizen message with its first-level category (tipdm2020c messages.csv.gz)."""

    row: int
    title: str
    text: str
    label: str
    text_source: str
    segmented: str
    time: str


@dataclass(frozen=True, slots=True)
class HotMessage:
    """A citizen message with like/dislike counts (tipdm2020c hot_messages.csv.gz)."""

    message_id: str
    user: str
    title: str
    text: str
    time: str
    likes: int
    dislikes: int


@dataclass(frozen=True, slots=True)
class RepliedMessage:
    """A citizen message with the department's reply (tipdm2020c replies.csv.gz)."""

    message_id: str
    title: str
    text: str
    time: str
    reply: str
    reply_time: str


@dataclass(frozen=True, slots=True)
class SentimentReview:
    """A review labelled positive (1) or negative (0), with the corpus it came from."""

    text: str
    label: int
    domain: str


def data_dir(required: bool = True, configured: Path | None = None) -> Path | None:
    """Return the shared data directory.

    ``configured`` wins (the app passes its ``DATA_DIR`` setting); otherwise ``../shared/data``
    beside the repository root. Raises FileNotFoundError when ``required`` and nothing is there.
    """
    candidate = configured if configured is not None else _REPO_ROOT.parent / "shared" / "data"
    if candidate.is_dir():
        return candidate
    if required:
        raise FileNotFoundError(
            f"shared data not found at {candidate}; pass the folder that holds tipdm2020c/ "
            "and sentiment/ (the app passes its DATA_DIR setting)"
        )
    return None


def _rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        yield from csv.DictReader(text)


def _file(relative: str, base: Path | None) -> Path:
    root = base if base is not None else data_dir()
    assert root is not None  # data_dir(required=True) raises instead of returning None
    return root / relative


def load_messages(base: Path | None = None) -> list[LabelledMessage]:
    """Load the 8,438 labelled messages (7 first-level categories)."""
    return [
        LabelledMessage(
            row=int(r["row"]),
            title=r["title"] or "",
            text=r["text"] or "",
            label=r["label"],
            text_source=r["text_source"],
            segmented=r["segmented"] or "",
            time=r["time"] or "",
        )
        for r in _rows(_file("tipdm2020c/messages.csv.gz", base))
    ]


def load_hot_messages(base: Path | None = None) -> list[HotMessage]:
    """Load the 4,326 messages with likes and dislikes."""
    return [
        HotMessage(
            message_id=r["message_id"],
            user=r["user"],
            title=r["title"] or "",
            text=r["text"] or "",
            time=r["time"] or "",
            likes=int(r["likes"] or 0),
            dislikes=int(r["dislikes"] or 0),
        )
        for r in _rows(_file("tipdm2020c/hot_messages.csv.gz", base))
    ]


def load_replies(base: Path | None = None) -> list[RepliedMessage]:
    """Load the 2,816 messages with department replies."""
    return [
        RepliedMessage(
            message_id=r["message_id"],
            title=r["title"] or "",
            text=r["text"] or "",
            time=r["time"] or "",
            reply=r["reply"] or "",
            reply_time=r["reply_time"] or "",
        )
        for r in _rows(_file("tipdm2020c/replies.csv.gz", base))
    ]


def load_taxonomy(base: Path | None = None) -> list[tuple[str, str, str]]:
    """Load the three-level category taxonomy as (level1, level2, level3) rows."""
    return [
        (r["level1"], r["level2"], r["level3"])
        for r in _rows(_file("tipdm2020c/taxonomy.csv", base))
    ]


def load_sentiment(domain: str, base: Path | None = None) -> list[SentimentReview]:
    """Load a sentiment corpus: ``waimai`` (delivery) or ``shopping`` (9 product categories).

    For the shopping corpus ``domain`` of each record is ``shopping/<cat>``.
    """
    files = {
        "waimai": "sentiment/waimai_10k.csv.gz",
        "shopping": "sentiment/online_shopping_9_cats.csv.gz",
    }
    if domain not in files:
        raise ValueError(f"unknown sentiment corpus {domain!r}; choose from {sorted(files)}")
    out = []
    for r in _rows(_file(files[domain], base)):
        review = (r.get("review") or "").strip()
        if not review:
            continue
        sub = f"{domain}/{r['cat']}" if r.get("cat") else domain
        out.append(SentimentReview(text=review, label=int(r["label"]), domain=sub))
    return out
