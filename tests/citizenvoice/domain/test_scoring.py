"""Scoring of a period: indicators, citizen dimension, order independence, monotonicity, recomputation."""

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizenvoice.domain.scoring import (
    ALGORITHM_VERSION,
    BEIJING_12345_PERIOD,
    BEIJING_12345_WEIGHTS,
    CITIZENVOICE_WEIGHTS,
    HANGZHOU_PERIOD,
    CaseRecord,
    CitizenWeights,
    DepartmentCounts,
    FollowUpRecord,
    Indicator,
    InsufficientRule,
    MomentSums,
    PeriodInput,
    RatingRecord,
    Satisfaction,
    ScoringSettings,
    aggregate,
    canonical_json,
    city_rating_prior,
    compute_indicators,
    compute_period,
    verify_period,
)

DEPARTMENTS = ("D1", "D2", "D3", "D4")
GROUPS = {"D1": "综合管理", "D2": "综合管理", "D3": "执法监管", "D4": "公共服务"}
START = datetime(2026, 11, 1, tzinfo=UTC)

follow_ups = st.builds(
    FollowUpRecord,
    case_id=st.integers(0, 10**6),
    department=st.sampled_from(DEPARTMENTS),
    contacted=st.booleans(),
    resolved=st.booleans(),
    satisfaction=st.none() | st.sampled_from(Satisfaction),
)
ratings = st.builds(
    RatingRecord,
    rating_id=st.integers(0, 10**9),
    case_id=st.integers(0, 10**6),
    department=st.sampled_from(DEPARTMENTS),
    stars=st.integers(1, 5),
    submitted_at=st.integers(0, 30 * 86400).map(lambda s: START + timedelta(seconds=s)),
)
unit = st.none() | st.floats(0, 1, allow_nan=False)
cases = st.builds(
    CaseRecord,
    case_id=st.integers(0, 10**6),
    department=st.sampled_from(DEPARTMENTS),
    on_time=st.none() | st.booleans(),
    sentiment=unit,
    reply_quality=unit,
    duplicate_group=st.none() | st.integers(0, 20),
)
low_min_n = st.integers(1, 40)


def counts_from(fu, ra=(), ca=()):
    return list(aggregate(fu, ra, ca, DEPARTMENTS).values())


def period(counts, scoring=None, imported=None, bonuses=None, base=BEIJING_12345_PERIOD):
    settings = base if scoring is None else replace(base, scoring=scoring)
    return compute_period(PeriodInput.build("2026-11", settings, GROUPS, counts, imported, bonuses))


def indicator(counts, which, scoring=None):
    scoring = scoring or ScoringSettings()
    prior = city_rating_prior([counts], scoring)
    return next(r for r in compute_indicators(counts, scoring, prior) if r.indicator is which)


# --- formulas on known numbers -------------------------------------------------------------


def test_three_rates_follow_beijing_12345_practice():
    counts = DepartmentCounts(
        "D1",
        follow_ups=100,
        contacted=90,
        resolved=70,
        satisfied=60,
        basically_satisfied=20,
        dissatisfied=20,
    )
    assert indicator(counts, Indicator.RESPONSE).score == pytest.approx(90.0)
    assert indicator(counts, Indicator.RESOLUTION).score == pytest.approx(70.0)
    # 基本满意 counts 0.9: (60 + 0.9 x 20) / 100
    assert indicator(counts, Indicator.SATISFACTION).score == pytest.approx(78.0)
    result = period([counts])
    d1 = next(c for c in result.citizen if c.department == "D1")
    assert d1.score == pytest.approx(0.1 * 90 + 0.5 * 70 + 0.4 * 78)


def test_basic_satisfied_credit_is_configurable():
    counts = DepartmentCounts("D1", follow_ups=10, satisfied=5, basically_satisfied=5)
    assert (
        indicator(counts, Indicator.SATISFACTION, ScoringSettings(basic_satisfied_credit=1.0)).score
        == 100.0
    )


