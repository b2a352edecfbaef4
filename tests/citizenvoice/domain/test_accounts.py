"""Password rules and the sign-in back-off schedule (pure domain rules)."""

from __future__ import annotations

import pytest

from citizenvoice.domain.accounts import (
    LONGEST_LOCK_SECONDS,
    common_passwords,
    lockout_seconds,
    password_problem,
)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "至少"),
        ("aaaaaaaaaaaa", "同一个字符"),
        ("111111111111", "同一个字符"),
        ("zhang.wei-2024", "用户名"),
        ("Zhang.Wei", "至少"),
        ("1234567890", "常见"),
        ("qwertyuiop", "常见"),
        ("password123", "常见"),
        ("Password2024!", "常见"),
        ("woaini1314520", "常见"),
        ("5201314520", "常见"),
        ("iloveyou1234", "常见"),
    ],
)
def test_common_repeated_and_username_passwords_are_refused(password, reason):
    problem = password_problem(password, "zhang.wei")
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    "password", ["correct-horse-battery", "夜市油烟2024整治好", "Tq7!vL2#pz9w"]
)
def test_ordinary_strong_passwords_pass(password):
    assert password_problem(password, "zhang.wei") is None


def test_the_shipped_list_holds_a_few_hundred_common_passwords():
    words = common_passwords()
    assert len(words) >= 250
    assert {"123456", "woaini", "5201314", "qwerty", "password", "iloveyou"} <= words


def test_locks_double_from_a_minute_up_to_an_hour():
    assert [lockout_seconds(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert lockout_seconds(50) == LONGEST_LOCK_SECONDS == 3600
