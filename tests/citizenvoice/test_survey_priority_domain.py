"""Pure rules of the priority question and the grade bands: picks, tally maths, band thresholds."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.survey_grades import (
    DEFAULT_GRADE_BANDS,
    LAST_PLACE,
    band_order,
    grade_bands,
    parse_grade_bands,
)
from citizenvoice.domain.survey_priority import MAX_PICKS, clean_picks, tally_priorities
from config import ConfigError, TestingConfig

BANDS = parse_grade_bands(DEFAULT_GRADE_BANDS)


def test_default_bands_and_last_place() -> None:
    """优胜 ≥ 90, 先进 ≥ 85, 达标 ≥ 70, else 未达标; the lowest below 达标 is 末位 (ties too)."""
    assert BANDS == (("优胜", 90.0), ("先进", 85.0), ("达标", 70.0), ("未达标", 0.0))
    scores = {"a": 95.0, "b": 85.0, "c": 70.0, "d": 69.9, "e": 50.0, "f": 50.0, "g": None}
    assert grade_bands(scores, BANDS) == {
        "a": "优胜",
        "b": "先进",
        "c": "达标",
        "d": "未达标",
        "e": LAST_PLACE,
        "f": LAST_PLACE,
        "g": None,
    }
    # The lowest department passes: nobody is 末位.
    assert LAST_PLACE not in grade_bands({"a": 95.0, "b": 71.0}, BANDS).values()
    assert grade_bands({}, BANDS) == {}
    assert grade_bands({"x": None}, BANDS) == {"x": None}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "优胜",
        "优胜:90",
        "优胜:abc,未达标:0",
        "优胜:90,先进:95,未达标:0",
        "优胜:90,先进:90,未达标:0",
        "优胜:90,达标:70",
        "优胜:190,未达标:0",
        "优胜:90,优胜:0",
        "末位:90,未达标:0",
        ":90,未达标:0",
        "很长很长很长很长的名字:90,未达标:0",
        "优胜:nan,未达标:0",
    ],
)
def test_bad_settings_are_refused_with_a_message(bad: str) -> None:
    """Every unusable value raises ValueError; the config turns it into a startup error."""
    with pytest.raises(ValueError, match="等级设置有误"):
        parse_grade_bands(bad)
    with pytest.raises(ConfigError, match="CITIZENVOICE_SURVEY_GRADE_BANDS"):
        TestingConfig({"CITIZENVOICE_SURVEY_GRADE_BANDS": bad})


def test_the_setting_is_read() -> None:
    """A custom value reaches the config parsed."""
    config = TestingConfig({"CITIZENVOICE_SURVEY_GRADE_BANDS": "好:80, 中:60 ,差:0"})
    assert config.SURVEY_GRADE_BANDS == (("好", 80.0), ("中", 60.0), ("差", 0.0))


scores_strategy = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3),
    st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False)),
    max_size=12,
)


@given(scores=scores_strategy)
def test_bands_are_monotone_and_last_place_is_only_the_lowest(
    scores: dict[str, float | None],
) -> None:
    """A higher score never has a worse band; 末位 only for the minimum, in the last band."""
    bands = grade_bands(scores, BANDS)
    order = {label: i for i, label in enumerate(band_order(BANDS))}
    assert set(bands) == set(scores)
    scored = {k: v for k, v in scores.items() if v is not None}
    assert all((bands[k] is None) == (scores[k] is None) for k in scores)
    for a, sa in scored.items():
        for b, sb in scored.items():
            if sa > sb:
                assert order[bands[a]] <= order[bands[b]]  # type: ignore[index]
    lowest = min(scored.values(), default=None)
    for key, band in bands.items():
        if band == LAST_PLACE:
            assert scores[key] == lowest and lowest is not None and lowest < 70


def test_picks_are_zero_to_three_distinct_ids_of_the_campaign() -> None:
    """None and [] are no pick; anything else but distinct known integers is a message."""
    allowed = {1, 2, 3, 4}
    assert clean_picks(None, allowed) == []
    assert clean_picks([], allowed) == []
    assert clean_picks([4, 1, 2], allowed) == [4, 1, 2]
    for bad in (
        [1, 2, 3, 4],
        [1, 1],
        [9],
        [True],
        [1.0],
        ["1"],
        "1",
        1,
        {"id": 1},
        [None],
        [10**40],
        ["\x00"],
    ):
        assert isinstance(clean_picks(bad, allowed), str), bad


def test_tally_weights_each_group_by_its_raters() -> None:
    """Two groups of weight 0.6 / 0.4 with 10 and 2 raters: shares follow the formula."""
    picks = {(1, 100): 5, (2, 100): 2, (1, 200): 1}
    groups = {1: (0.6, 10), 2: (0.4, 2), 3: (0.5, 0)}  # group 3 has no raters: left out
    rows = {t.candidate: t for t in tally_priorities([100, 200, 300], picks, groups)}
    assert rows[100].picks == 7 and rows[200].picks == 1 and rows[300].picks == 0
    assert math.isclose(rows[100].weighted_share or 0, (0.6 * 0.5 + 0.4 * 1.0) / 1.0)
    assert math.isclose(rows[200].weighted_share or 0, 0.6 * 0.1)
    assert math.isclose(rows[100].share or 0, 7 / 12)
    ordered = [t.candidate for t in tally_priorities([300, 200, 100], picks, groups)]
    assert ordered == [100, 200, 300]
    empty = tally_priorities([1], {}, {1: (1.0, 0)})
    assert empty[0].weighted_share is None and empty[0].share is None


@st.composite
def ballots(draw: st.DrawFn) -> tuple[list[int], dict[tuple[int, int], int], dict[int, tuple]]:
    """Raters per group each picking up to three of the candidates; the aggregated picks."""
    candidates = list(range(1, draw(st.integers(1, 10)) + 1))
    picks: dict[tuple[int, int], int] = {}
    groups: dict[int, tuple[float, int]] = {}
    for group in range(draw(st.integers(1, 4))):
        weight = draw(st.floats(min_value=0.01, max_value=10))
        raters = draw(st.integers(0, 6))
        groups[group] = (weight, raters)
        for _ in range(raters):
            chosen = draw(st.lists(st.sampled_from(candidates), max_size=MAX_PICKS, unique=True))
            for c in chosen:
                picks[(group, c)] = picks.get((group, c), 0) + 1
    return candidates, picks, groups


@given(ballot=ballots(), scale=st.floats(min_value=0.01, max_value=100))
def test_tally_properties(
    ballot: tuple[list[int], dict[tuple[int, int], int], dict[int, tuple]], scale: float
) -> None:
    """Shares in [0, 1], summing to at most 3; counts sum to the picks; weight scale is moot."""
    candidates, picks, groups = ballot
    rows = tally_priorities(candidates, picks, groups)
    assert sum(t.picks for t in rows) == sum(picks.values())
    raters = sum(n for _, n in groups.values())
    scaled = {g: (w * scale, n) for g, (w, n) in groups.items()}
    again = {t.candidate: t for t in tally_priorities(candidates, picks, scaled)}
    for t in rows:
        if raters == 0:
            assert t.weighted_share is None
            continue
        assert t.weighted_share is not None and -1e-9 <= t.weighted_share <= 1 + 1e-9
        assert math.isclose(t.weighted_share, again[t.candidate].weighted_share or 0, abs_tol=1e-9)
    if raters:
        assert sum(t.weighted_share or 0 for t in rows) <= MAX_PICKS + 1e-9
    shares = [t.weighted_share or 0 for t in rows]
    assert shares == sorted(shares, reverse=True)