def test_repeat_complaints_score_the_share_of_cases_outside_duplicate_groups():
    ca = [CaseRecord(i, "D1", duplicate_group="g1" if i < 3 else f"solo{i}") for i in range(10)]
    ca.append(CaseRecord(99, "D2", duplicate_group="g1"))  # groups span departments
    counts = aggregate(cases=ca)["D1"]
    assert (counts.cases, counts.repeat_cases) == (10, 3)
    result = indicator(counts, Indicator.REPEAT)
    assert result.score == pytest.approx(70.0)
    assert result.low <= result.score <= result.high


def test_means_of_sentiment_and_reply_quality_map_to_0_100():
    ca = [
        CaseRecord(i, "D1", sentiment=0.25, reply_quality=0.5, on_time=i % 4 != 0)
        for i in range(40)
    ]
    counts = aggregate(cases=ca)["D1"]
    assert indicator(counts, Indicator.SENTIMENT).score == pytest.approx(25.0)
    assert indicator(counts, Indicator.REPLY_QUALITY).score == pytest.approx(50.0)
    assert indicator(counts, Indicator.ON_TIME).score == pytest.approx(75.0)


def test_a_department_with_few_ratings_is_pulled_toward_the_city_mean():
    busy = DepartmentCounts("D1", ratings=MomentSums.of([3] * 1000))
    quiet = DepartmentCounts("D2", ratings=MomentSums.of([5, 5]))
    scoring = ScoringSettings()
    prior = city_rating_prior([busy, quiet], scoring)
    rating = next(
        r for r in compute_indicators(quiet, scoring, prior) if r.indicator is Indicator.RATING
    )
    assert rating.value == 5.0  # the raw mean is published as the value
    m = scoring.rating_prior_weight
    expected = (m * prior.mean + 10) / (m + 2)
    assert rating.score == pytest.approx((expected - 1) / 4 * 100)
    assert rating.score < 100.0
    assert not rating.sufficient


def test_an_indicator_under_the_minimum_n_is_insufficient_and_the_department_unranked():
    counts = DepartmentCounts("D1", follow_ups=29, contacted=29, resolved=29, satisfied=29)
    result = period([counts])
    d1 = next(c for c in result.citizen if c.department == "D1")
    assert d1.score is None
    assert "样本不足" in d1.reason and "n=29<30" in d1.reason
    total = next(t for t in result.totals if t.department == "D1")
    assert total.rank is None and total.total is None and "样本不足" in total.reason
    assert period([counts], ScoringSettings(min_n=29)).citizen[0].score == 100.0


def test_reweighting_over_indicators_with_enough_data_is_opt_in():
    counts = DepartmentCounts(
        "D1", follow_ups=50, contacted=50, resolved=40, satisfied=50, ratings=MomentSums.of([1] * 3)
    )
    strict = ScoringSettings(weights=CITIZENVOICE_WEIGHTS)
    assert period([counts], strict).citizen[0].score is None
    lenient = replace(strict, insufficient_rule=InsufficientRule.REWEIGHT, min_covered_weight=0.5)
    d1 = period([counts], lenient).citizen[0]
    # response 6, resolution 30, satisfaction 24 carry 60% of the weight and are the only
    # indicators with enough data: their weights are renormalised to 0.1 / 0.5 / 0.4.
    assert d1.score == pytest.approx(0.1 * 100 + 0.5 * 80 + 0.4 * 100)
    assert "重新分配权重" in d1.reason
    assert period([counts], replace(lenient, min_covered_weight=0.7)).citizen[0].score is None


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (
            {Indicator.RESPONSE: 10, Indicator.RESOLUTION: 50, Indicator.SATISFACTION: 30},
            "之和必须为 1 或 100，当前为 90",
        ),
        ({Indicator.RESPONSE: 0.2, Indicator.RESOLUTION: 0.5}, "之和必须为 1 或 100，当前为 0.7"),
        ({Indicator.RESPONSE: -10, Indicator.RESOLUTION: 110}, "必须是非负数：响应率"),
        ({}, "至少需要为一个指标设置权重"),
    ],
)
def test_citizen_weights_must_sum_to_1_or_100(weights, message):
    with pytest.raises(ValueError, match=message):
        CitizenWeights.of(weights)


def test_duplicate_indicator_weights_are_refused():
    with pytest.raises(ValueError, match="指标重复设置权重：满意率"):
        CitizenWeights(((Indicator.SATISFACTION, 0.5), (Indicator.SATISFACTION, 0.5)))


