"""Hot issues of a period: topics and the ten hottest words, counts, trend, public examples.

Counts are of the period's analysed messages; the trend compares with the period of the same
length just before. Example messages are only those whose residents agreed to publication,
in their redacted public text, with the ids of their photos (served by /open/photos/<id>,
which checks the consent again).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from citizenvoice.domain.disclosure import MIN_PUBLIC_COUNT, public_count
from citizenvoice.domain.localtime import local_midnight
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, Submission
from citizenvoice.services.media import public_photo_lists
from citizenvoice.services.portal.cache import cached
from citizenvoice.services.portal.overview import PublicPeriod
from citizenvoice.services.public_text import public_case_text

__all__ = ["HotIssue", "PublicExample", "hot_issues", "topic_counts"]

HOT_WORDS = 10
EXAMPLES = 3
EXAMPLE_LENGTH = 160  # an example, not the record: the start of the message
# Keywords are read from at most this many analyses of a window (newest first): enough for a
# stable top ten, bounded for a large city.
MAX_ANALYSES = 50_000


@dataclass(frozen=True)
class PublicExample:
    """A public-consented case shown as an example: the start of its redacted text, its photos."""

    text: str
    photos: tuple[str, ...]  # media ids, in the resident's order


@dataclass(frozen=True)
class HotIssue:
    """One hot word or topic of the period."""

    label: str
    count: int | str
    previous: int | str
    change: str  # 上升 / 下降 / 持平 / 新出现, or "" when a side is suppressed
    examples: list[PublicExample]


def _keyword_counts(start: datetime, end: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    rows = db.session.scalars(
        select(Analysis.keywords)
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(Submission.created_at >= start, Submission.created_at < end)
        .order_by(Submission.id.desc())
        .limit(MAX_ANALYSES)
    )
    for words in rows:
        counts.update({w for w in words or [] if isinstance(w, str) and len(w) > 1})
    return counts


def _change(now: int, before: int) -> str:
    if now < MIN_PUBLIC_COUNT or 0 < before < MIN_PUBLIC_COUNT:
        return ""
    if before == 0:
        return "新出现"
    if now > before * 1.1:
        return "上升"
    if now < before * 0.9:
        return "下降"
    return "持平"


def _examples(word: str, start: datetime, end: datetime) -> list[PublicExample]:
    """Redacted public text and photos of the newest public-consented messages with this word."""
    cases = db.session.scalars(
        select(Submission)
        .join(Analysis, Analysis.submission_id == Submission.id)
        .where(
            Submission.public_consent.is_(True),
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.search_tokens.contains(f" {word} ", autoescape=True),
        )
        .order_by(Submission.id.desc())
        .limit(EXAMPLES)
    ).all()
    photos = public_photo_lists([case.id for case in cases])
    return [
        PublicExample(public_case_text(case)[:EXAMPLE_LENGTH], photos.get(case.id, ()))
        for case in cases
    ]


def hot_issues(period: PublicPeriod) -> list[HotIssue]:
    """The ten hottest words of the period with last period's counts and a few examples."""

    def compute() -> list[HotIssue]:
        start, end = local_midnight(period.starts_on), local_midnight(period.ends_on)
        before_start = start - (end - start)
        now = _keyword_counts(start, end)
        before = _keyword_counts(before_start, start)
        top = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:HOT_WORDS]
        return [
            HotIssue(
                word,
                public_count(n),
                public_count(before.get(word, 0)),
                _change(n, before.get(word, 0)),
                _examples(word, start, end),
            )
            for word, n in top
        ]

    return cached(f"issues:{period.code}", compute)


def topic_counts(period: PublicPeriod) -> list[tuple[str, int | str]]:
    """Messages per topic label in the period (topics of the nightly model), largest first."""
    start, end = local_midnight(period.starts_on), local_midnight(period.ends_on)
    rows = db.session.execute(
        select(Analysis.topic_label, func.count())
        .join(Submission, Submission.id == Analysis.submission_id)
        .where(
            Submission.created_at >= start,
            Submission.created_at < end,
            Analysis.topic_label.is_not(None),
        )
        .group_by(Analysis.topic_label)
        .order_by(func.count().desc())
        .limit(HOT_WORDS)
    ).all()
    return [(str(label), public_count(int(n))) for label, n in rows]
