"""Contact data protection (citizenvoice.services.pii): encryption at rest, keyed fingerprints."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from support import testing_config

from citizenvoice import create_app
from citizenvoice.extensions import db
from citizenvoice.services.pii import PiiDecryptionError, PiiProtector

PHONE = "13800001234"


@pytest.fixture
def protector() -> PiiProtector:
    return PiiProtector("市民之声-测试密钥")


def test_ciphertext_does_not_contain_the_phone_number(protector):
    token = protector.encrypt(PHONE)
    assert token != PHONE
    assert PHONE not in token
    assert token.isascii()


def test_ciphertext_decrypts_back_to_the_phone_number(protector):
    assert protector.decrypt(protector.encrypt(PHONE)) == PHONE


def test_chinese_text_survives_the_round_trip(protector):
    assert protector.decrypt(protector.encrypt("张先生 13800001234")) == "张先生 13800001234"


def test_encrypting_twice_gives_different_ciphertexts(protector):
    # Fernet uses a random IV: equal numbers must not be linkable through their ciphertext.
    assert protector.encrypt(PHONE) != protector.encrypt(PHONE)


def test_a_different_key_cannot_decrypt(protector):
    token = protector.encrypt(PHONE)
    with pytest.raises(PiiDecryptionError):
        PiiProtector("另一个密钥").decrypt(token)


def test_a_tampered_ciphertext_is_refused(protector):
    token = protector.encrypt(PHONE)
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(PiiDecryptionError):
        protector.decrypt(tampered)


def test_the_fingerprint_is_equal_for_equal_numbers(protector):
    assert protector.fingerprint(PHONE) == protector.fingerprint("13800001234")


def test_the_fingerprint_differs_for_different_numbers(protector):
    assert protector.fingerprint(PHONE) != protector.fingerprint("13800001235")


def test_the_fingerprint_is_64_hex_digits_and_hides_the_number(protector):
    fingerprint = protector.fingerprint(PHONE)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    assert PHONE not in fingerprint


def test_the_fingerprint_is_keyed(protector):
    # A plain SHA-256 of an 11-digit number is reversed by trying all 10^10 numbers; a keyed
    # HMAC is not, so another key must give another fingerprint.
    assert protector.fingerprint(PHONE) != PiiProtector("另一个密钥").fingerprint(PHONE)


def test_the_fingerprint_survives_a_restart_with_the_same_key(protector):
    # De-duplication compares fingerprints stored months apart.
    assert protector.fingerprint(PHONE) == PiiProtector("市民之声-测试密钥").fingerprint(PHONE)


def test_an_empty_secret_is_refused():
    with pytest.raises(ValueError, match="secret"):
        PiiProtector("")


@pytest.fixture
def make_app() -> Iterator[Callable[..., Flask]]:
    """Build apps with environment overrides; building one touches neither database nor Redis."""
    built: list[Flask] = []

    def build(**overrides: str) -> Flask:
        application = create_app(testing_config(**overrides))
        built.append(application)
        return application

    yield build
    for application in built:
        with application.app_context():
            db.engine.dispose()


def test_the_app_uses_the_dedicated_pii_key_when_set(make_app):
    application = make_app(CITIZENVOICE_PII_KEY="专用的个人信息密钥", SECRET_KEY="会话密钥")
    token = PiiProtector("专用的个人信息密钥").encrypt(PHONE)
    assert application.extensions["citizenvoice.pii"].decrypt(token) == PHONE


def test_the_app_never_falls_back_to_the_secret_key(make_app):
    application = make_app(CITIZENVOICE_PII_KEY="", SECRET_KEY="会话密钥")
    token = PiiProtector("会话密钥").encrypt(PHONE)
    with pytest.raises(PiiDecryptionError):
        application.extensions["citizenvoice.pii"].decrypt(token)