def test_weights_in_percent_and_fractions_are_the_same_weights():
    as_fraction = CitizenWeights.of(
        {Indicator.SATISFACTION: 0.4, Indicator.RESPONSE: 0.1, Indicator.RESOLUTION: 0.5}
    )
    assert as_fraction == BEIJING_12345_WEIGHTS
    assert sum(CITIZENVOICE_WEIGHTS.as_dict().values()) == pytest.approx(1.0)
    # Every case-based indicator; the survey one is weighted by the office when it runs one.
    assert set(CITIZENVOICE_WEIGHTS.as_dict()) == set(Indicator) - {Indicator.SURVEY}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"basic_satisfied_credit": 1.2}, "基本满意"),
        ({"min_n": 0}, "最小样本量"),
        ({"rating_prior_weight": -1}, "先验权重"),
        ({"rating_prior_mean": 6}, "先验均值"),
    ],
)
def test_impossible_scoring_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScoringSettings(**kwargs)


def test_contradictory_counts_are_refused():
    with pytest.raises(ValueError, match="超过回访数"):
        DepartmentCounts("D1", follow_ups=3, contacted=4)


def test_counts_for_an_unknown_department_are_refused():
    with pytest.raises(ValueError, match="未知部门：X"):
        PeriodInput.build("2026-11", BEIJING_12345_PERIOD, GROUPS, [DepartmentCounts("X")])


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    fu=st.lists(follow_ups, max_size=150),
    ra=st.lists(ratings, max_size=80),
    ca=st.lists(cases, max_size=80),
    min_n=low_min_n,
)
def test_every_score_is_in_0_100_and_every_interval_contains_its_estimate(fu, ra, ca, min_n):
    scoring = ScoringSettings(
        weights=CITIZENVOICE_WEIGHTS, min_n=min_n, insufficient_rule=InsufficientRule.REWEIGHT
    )
    result = period(
        counts_from(fu, ra, ca),
        scoring,
        base=HANGZHOU_PERIOD,
        imported={d: {"goals": 80.0, "leadership": 100.0} for d in DEPARTMENTS},
        bonuses={"D1": 10.0},
    )
    for citizen in result.citizen:
        for r in citizen.indicators:
            if r.n == 0:
                assert r.score is None and not r.sufficient
                continue
            assert 0.0 <= r.low <= r.score <= r.high <= 100.0
        if citizen.score is None:
            assert citizen.low is None and citizen.high is None
        else:
            assert 0.0 <= citizen.low <= citizen.score <= citizen.high <= 100.0
    for total in result.totals:
        assert total.bonus <= 3.0
        assert total.total is None or 0.0 <= total.total <= 103.0


@settings(max_examples=60, deadline=None)
@given(
    fu=st.lists(follow_ups, max_size=120),
    ra=st.lists(ratings, max_size=60),
    ca=st.lists(cases, max_size=60),
    seed=st.randoms(use_true_random=False),
)
def test_results_do_not_depend_on_the_order_of_the_rows(fu, ra, ca, seed):
    scoring = ScoringSettings(weights=CITIZENVOICE_WEIGHTS, min_n=1)
    before = period(counts_from(fu, ra, ca), scoring).canonical_json()
    for rows in (fu, ra, ca):
        seed.shuffle(rows)
    shuffled_counts = counts_from(fu, ra, ca)
    seed.shuffle(shuffled_counts)
    assert period(shuffled_counts, scoring).canonical_json() == before


@settings(max_examples=150, deadline=None)
@given(
    satisfied=st.integers(0, 500),
    basic=st.integers(0, 500),
    dissatisfied=st.integers(0, 500),
    credit=st.floats(0, 1),
    extra=st.sampled_from(Satisfaction),
)
def test_one_more_answer_moves_the_satisfaction_score_only_in_its_direction(
    satisfied, basic, dissatisfied, credit, extra
):
    scoring = ScoringSettings(basic_satisfied_credit=credit, min_n=1)
    answered = satisfied + basic + dissatisfied

    def score(s, b, d):
        counts = DepartmentCounts(
            "D1", follow_ups=answered + 1, satisfied=s, basically_satisfied=b, dissatisfied=d
        )
        return indicator(counts, Indicator.SATISFACTION, scoring).score

    before = score(satisfied, basic, dissatisfied)
    if before is None:  # no answers yet
        return
    assert score(satisfied + 1, basic, dissatisfied) >= before
    assert score(satisfied, basic, dissatisfied + 1) <= before


