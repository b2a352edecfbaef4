"""Index system: weights summing to 100, the capped bonus, totals and competition ranks per group."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.scoring import (
    BEIJING_12345_INDEX,
    HANGZHOU_INDEX,
    MAX_BONUS_CAP,
    Dimension,
    IndexSystem,
    competition_ranks,
    compute_totals,
)
from citizenvoice.domain.scoring.appraisal import groups_of


def test_hangzhou_preset_weights_and_bonus():
    assert [(d.name, d.weight) for d in HANGZHOU_INDEX.dimensions] == [
        ("社会评价", 50.0),
        ("目标考核", 45.0),
        ("领导考评", 5.0),
    ]
    assert (HANGZHOU_INDEX.bonus_name, HANGZHOU_INDEX.bonus_cap) == ("创新创优", 3.0)
    assert [d.weight for d in BEIJING_12345_INDEX.dimensions] == [100.0]


@pytest.mark.parametrize(
    ("dimensions", "cap", "message"),
    [
        (
            (Dimension("a", "社会评价", 50), Dimension("b", "目标考核", 45)),
            0,
            "维度权重之和必须为 100，当前为 95",
        ),
        (
            (Dimension("a", "社会评价", 120), Dimension("b", "目标考核", -20)),
            0,
            "维度权重必须是非负数：目标考核",
        ),
        ((Dimension("a", "社会评价", 50), Dimension("a", "目标考核", 50)), 0, "维度代码不能重复"),
        ((), 0, "至少需要一个维度"),
        ((Dimension("a", "社会评价", 100),), MAX_BONUS_CAP + 1, "加分上限"),
    ],
)
def test_index_system_validation_messages(dimensions, cap, message):
    with pytest.raises(ValueError, match=message):
        IndexSystem(dimensions=dimensions, bonus_cap=cap)


def test_total_is_the_weighted_sum_plus_the_capped_bonus():
    groups = {"A": "综合管理", "B": "综合管理"}
    scores = {
        "A": {"citizen": 90.0, "goals": 80.0, "leadership": 100.0},
        "B": {"citizen": 80.0, "goals": 90.0, "leadership": 60.0},
    }
    totals = {
        t.department: t
        for t in compute_totals(HANGZHOU_INDEX, groups, scores, {"A": 10.0, "B": 1.0})
    }
    assert totals["A"].bonus == 3.0
    assert totals["A"].total == pytest.approx(45 + 36 + 5 + 3)
    assert totals["B"].total == pytest.approx(40 + 40.5 + 3 + 1)
    assert (totals["A"].rank, totals["B"].rank) == (1, 2)


def test_departments_are_ranked_only_within_their_group_with_competition_ties():
    groups = {
        "A": "综合管理",
        "B": "综合管理",
        "C": "综合管理",
        "D": "综合管理",
        "E": "执法监管",
        "F": "公共服务",
    }
    scores = {
        k: {"citizen": v}
        for k, v in {"A": 90.0, "B": 90.0, "C": 80.0, "D": 90.004, "E": 50.0, "F": 10.0}.items()
    }
    totals = compute_totals(BEIJING_12345_INDEX, groups, scores)
    ranks = {t.department: t.rank for t in totals}
    # 90.004 is published as 90.00, so D ties with A and B; C is third-best: rank 4.
    assert ranks == {"A": 1, "B": 1, "D": 1, "C": 4, "E": 1, "F": 1}
    assert [t.department for t in totals] == ["F", "E", "A", "B", "D", "C"]  # by group, rank, code


def test_a_department_without_a_weighted_dimension_is_not_ranked():
    groups = {"A": "综合管理", "B": "综合管理"}
    scores = {
        "A": {"citizen": 90.0, "goals": 80.0, "leadership": 100.0},
        "B": {"citizen": None, "goals": 90.0},
    }
    totals = {t.department: t for t in compute_totals(HANGZHOU_INDEX, groups, scores)}
    assert totals["B"].rank is None and totals["B"].total is None
    assert totals["B"].reason == "缺少维度得分（社会评价、领导考评），不参与排名"
    assert totals["A"].rank == 1


@pytest.mark.parametrize(
    ("scores", "bonuses", "message"),
    [
        ({"A": {"citizen": 101.0}}, {}, "得分必须在 0 到 100 之间"),
        ({"A": {"nope": 50.0}}, {}, "未知维度：nope"),
        ({"Z": {"citizen": 50.0}}, {}, "未知部门：Z"),
        ({"A": {"citizen": 50.0}}, {"A": -1.0}, "加分不能为负数"),
    ],
)
def test_invalid_dimension_scores_are_refused(scores, bonuses, message):
    with pytest.raises(ValueError, match=message):
        compute_totals(BEIJING_12345_INDEX, {"A": "综合管理"}, scores, bonuses)


def test_a_department_in_two_groups_is_refused():
    with pytest.raises(ValueError, match="同时属于两个分组"):
        groups_of([("A", "综合管理"), ("A", "公共服务")])


@given(
    st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.floats(0, 100), max_size=30),
    st.integers(0, 3),
)
def test_competition_rank_is_one_plus_the_number_strictly_better(values, decimals):
    ranks = competition_ranks(values, decimals)
    for key, value in values.items():
        better = sum(round(v, decimals) > round(value, decimals) for v in values.values())
        assert ranks[key] == 1 + better
