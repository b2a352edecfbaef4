"""The pure rules over survey comments: grouping, the explanation's lists, hot words, shares."""

from __future__ import annotations

from citizenvoice.domain.survey_comments import (
    OTHER,
    CommentGroup,
    CommentRow,
    category_shares,
    group_comments,
    hot_words,
    lagging_groups,
    negative_groups,
    task_text,
)


def row(category: str | None, sentiment: float | None, *words: str, text: str = "x") -> CommentRow:
    return CommentRow(category, sentiment, tuple(words), text)


def test_groups_by_category_with_mean_sentiment_keywords_and_negative_samples_first() -> None:
    rows = [
        row("环境保护", 0.2, "垃圾", "臭味", text="a"),
        row("环境保护", 0.6, "垃圾", text="b"),
        row("环境保护", 0.1, "垃圾", "噪音", "垃圾", text="c"),
        row("交通运输", 0.9, "停车", text="d"),
        row(None, None, text="e"),
    ]
    groups = group_comments(rows)
    assert [g.category for g in groups] == ["环境保护", "交通运输", OTHER]
    first = groups[0]
    assert first.count == 3 and abs((first.sentiment or 0) - 0.3) < 1e-9
    assert first.keywords[0] == "垃圾"  # in all three; a word repeated in one counts once
    assert first.samples == ("c", "a", "b")
    assert groups[2].sentiment is None
    assert group_comments([]) == []


def test_negative_groups_are_under_one_half_most_negative_first() -> None:
    groups = [
        CommentGroup("a", 5, 0.45, (), ()),
        CommentGroup("b", 2, 0.1, (), ()),
        CommentGroup("c", 9, 0.8, (), ()),
        CommentGroup("d", 1, None, (), ()),
    ]
    assert [g.category for g in negative_groups(groups)] == ["b", "a"]


def test_lagging_groups_are_counted_groups_under_the_overall_score() -> None:
    groups = [
        ("residents", 60.0, 40, True),
        ("enterprises", 80.0, 35, True),
        ("media", 20.0, 3, False),  # too few answers: does not pull the score
        ("experts", 70.0, 31, True),
        ("cadres", None, 0, True),
    ]
    gaps = lagging_groups(72.0, groups)
    assert [(g.group, round(g.gap, 1)) for g in gaps] == [("residents", -12.0), ("experts", -2.0)]
    assert lagging_groups(None, groups) == []


def test_hot_words_count_comments_and_shares_sum_to_one() -> None:
    words = hot_words([["垃圾", "垃圾", "噪音"], ["垃圾"], ["停车"]], limit=2)
    assert words == [("垃圾", 2), ("停车", 1)]
    shares = category_shares(["环境保护", "环境保护", None, "交通运输"])
    assert shares[0] == ("环境保护", 2, 0.5)
    assert abs(sum(share for _, _, share in shares) - 1) < 1e-9
    assert category_shares([]) == []


def test_task_text_is_bounded_and_holds_the_summary() -> None:
    group = CommentGroup("环境保护", 12, 0.21, ("垃圾", "臭味"), ("很" * 5000, "b"))
    title, target = task_text("城管局" * 100, "2026 年社会评价", group)
    assert len(title) <= 200 and len(target) <= 2000
    assert "12 条" in target and "垃圾、臭味" in target


def test_ties_go_to_the_words_nlp_ranked_first_not_to_their_spelling() -> None:
    words = hot_words([["垃圾", "A0"], ["噪音", "A1"]], limit=2)
    assert [word for word, _ in words] == ["噪音", "垃圾"]
