"""Rating integrity: bursts, runs of top scores, abnormal volume, duplicate case ratings, exclusions."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizenvoice.domain.scoring import (
    AnomalyKind,
    Exclusion,
    RatingRecord,
    detect_anomalies,
    select_scored,
)
from citizenvoice.domain.scoring.integrity import IntegritySettings, check_volume

START = datetime(2026, 11, 1, 8, tzinfo=UTC)


def background(n=300, department="D1", seed=1):
    """Ordinary ratings: spread over a month, mixed stars, distinct IPs."""
    rng = random.Random(seed)
    return [
        RatingRecord(
            f"{department}-{i}",
            f"case-{department}-{i}",
            department,
            rng.choice([2, 3, 4, 4, 5, 5]),
            START + timedelta(minutes=rng.randrange(30 * 24 * 60)),
            ip_hash=f"ip-{department}-{i}",
        )
        for i in range(n)
    ]


def test_ordinary_ratings_are_not_held():
    assert detect_anomalies(background()).held == frozenset()


def test_a_burst_from_one_ip_is_held_with_a_chinese_reason():
    burst = [
        RatingRecord(
            f"b{i}", f"case-b{i}", "D1", 5, START + timedelta(days=3, minutes=i), ip_hash="farm"
        )
        for i in range(6)
    ]
    report = detect_anomalies([*background(), *burst])
    assert report.held == {f"b{i}" for i in range(6)}
    assert any("同一IP在 10 分钟内提交" in reason for reason in report.reasons("b0"))


def test_ratings_from_one_ip_spread_over_days_are_not_a_burst():
    spread = [
        RatingRecord(
            f"s{i}", f"case-s{i}", "D1", 5, START + timedelta(hours=3 * i), ip_hash="family"
        )
        for i in range(10)
    ]
    assert detect_anomalies([*background(), *spread]).held == frozenset()


def test_a_burst_from_one_device_is_held():
    burst = [
        RatingRecord(
            f"d{i}",
            f"case-d{i}",
            "D2",
            1,
            START + timedelta(seconds=30 * i),
            ip_hash=f"ip{i}",
            device_hash="phone",
        )
        for i in range(5)
    ]
    report = detect_anomalies([*background(), *burst])
    assert report.held == {f"d{i}" for i in range(5)}
    assert {f.kind for f in report.flags} == {AnomalyKind.BURST_DEVICE}


def test_an_implausible_run_of_top_scores_is_held_but_a_short_one_is_not():
    ordinary = background(seed=3)
    run_start = START + timedelta(days=31)
    run = [
        RatingRecord(
            f"t{i}", f"case-t{i}", "D1", 5, run_start + timedelta(minutes=7 * i), ip_hash=f"t{i}"
        )
        for i in range(40)
    ]
    report = detect_anomalies([*ordinary, *run])
    assert {f"t{i}" for i in range(40)} <= report.held
    assert re.match(r"连续 4\d 条满分评价", report.reasons("t0")[0])  # 40 + any 5 just before
    short = detect_anomalies([*ordinary, *run[:8]])
    assert not ({f"t{i}" for i in range(8)} & short.held)


def test_a_department_far_above_its_normal_volume_is_held():
    ratings = background(n=400)
    report = detect_anomalies(ratings, history={"D1": [120, 130, 110, 125]})
    assert len(report.held) == 400
    assert "远高于往期常态（中位数 122.5" in report.reasons("D1-0")[0]
    normal = detect_anomalies(background(n=130), history={"D1": [120, 130, 110, 125]})
    assert normal.held == frozenset()
    assert normal.volume_checks[0].flagged is False


def test_volume_check_needs_enough_history_and_uses_a_poisson_floor():
    cfg = IntegritySettings()
    assert check_volume("D1", 1000, [100, 100], cfg) is None
    # A perfectly flat history (MAD 0) must not flag every small wobble: floor sqrt(100) = 10.
    assert check_volume("D1", 125, [100, 100, 100, 100], cfg).flagged is False
    assert check_volume("D1", 131, [100, 100, 100, 100], cfg).flagged is True


def test_a_second_rating_of_the_same_case_is_held():
    first = RatingRecord("r1", "case-1", "D1", 2, START)
    second = RatingRecord("r2", "case-1", "D1", 5, START + timedelta(days=1))
    report = detect_anomalies([second, first])
    assert report.held == {"r2"}
    assert report.flags[0].kind is AnomalyKind.DUPLICATE_CASE


@settings(max_examples=30, deadline=None)
@given(seed=st.randoms(use_true_random=False))
def test_flags_do_not_depend_on_record_order(seed):
    burst = [
        RatingRecord(f"b{i}", f"cb{i}", "D1", 5, START + timedelta(minutes=i), ip_hash="x")
        for i in range(7)
    ]
    ratings = [*background(n=120), *burst]
    expected = detect_anomalies(ratings, history={"D1": [10, 12, 11]})
    seed.shuffle(ratings)
    assert detect_anomalies(ratings, history={"D1": [10, 12, 11]}) == expected


def test_exclusion_needs_a_reason():
    with pytest.raises(ValueError, match="排除评价必须填写理由"):
        Exclusion("r1", "  ")


def test_select_scored_applies_holds_releases_and_exclusions():
    ratings = [
        RatingRecord(f"r{i}", f"c{i}", "D1", 4, START + timedelta(hours=i)) for i in range(5)
    ]
    selection = select_scored(
        ratings,
        held={"r1", "r2", "r3"},
        released={"r2"},
        exclusions=[Exclusion("r3", "回访核实为刷评")],
    )
    assert [r.rating_id for r in selection.scored] == ["r0", "r2", "r4"]
    assert selection.held == ("r1",)
    assert selection.excluded == (Exclusion("r3", "回访核实为刷评"),)
    with pytest.raises(ValueError, match="要排除的评价不存在"):
        select_scored(ratings, exclusions=[Exclusion("nope", "理由")])
    with pytest.raises(ValueError, match="既放行又排除"):
        select_scored(ratings, released={"r3"}, exclusions=[Exclusion("r3", "理由")])


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(5, 15),
    gaps=st.lists(st.integers(0, 60), min_size=14, max_size=14),
    start_minute=st.integers(0, 30 * 24 * 60),
    stars=st.integers(1, 5),
    by_device=st.booleans(),
)
def test_any_constructed_burst_inside_the_window_is_held_whole(
    size, gaps, start_minute, stars, by_device
):
    # size ratings from one source, consecutive gaps of at most a minute: span <= 14 minutes,
    # so shrink the gaps to fit the 10-minute window.
    offsets = [0]
    for gap in gaps[: size - 1]:
        offsets.append(offsets[-1] + gap)
    scale = min(1.0, 600 / max(offsets[-1], 1))
    start = START + timedelta(minutes=start_minute)
    burst = [
        RatingRecord(
            f"b{i}",
            f"cb{i}",
            "D2",
            stars,
            start + timedelta(seconds=int(o * scale)),
            ip_hash=None if by_device else "one-ip",
            device_hash="one-device" if by_device else None,
        )
        for i, o in enumerate(offsets)
    ]
    report = detect_anomalies([*background(n=100), *burst])
    assert {r.rating_id for r in burst} <= report.held
    kind = AnomalyKind.BURST_DEVICE if by_device else AnomalyKind.BURST_IP
    assert all(
        any(f.kind is kind for f in report.flags if f.rating_id == r.rating_id) for r in burst
    )


def test_four_ratings_in_the_window_are_not_a_burst():
    few = [
        RatingRecord(f"f{i}", f"cf{i}", "D1", 5, START + timedelta(minutes=i), ip_hash="x")
        for i in range(4)
    ]
    assert not (detect_anomalies([*background(), *few]).held & {"f0", "f1", "f2", "f3"})
