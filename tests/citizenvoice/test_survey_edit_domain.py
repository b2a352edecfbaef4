"""The pure validation of the office's campaign edits: wrong types, hostile strings and edges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citizenvoice.domain.survey_edit import (
    EditInvalid,
    parse_campaign_edit,
    parse_group_edit,
    parse_int_field,
)

KNOWN = {"cgzf", "zjj"}
GOOD_GROUP = {"name": "市民代表", "weight": "25", "min_n": "30", "scope": "all"}
GOOD_CAMPAIGN = {
    "starts_on": "2026-01-01",
    "ends_on": "2026-02-01",
    "score_satisfied": "100",
    "score_fairly": "80",
    "score_basic": "60",
    "score_dissatisfied": "0",
}


def test_good_values_parse() -> None:
    edit = parse_group_edit(GOOD_GROUP, [], KNOWN)
    assert (edit.name, edit.weight, edit.min_n, edit.departments) == ("市民代表", 0.25, 30, None)
    narrowed = parse_group_edit({**GOOD_GROUP, "scope": "list"}, ["zjj", "cgzf", "zjj"], KNOWN)
    assert narrowed.departments == ["cgzf", "zjj"]
    campaign = parse_campaign_edit(GOOD_CAMPAIGN)
    assert campaign.scores == {
        "satisfied": 100.0,
        "fairly": 80.0,
        "basic": 60.0,
        "dissatisfied": 0.0,
    }


@pytest.mark.parametrize(
    "value",
    [
        None,
        float("nan"),
        float("inf"),
        0,
        101,
        True,
        [],
        {},
        b"25",
        "",
        "0",
        "-1",
        "1e2",
        "nan",
        "inf",
        "+5",
        "١٢",
    ],
)
def test_wrong_types_and_hostile_weights_are_field_errors(value: object) -> None:
    with pytest.raises(EditInvalid) as refused:
        parse_group_edit({**GOOD_GROUP, "weight": value}, [], KNOWN)
    assert set(refused.value.fields) == {"weight"}


@pytest.mark.parametrize(
    "name", [None, 7, "", " ", "a\x00b", "a\nb", "a\rb", "=HYPERLINK()", "x" * 65]
)
def test_hostile_names(name: object) -> None:
    with pytest.raises(EditInvalid) as refused:
        parse_group_edit({**GOOD_GROUP, "name": name}, [], KNOWN)
    assert "name" in refused.value.fields


@pytest.mark.parametrize(
    "scope, departments",
    [("list", []), ("list", ["nope"]), ("list", [None]), ("some", ["cgzf"]), (None, [])],
)
def test_scope_errors(scope: object, departments: list[object]) -> None:
    with pytest.raises(EditInvalid):
        parse_group_edit({**GOOD_GROUP, "scope": scope}, departments, KNOWN)


@pytest.mark.parametrize(
    "change",
    [
        {"starts_on": None},
        {"starts_on": 20260101},
        {"ends_on": "2026-01-01"},
        {"ends_on": "2025-12-31"},
        {"ends_on": "2027-01-03"},
        {"starts_on": "1999-12-31"},
        {"score_fairly": "100.5"},
        {"score_basic": "81"},
        {"score_dissatisfied": None},
    ],
)
def test_campaign_errors(change: dict[str, object]) -> None:
    with pytest.raises(EditInvalid):
        parse_campaign_edit({**GOOD_CAMPAIGN, **change})


@given(st.one_of(st.text(max_size=80), st.integers(), st.none(), st.floats(), st.booleans()))
def test_int_field_never_raises_and_stays_in_range(value: object) -> None:
    parsed = parse_int_field(value, 1, 1000)
    assert parsed is None or 1 <= parsed <= 1000


@given(st.dictionaries(st.sampled_from(sorted(GOOD_GROUP)), st.text(max_size=80)))
def test_group_parser_only_raises_edit_invalid(changes: dict[str, str]) -> None:
    try:
        edit = parse_group_edit({**GOOD_GROUP, **changes}, ["cgzf"], KNOWN)
    except EditInvalid:
        return
    assert 0 < edit.weight <= 1 and edit.min_n >= 1 and edit.name.strip() == edit.name
