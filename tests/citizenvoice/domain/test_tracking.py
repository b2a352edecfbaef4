"""Tracking codes (citizenvoice.domain.tracking): unguessable, URL-safe, 24 characters.

The database's unique constraint and the retry on a clash are tested in
tests/citizenvoice/services/test_feedback_service.py.
"""

from __future__ import annotations

import string
from urllib.parse import quote

import pytest

from citizenvoice.domain.tracking import (
    TRACKING_CODE_BYTES,
    TRACKING_CODE_PATTERN,
    new_tracking_code,
)

URL_SAFE_ALPHABET = set(string.ascii_letters + string.digits + "-_")


def test_a_tracking_code_has_24_url_safe_characters():
    code = new_tracking_code()
    assert len(code) == 24
    assert set(code) <= URL_SAFE_ALPHABET
    assert quote(code, safe="") == code  # nothing to escape in a path or a query string
    assert TRACKING_CODE_PATTERN.fullmatch(code)


def test_a_tracking_code_carries_at_least_128_random_bits():
    assert TRACKING_CODE_BYTES * 8 >= 128
    # Base64 stores 6 bits per character, so 24 characters hold the 144 bits in full.
    assert len(new_tracking_code()) * 6 >= TRACKING_CODE_BYTES * 8


def test_500_tracking_codes_are_all_different():
    codes = [new_tracking_code() for _ in range(500)]
    assert len(set(codes)) == 500
    assert all(TRACKING_CODE_PATTERN.fullmatch(code) for code in codes)


def test_tracking_codes_use_the_whole_url_safe_alphabet():
    # 12,000 characters from a uniform 64-letter alphabet: a letter is missing with
    # probability about 64 * (63/64) ** 12000, i.e. never. A biased or narrow generator fails.
    used = set("".join(new_tracking_code() for _ in range(500)))
    assert used == URL_SAFE_ALPHABET


def test_tracking_codes_look_uniformly_random():
    # Each of 64 letters should appear about 12000 / 64 = 187.5 times; a chi-square statistic
    # above 140 (63 degrees of freedom) happens by chance about once in ten million runs.
    sample = "".join(new_tracking_code() for _ in range(500))
    expected = len(sample) / 64
    chi_square = sum((sample.count(ch) - expected) ** 2 / expected for ch in URL_SAFE_ALPHABET)
    assert chi_square < 140


@pytest.mark.parametrize(
    "code",
    [
        "",
        "abc",
        "A" * 23,
        "A" * 25,
        "A" * 23 + "+",
        "A" * 23 + "/",
        "A" * 23 + "=",
        "A" * 23 + ".",
        "查" * 24,
        "../../../../etc/passwd.abc",
        "A" * 24 + "\n",
    ],
    ids=repr,
)
def test_the_pattern_rejects_malformed_codes(code):
    assert TRACKING_CODE_PATTERN.fullmatch(code) is None
