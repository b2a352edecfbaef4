"""Display-time masking of free texts (services.redaction): what staff and the public keep."""

from __future__ import annotations

import pytest

from citizenvoice.services.redaction import (
    Audience,
    redact_for_public,
    redact_for_staff,
    redact_free_text,
)

ID_NUMBER = "32010219850615236X"


@pytest.mark.parametrize(
    ("text", "staff", "public"),
    [
        ("电话13987654321", "电话*******4321", "电话***********"),
        ("电话+86 139-8765-4321", "电话+** ***-****-4321", "电话+** ***-****-****"),
        ("座机0731-88812345", "座机****-****2345", "座机****-********"),
        (f"身份证{ID_NUMBER}", f"身份证{'*' * 18}", f"身份证{'*' * 18}"),
        ("身份证11010519491231002x", f"身份证{'*' * 18}", f"身份证{'*' * 18}"),
        ("邮箱zhang@qq.com", "邮箱*****@**.***", "邮箱*****@**.***"),
    ],
)
def test_staff_keep_a_phones_last_four_digits_and_the_public_nothing(text, staff, public):
    assert redact_for_staff(text) == staff
    assert redact_for_public(text) == public
    assert redact_free_text(text, Audience.STAFF) == staff


def test_a_long_digit_run_that_no_rule_recognises_is_masked_whole():
    # 18 digits with a wrong check digit: not a valid ID number, still not shown.
    assert redact_for_staff("号码320102198506152369") == "号码" + "*" * 18


@pytest.mark.parametrize(
    "text", ["2020年1月6日下午3点", "罚款300元", "拨打12345热线", "第73条", "A1区人民路"]
)
def test_ordinary_numbers_stay(text):
    assert redact_for_staff(text) == text
    assert redact_for_public(text) == text


@pytest.mark.parametrize("empty", [None, ""])
def test_nothing_reads_as_an_empty_string(empty):
    assert redact_for_staff(empty) == ""
