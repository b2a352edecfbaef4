"""Survey comments grouped for reading and for 整改: pure rules, no database.

A comment group is the comments of one department (in one campaign) that nlp put in one
category. Per group: how many, the mean sentiment (0 = negative, 1 = positive), the top
keywords and a few samples (the most negative first, since those are what needs work). The
explanation of a department's survey score lists the rater groups scoring under the
department's overall score and the most negative comment groups; the yearly report counts the
hot words and the share of comments per category.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "OTHER",
    "CommentGroup",
    "CommentRow",
    "GroupGap",
    "category_shares",
    "group_comments",
    "hot_words",
    "lagging_groups",
    "negative_groups",
    "task_text",
]

#: The group of comments nlp had nothing to read in (emoji, punctuation) or no category for.
OTHER = "其他"
SAMPLES = 3
TOP_KEYWORDS = 5
#: Mean sentiment under which a comment group counts as negative in the explanation.
NEGATIVE_BELOW = 0.5


@dataclass(frozen=True)
class CommentRow:
    """One analysed comment: its category, sentiment, keywords and redacted text."""

    category: str | None
    sentiment: float | None
    keywords: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class CommentGroup:
    """The comments of one department in one category."""

    category: str
    count: int
    sentiment: float | None  # mean over comments with a sentiment
    keywords: tuple[str, ...]
    samples: tuple[str, ...]


@dataclass(frozen=True)
class GroupGap:
    """A rater group scoring a department under the department's overall score."""

    group: str
    score: float
    n: int
    gap: float  # group score minus the department's score (negative)


def group_comments(rows: Iterable[CommentRow]) -> list[CommentGroup]:
    """Group comments by category; largest groups first, then the more negative."""
    by_category: dict[str, list[CommentRow]] = {}
    for row in rows:
        by_category.setdefault(row.category or OTHER, []).append(row)
    groups = []
    for category, members in by_category.items():
        sentiments = [m.sentiment for m in members if m.sentiment is not None]
        keywords = [m.keywords for m in members]
        ranked = sorted(members, key=lambda m: 1.0 if m.sentiment is None else m.sentiment)
        groups.append(
            CommentGroup(
                category=category,
                count=len(members),
                sentiment=sum(sentiments) / len(sentiments) if sentiments else None,
                keywords=tuple(w for w, _ in _ranked_words(keywords, TOP_KEYWORDS)),
                samples=tuple(m.text for m in ranked[:SAMPLES]),
            )
        )
    groups.sort(key=lambda g: (-g.count, 1.0 if g.sentiment is None else g.sentiment))
    return groups


def _word_counts(
    keyword_lists: Iterable[Sequence[str]],
) -> tuple[Counter[str], dict[str, float]]:
    """(comments holding each word, the word's rank weight: sum of 1/(1+position) in them).

    A word repeated in one comment counts once. The weight breaks ties in favour of the words
    nlp ranked first in their comments, so a stray token does not win a tie by its spelling.
    """
    counts: Counter[str] = Counter()
    weights: dict[str, float] = {}
    for keywords in keyword_lists:
        for position, word in enumerate(dict.fromkeys(keywords)):
            counts[word] += 1
            weights[word] = weights.get(word, 0.0) + 1 / (1 + position)
    return counts, weights


def _ranked_words(keyword_lists: Iterable[Sequence[str]], limit: int) -> list[tuple[str, int]]:
    """The words in most comments; ties by rank weight, then word order (stable pages)."""
    counts, weights = _word_counts(keyword_lists)
    order = sorted(counts, key=lambda word: (-counts[word], -weights[word], word))
    return [(word, counts[word]) for word in order[:limit]]


def negative_groups(groups: Sequence[CommentGroup], limit: int = 3) -> list[CommentGroup]:
    """The most negative comment groups (mean sentiment under 0.5), most negative first."""
    negative = [g for g in groups if g.sentiment is not None and g.sentiment < NEGATIVE_BELOW]
    return sorted(negative, key=lambda g: (g.sentiment, -g.count))[:limit]


def lagging_groups(
    overall: float | None, groups: Iterable[tuple[str, float | None, int, bool]]
) -> list[GroupGap]:
    """Rater groups (code, score, n, counted) under the overall score, the furthest first.

    Only counted groups (enough n) pull the weighted score down, so only they are listed.
    """
    if overall is None:
        return []
    gaps = [
        GroupGap(code, score, n, score - overall)
        for code, score, n, counted in groups
        if counted and score is not None and score < overall
    ]
    return sorted(gaps, key=lambda g: (g.gap, g.group))


def hot_words(keyword_lists: Iterable[Sequence[str]], limit: int = 10) -> list[tuple[str, int]]:
    """The words in most comments (十大热词): (word, number of comments holding it)."""
    return _ranked_words(keyword_lists, limit)


def category_shares(categories: Iterable[str | None]) -> list[tuple[str, int, float]]:
    """(category, comments, share) over all comments, largest first."""
    counts = Counter(category or OTHER for category in categories)
    total = sum(counts.values())
    return [
        (category, count, count / total)
        for category, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def task_text(department: str, campaign: str, group: CommentGroup) -> tuple[str, str]:
    """The title and target of the 整改 task opened from a comment group (Chinese, bounded)."""
    title = f"{campaign}：{department}「{group.category}」类意见整改"[:200]
    mood = "—" if group.sentiment is None else f"{group.sentiment:.2f}"
    lines = [
        f"社会评价问卷中，评价人对{department}提出「{group.category}」类意见 {group.count} 条"
        f"（平均情感 {mood}，0 为负面、1 为正面）。",
        f"高频词：{'、'.join(group.keywords) or '无'}。",
        "意见摘录（已脱敏）：",
        *(f"· {sample[:150]}" for sample in group.samples),
        "请针对上述意见制定整改措施并报告进展。",
    ]
    return title, "\n".join(lines)[:2000]
