"""Protection of residents' contact data: encryption at rest and a keyed hash for matching."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["PiiDecryptionError", "PiiProtector"]


class PiiDecryptionError(RuntimeError):
    """The stored ciphertext cannot be read with the configured key."""


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"citizenvoice-pii", info=purpose
    ).derive(secret)


class PiiProtector:
    """Encrypts contact data with Fernet and fingerprints it with HMAC-SHA256.

    Both keys are derived (HKDF) from one secret, ``CITIZENVOICE_PII_KEY`` (required in
    production, generated into ``instance/`` in development, never ``SECRET_KEY``); rotating
    that secret makes stored phone numbers unreadable, so keep it.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a secret is required to protect personal data")
        raw = secret.encode("utf-8")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(raw, b"encrypt")))
        self._mac_key = _derive(raw, b"fingerprint")

    def encrypt(self, value: str) -> str:
        """Return the Fernet token of ``value`` as text."""
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the plaintext of a token made by :meth:`encrypt`."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise PiiDecryptionError(
                "stored contact data cannot be decrypted with this key"
            ) from exc

    def fingerprint(self, value: str) -> str:
        """Return a hex HMAC of ``value``: equal inputs match, the value cannot be recovered."""
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