@settings(max_examples=60, deadline=None)
@given(fu=st.lists(follow_ups, min_size=1, max_size=150))
def test_one_more_fully_satisfied_follow_up_never_lowers_the_citizen_score(fu):
    scoring = ScoringSettings(min_n=1)
    before = period(counts_from(fu), scoring).citizen
    extra = FollowUpRecord(
        -1, "D1", contacted=True, resolved=True, satisfaction=Satisfaction.SATISFIED
    )
    after = period(counts_from([*fu, extra]), scoring).citizen
    d1_before = next(c for c in before if c.department == "D1")
    d1_after = next(c for c in after if c.department == "D1")
    assert d1_after.score is not None
    if d1_before.score is not None:
        assert d1_after.score >= d1_before.score - 1e-9
        sat = [
            next(r for r in c.indicators if r.indicator is Indicator.SATISFACTION)
            for c in (d1_before, d1_after)
        ]
        if sat[0].score is not None:
            assert sat[1].score >= sat[0].score


@settings(max_examples=40, deadline=None)
@given(
    fu=st.lists(follow_ups, max_size=120),
    ra=st.lists(ratings, max_size=60),
    ca=st.lists(cases, max_size=60),
)
def test_recomputation_equals_the_stored_result(fu, ra, ca):
    imported = {d: {"goals": 70.0 + i, "leadership": 90.0} for i, d in enumerate(DEPARTMENTS)}
    stored = period(
        counts_from(fu, ra, ca), imported=imported, bonuses={"D2": 1.5}, base=HANGZHOU_PERIOD
    ).canonical_json()
    recomputed = period(
        counts_from(list(reversed(fu)), list(reversed(ra)), ca),
        imported=imported,
        bonuses={"D2": 1.5},
        base=HANGZHOU_PERIOD,
    )
    assert verify_period(stored, recomputed) == []
    assert json.loads(stored)["algorithm_version"] == ALGORITHM_VERSION


def test_verify_reports_what_changed():
    fu = [FollowUpRecord(i, "D1", True, i % 2 == 0, Satisfaction.SATISFIED) for i in range(40)]
    stored = period(counts_from(fu)).canonical_json()
    tampered = period(counts_from(fu[:-1]))
    differences = verify_period(stored, tampered)
    assert differences
    assert any("follow_ups: 40 != 39" in d for d in differences)


def test_canonical_json_rounds_floats_and_sorts_keys():
    assert (
        canonical_json({"b": 1 / 3, "a": -0.0, "c": (1, "满意")})
        == '{"a":0.0,"b":0.333333,"c":[1,"满意"]}'
    )
    with pytest.raises(ValueError, match="NaN"):
        canonical_json(float("nan"))


def test_published_result_carries_the_algorithm_version_and_settings():
    fu = [
        FollowUpRecord(i, d, True, True, Satisfaction.BASIC) for i in range(40) for d in DEPARTMENTS
    ]
    data = json.loads(period(counts_from(fu)).canonical_json())
    assert data["algorithm_version"] == "cv-score-1"
    assert data["input"]["settings"]["scoring"]["basic_satisfied_credit"] == 0.9
    assert [t["rank"] for t in data["totals"] if t["group"] == "综合管理"] == [1, 1]


def test_aggregate_matches_hand_counts():
    rng = random.Random(7)
    fu = [
        FollowUpRecord(
            i, "D1", rng.random() < 0.9, rng.random() < 0.7, rng.choice(list(Satisfaction))
        )
        for i in range(200)
    ]
    counts = aggregate(fu)["D1"]
    assert counts.follow_ups == 200
    assert counts.contacted == sum(f.contacted for f in fu)
    assert counts.satisfaction_answers == 200
    assert counts.basically_satisfied == sum(f.satisfaction is Satisfaction.BASIC for f in fu)
