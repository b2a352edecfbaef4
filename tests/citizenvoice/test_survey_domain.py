"""The survey rules: invitation codes, satisfaction rate, score interval and group weighting."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.survey import (
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_SCORES,
    PRESETS,
    Rating,
    format_code,
    generate_code,
    group_score,
    normalise_code,
    satisfaction_rate,
    weighted_score,
)

counts_strategy = st.fixed_dictionaries(
    {r.value: st.integers(min_value=0, max_value=5000) for r in Rating}
)


def test_codes_are_crockford_without_look_alikes_and_typed_forms_normalise() -> None:
    """12 characters from the alphabet; grouped, lower case and O/I/L typed forms all match."""
    code = generate_code()
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(CODE_ALPHABET)
    assert not set("ILOU") & set(CODE_ALPHABET)
    assert normalise_code(code) == code
    assert normalise_code(format_code(code)) == code
    assert normalise_code(format_code(code).lower()) == code
    assert normalise_code(" 0000-1111-2222 ".replace("0", "O").replace("1", "l")) == "000011112222"
    for bad in ("", "ABC", "U" * 12, "A" * 13, None, 12, "A\x00" * 6, "Ａ" * 12, "A" * 100):
        assert normalise_code(bad) is None


def test_presets_name_the_groups_the_issue_asks_for() -> None:
    """Hangzhou: nine snake-case groups with residents and enterprises; Beijing: residents only."""
    hangzhou = PRESETS["hangzhou"]
    assert len(hangzhou) == 9
    assert {"residents", "enterprises"} <= {g.code for g in hangzhou}
    assert math.isclose(sum(g.weight for g in hangzhou), 1.0)
    assert [g.code for g in PRESETS["beijing"]] == ["residents"]


def test_scores_and_rate_of_a_known_example() -> None:
    """10 满意, 5 比较满意, 3 基本满意, 2 不满意, 4 不了解."""
    counts = {"satisfied": 10, "fairly": 5, "basic": 3, "dissatisfied": 2, "unknown": 4}
    result = group_score(counts)
    assert result.n == 20 and result.unknown == 4
    assert result.score == (1000 + 400 + 180) / 20
    assert result.satisfaction_rate == 18 / 20
    assert result.unknown_share == 4 / 24
    assert result.low is not None and result.high is not None
    assert result.low < result.score < result.high


def test_only_unknown_answers_give_no_score() -> None:
    """不了解 is outside the denominator: all-unknown means no score, not zero."""
    result = group_score({"unknown": 7})
    assert (result.n, result.score, result.satisfaction_rate) == (0, None, None)
    assert result.unknown_share == 1.0


@given(counts_strategy)
def test_interval_holds_the_score_inside_the_scale(counts: dict[str, int]) -> None:
    """Any counts: low <= score <= high, all within [0, 100]; rate in [0, 1]."""
    result = group_score(counts)
    if result.n == 0:
        assert result.score is None
        return
    assert result.low is not None and result.high is not None and result.score is not None
    assert 0 <= result.low <= result.score + 1e-9
    assert result.score - 1e-9 <= result.high <= 100
    assert result.satisfaction_rate is not None and 0 <= result.satisfaction_rate <= 1
    assert satisfaction_rate(counts) == result.satisfaction_rate


@given(counts_strategy, st.integers(min_value=2, max_value=20))
def test_interval_narrows_with_more_of_the_same_answers(counts: dict[str, int], k: int) -> None:
    """Multiplying every count keeps the score and never widens the interval."""
    one = group_score(counts)
    many = group_score({key: value * k for key, value in counts.items()})
    if one.n < 2:
        return
    assert one.score is not None and many.score is not None
    assert math.isclose(one.score, many.score, abs_tol=1e-9)
    assert (many.high or 0) - (many.low or 0) <= (one.high or 0) - (one.low or 0) + 1e-9


weights = st.floats(min_value=0.01, max_value=10, allow_nan=False)
scores = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(st.lists(st.tuples(weights, scores, st.booleans()), min_size=1, max_size=12))
def test_weighted_score_is_a_mean_of_the_groups_that_count(
    parts: list[tuple[float, float, bool]],
) -> None:
    """Between the lowest and highest counted score; None when no group has enough n."""
    counted = [s for _, s, enough in parts if enough]
    result = weighted_score(parts)
    if not counted:
        assert result is None
        return
    assert result is not None
    assert min(counted) - 1e-9 <= result <= max(counted) + 1e-9


@given(st.lists(st.tuples(weights, scores), min_size=1, max_size=12), st.floats(0.1, 10))
def test_weighted_score_ignores_the_scale_of_the_weights(
    parts: list[tuple[float, float]], factor: float
) -> None:
    """Weights are relative: scaling them all changes nothing; short groups change nothing."""
    base = weighted_score([(w, s, True) for w, s in parts])
    scaled = weighted_score([(w * factor, s, True) for w, s in parts])
    with_short = weighted_score([(w, s, True) for w, s in parts] + [(5.0, 0.0, False)])
    assert base is not None and scaled is not None
    assert math.isclose(base, scaled, rel_tol=1e-9, abs_tol=1e-9)
    assert with_short == base


def test_default_score_values() -> None:
    """100 / 80 / 60 / 0 and no value for 不了解."""
    assert DEFAULT_SCORES == {"satisfied": 100, "fairly": 80, "basic": 60, "dissatisfied": 0}
    assert Rating.UNKNOWN.label == "不了解"


def test_a_group_far_from_the_others_is_flagged_and_short_groups_never_are() -> None:
    """Residents at 20 against 90 and 85: flagged; a short group at 0 is not compared."""
    from citizenvoice.domain.survey_checks import group_outliers

    scores = {
        "residents": (20.0, 40, 30),
        "enterprises": (90.0, 35, 30),
        "media": (85.0, 31, 30),
        "experts": (0.0, 3, 30),
    }
    flags = group_outliers("cgzf", scores)
    assert [(f.kind, f.group, f.subject) for f in flags] == [("group_outlier", "residents", "cgzf")]
    assert group_outliers("cgzf", {"residents": (20.0, 40, 30), "media": (90.0, 40, 30)}) == []


def test_an_hour_with_many_times_the_usual_answers_is_a_burst() -> None:
    """Median 4 an hour: 60 in one hour is a burst; 15 is not (below the floor of 20)."""
    from citizenvoice.domain.survey_checks import bursts

    hours = {f"2026-12-01 {h:02d}:00": 4 for h in range(8, 18)}
    assert bursts("residents", hours) == []
    flagged = bursts("residents", hours | {"2026-12-01 20:00": 60, "2026-12-01 21:00": 15})
    assert [f.subject for f in flagged] == ["2026-12-01 20:00"]
