"""Open311 API keys: created once (shown once), stored as a hash, revoked by name or id.

A key is 32 random bytes (URL-safe text) behind a fixed ``cv311_`` prefix. Only its
HMAC-SHA256 is stored, keyed with a fixed label that separates this use from any other hash:
the key is random and long, so no salt or slow hash is needed to make a stolen table useless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from citizenvoice.extensions import db
from citizenvoice.models import Open311ApiKey
from citizenvoice.models.base import utcnow

__all__ = [
    "KEY_PREFIX",
    "KeyError311",
    "NewKey",
    "create_key",
    "hash_key",
    "list_keys",
    "revoke_key",
    "valid_key",
]

KEY_PREFIX = "cv311_"
_HASH_LABEL = b"citizenvoice-open311-api-key"
# Longest key text looked at: a real key is about 49 characters; anything far longer is noise.
_MAX_KEY_LENGTH = 200
MAX_NAME_LENGTH = 64


class KeyError311(ValueError):
    """A key cannot be created or revoked (duplicate or unknown name, bad name)."""


@dataclass(frozen=True)
class NewKey:
    """A key just created: the only moment its plain text exists."""

    id: int
    name: str
    key: str


def hash_key(key: str) -> str:
    """The stored form of ``key``: hex HMAC-SHA256 under a fixed label."""
    return hmac.new(_HASH_LABEL, key.encode("utf-8"), hashlib.sha256).hexdigest()


def create_key(name: str) -> NewKey:
    """Create a key for client ``name``; flush. Raises KeyError311 on a bad or taken name."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise KeyError311(f"name must be 1-{MAX_NAME_LENGTH} printable characters")
    if db.session.scalar(select(Open311ApiKey.id).where(Open311ApiKey.name == name)):
        raise KeyError311(f"a key named {name!r} exists already")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = Open311ApiKey(name=name, key_hash=hash_key(key), prefix=key[: len(KEY_PREFIX) + 4])
    db.session.add(row)
    db.session.flush()
    return NewKey(id=row.id, name=name, key=key)


def list_keys() -> list[Open311ApiKey]:
    """Every key, oldest first, revoked ones included (their revoked_at is set)."""
    return list(db.session.scalars(select(Open311ApiKey).order_by(Open311ApiKey.id)))


def revoke_key(name_or_id: str) -> Open311ApiKey:
    """Revoke the key with this name (or, failing that, this numeric id); flush."""
    row = db.session.scalar(select(Open311ApiKey).where(Open311ApiKey.name == name_or_id))
    if row is None and name_or_id.isdigit() and len(name_or_id) < 10:
        row = db.session.get(Open311ApiKey, int(name_or_id))
    if row is None:
        raise KeyError311(f"no key named or numbered {name_or_id!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.flush()
    return row


def valid_key(key: object) -> Open311ApiKey | None:
    """The active key row for the text a client sent, or None (absent, malformed, revoked)."""
    if not isinstance(key, str) or not key.startswith(KEY_PREFIX) or len(key) > _MAX_KEY_LENGTH:
        return None
    return db.session.scalar(
        select(Open311ApiKey).where(
            Open311ApiKey.key_hash == hash_key(key), Open311ApiKey.revoked_at.is_(None)
        )
    )
