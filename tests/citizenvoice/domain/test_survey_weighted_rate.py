"""The published satisfaction rate of a department: group-weighted like its survey score."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.survey_grades import weighted_rate


def test_short_groups_are_left_out_and_weights_renormalised() -> None:
    residents = {"satisfied": 30, "dissatisfied": 10, "unknown": 50}  # 75 %
    enterprises = {"fairly": 15, "basic": 15}  # 100 %
    short = {"dissatisfied": 5}  # under its minimum n: not counted
    rate = weighted_rate([(0.6, 30, residents), (0.2, 30, enterprises), (0.2, 30, short)])
    assert rate is not None and abs(rate - (0.6 * 0.75 + 0.2 * 1.0) / 0.8) < 1e-12


def test_no_group_with_enough_known_answers_has_no_rate() -> None:
    assert weighted_rate([(1.0, 30, {"unknown": 100})]) is None
    assert weighted_rate([(1.0, 0, {})]) is None
    assert weighted_rate([]) is None


@given(
    st.lists(
        st.tuples(
            st.floats(0, 1),
            st.integers(0, 5),
            st.dictionaries(
                st.sampled_from(["satisfied", "fairly", "basic", "dissatisfied", "unknown"]),
                st.integers(0, 50),
            ),
        ),
        max_size=6,
    )
)
def test_a_rate_is_a_share(groups) -> None:
    rate = weighted_rate(groups)
    assert rate is None or -1e-12 <= rate <= 1 + 1e-12
