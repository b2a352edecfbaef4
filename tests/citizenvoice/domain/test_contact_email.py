"""The plain e-mail address check, its fingerprint key and its mask (pure, no database)."""

from __future__ import annotations

import pytest

from citizenvoice.domain.contact_email import (
    EMAIL_FORMAT_MESSAGE,
    EMAIL_TOO_LONG_MESSAGE,
    MAX_EMAIL_LENGTH,
    email_key,
    mask_email,
    normalise_email,
)
from citizenvoice.domain.feedback import FeedbackValidationError, validate_feedback
from citizenvoice.log_redaction import EMAIL_IN_TEXT, redact_log_text

GOOD = {
    "zhang@example.com": "zhang@example.com",
    " Li.Si+cv@Mail.QQ.com ": "Li.Si+cv@mail.qq.com",
    "wang_wu@sub-domain.gov.cn": "wang_wu@sub-domain.gov.cn",
    "li＠qq．com": "li@qq.com",  # full-width, as a Chinese input method types it
}
BAD = [
    "",
    "@",
    "a@",
    "@example.com",
    "a@b",
    "a@b.",
    "a@.b.com",
    "a@b..com",
    "a@-b.com",
    "a@b.123",
    "a@@b.com",
    "a@b@c.com",
    "a b@c.com",
    "a\tb@c.com",
    "a@b.com\r\nBcc: x@y.com",
    "a@b.com\n",
    "a\x00@b.com",
    "a\x1b@b.com",
    "a\u200b@b.com",
    ".a@b.com",
    "a.@b.com",
    "a..b@c.com",
    "=1+1@b.com",
    "+a@b.com",
    "-a@b.com",
    '"a"@b.com',
    "a<b>@c.com",
    "张三@例子.中国",
    "x" * 65 + "@b.com",
]


@pytest.mark.parametrize(("raw", "stored"), GOOD.items())
def test_good_addresses_are_kept_with_the_domain_in_lower_case(raw: str, stored: str) -> None:
    assert normalise_email(raw) == stored


@pytest.mark.parametrize("raw", BAD)
def test_bad_addresses_get_the_format_message(raw: str) -> None:
    with pytest.raises(ValueError, match=EMAIL_FORMAT_MESSAGE):
        normalise_email(raw)


@pytest.mark.parametrize("raw", [None, 1, 1.5, True, [], {}, b"a@b.com"])
def test_wrong_types_get_the_format_message(raw: object) -> None:
    with pytest.raises(ValueError, match=EMAIL_FORMAT_MESSAGE):
        normalise_email(raw)


def test_length_limit_is_254_characters() -> None:
    domain = ".".join(["b" * 60] * 3 + ["c" * 6]) + ".com"  # 193 characters
    local = "a" * (MAX_EMAIL_LENGTH - len(domain) - 1)  # 60: within the local part's 64
    assert len(normalise_email(f"{local}@{domain}")) == MAX_EMAIL_LENGTH
    with pytest.raises(ValueError, match=EMAIL_TOO_LONG_MESSAGE):
        normalise_email(f"a{local}@{domain}")  # 255
    with pytest.raises(ValueError, match=EMAIL_TOO_LONG_MESSAGE):
        normalise_email("a@" + "b" * 1_000_000 + ".com")


def test_key_ignores_case_and_mask_hides_the_local_part() -> None:
    assert email_key("Zhang@Example.com") == email_key("zhang@example.com")
    assert "@" in email_key("a@b.com")  # never equal to a phone number's key
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_email("broken") == "***"


def test_validate_feedback_checks_the_field_and_drops_it_when_anonymous() -> None:
    base = {"kind": "complaint", "text": "小区门口的路灯坏了一个多月。"}
    assert validate_feedback({**base, "contact_email": "a@b.com"}).contact_email == "a@b.com"
    assert validate_feedback({**base, "contact_email": ""}).contact_email is None
    with pytest.raises(FeedbackValidationError) as caught:
        validate_feedback({**base, "contact_email": "a@b"})
    assert caught.value.fields == {"contact_email": EMAIL_FORMAT_MESSAGE}
    hidden = validate_feedback({**base, "contact_email": "a@b", "anonymous": True})
    assert hidden.contact_email is None  # anonymous: not even checked, never kept


def test_log_redaction_catches_addresses_and_spares_database_urls() -> None:
    line = "to zhang.san+x@example.com.cn, Bcc: x@y.com via postgresql://postgres@127.0.0.1/db"
    clean = redact_log_text(line)
    assert not EMAIL_IN_TEXT.search(clean), clean
    assert clean.count("[email]") == 2 and "postgres@127.0.0.1" in clean
