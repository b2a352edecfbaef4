"""Tracking codes (citizenvoice.domain.tracking): unguessable, readable, forgiving to type.

The database's unique constraint, the retry on a clash and lookups of stored codes (new and
old format) are tested in tests/citizenvoice/services/test_feedback_service.py.
"""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest

from citizenvoice.domain.tracking import (
    TRACKING_CODE_ALPHABET,
    TRACKING_CODE_BITS,
    TRACKING_CODE_PATTERN,
    lookup_candidates,
    new_tracking_code,
)

LOOK_ALIKES = set("ILOU")


def test_a_tracking_code_is_six_groups_of_four_without_look_alike_characters():
    code = new_tracking_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4] * 6
    assert TRACKING_CODE_PATTERN.fullmatch(code)
    assert not set(code) & LOOK_ALIKES
    assert code == code.upper()
    assert quote(code, safe="") == code  # nothing to escape in a path or a query string
    assert len(code) <= 32  # the tracking_code column


def test_a_tracking_code_carries_at_least_120_random_bits():
    assert len(TRACKING_CODE_ALPHABET) == 32
    assert TRACKING_CODE_BITS >= 120
    compact = new_tracking_code().replace("-", "")
    assert len(compact) * math.log2(len(TRACKING_CODE_ALPHABET)) >= 120


def test_500_tracking_codes_are_all_different():
    codes = [new_tracking_code() for _ in range(500)]
    assert len(set(codes)) == 500
    assert all(TRACKING_CODE_PATTERN.fullmatch(code) for code in codes)


def test_tracking_codes_look_uniformly_random_over_the_crockford_alphabet():
    # 12,000 characters over 32 letters: about 375 each; a chi-square above 80 (31 degrees of
    # freedom) happens by chance about once in a million runs. A biased generator fails.
    sample = "".join(new_tracking_code().replace("-", "") for _ in range(500))
    assert set(sample) == set(TRACKING_CODE_ALPHABET)
    expected = len(sample) / 32
    chi_square = sum((sample.count(ch) - expected) ** 2 / expected for ch in TRACKING_CODE_ALPHABET)
    assert chi_square < 80


@pytest.mark.parametrize(
    "typed",
    [
        "K7Q2-9XMD-4HRT-0VNE-WC3B-8FJY",
        "k7q2-9xmd-4hrt-0vne-wc3b-8fjy",
        "K7Q29XMD4HRT0VNEWC3B8FJY",
        "k7q2 9xmd 4hrt 0vne wc3b 8fjy",
        "  K7Q2-9XMD-4HRT-0VNE-WC3B-8FJY\n",
        "Ｋ７Ｑ２－９ＸＭＤ－４ＨＲＴ－０ＶＮＥ－ＷＣ３Ｂ－８ＦＪＹ",  # full-width, from a Chinese IME
        "K7Q2-9XMD-4HRT-oVNE-WC3B-8FJY",  # the letter o for a zero
    ],
    ids=repr,
)
def test_a_lookup_forgives_case_dashes_spaces_and_look_alikes(typed):
    assert "K7Q2-9XMD-4HRT-0VNE-WC3B-8FJY" in lookup_candidates(typed)


def test_i_and_l_are_read_as_one():
    assert lookup_candidates("I111-L111-1111-1111-1111-1111") == ("1111-1111-1111-1111-1111-1111",)


def test_an_old_format_code_is_looked_up_exactly_as_stored():
    old = "aB3_x-Yz09qWeRtY_uIoP-as"
    assert old in lookup_candidates(old)
    assert old in lookup_candidates(f" {old} ")
    assert old.swapcase() not in lookup_candidates(old)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "abc",
        "K7Q2-9XMD-4HRT-0VNE-WC3B-8FJ",  # one character short
        "K7Q2-9XMD-4HRT-0VNE-WC3B-8FJYZ",  # one too many
        "K7Q2-9XMD-4HRT-0VNE-WC3B-8FJU",  # U is not in the alphabet
        "查" * 24,
        "../../../../etc/passwd.abc",
        "A" * 500,
    ],
    ids=repr,
)
def test_malformed_input_has_nothing_to_look_up(code):
    assert lookup_candidates(code) == ()
