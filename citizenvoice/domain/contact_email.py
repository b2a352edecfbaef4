"""A resident's contact e-mail address: the plain check, its fingerprint key and its mask.

The check is deliberately plain (not RFC 5322): one ``@``, an ASCII local part of the usual
characters, a domain of letters, digits and hyphens with at least one dot, at most 254
characters, and nothing that could break a mail header or a log line (no spaces, CR, LF, NUL or
other control characters). Full-width characters from a Chinese input method (＠, ．) are
read as their ASCII forms first. An address starting with ``=``, ``+``, ``-`` or ``@`` is
refused too: nobody has one, and a spreadsheet would read it as a formula.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "EMAIL_FORMAT_MESSAGE",
    "EMAIL_TOO_LONG_MESSAGE",
    "MAX_EMAIL_LENGTH",
    "email_key",
    "mask_email",
    "normalise_email",
]

# RFC 5321's limit on a path, the figure every mail system agrees on.
MAX_EMAIL_LENGTH = 254
_MAX_LOCAL_LENGTH = 64
EMAIL_FORMAT_MESSAGE = "电子邮箱格式不正确，请填写如 name@example.com 的地址"
EMAIL_TOO_LONG_MESSAGE = f"电子邮箱太长，请不要超过 {MAX_EMAIL_LENGTH} 个字符"

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*/=?^_`{|}~.+-]+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_FORMULA_START = ("=", "+", "-", "@")
# Only ordinary spaces around the address are forgiven (a phone keyboard adds one after
# autocompletion); any other whitespace or control character anywhere is refused.
_EDGE_SPACES = " \u3000"


def normalise_email(raw: object) -> str:
    """The address to store (domain in lower case); ValueError with the Chinese message."""
    if not isinstance(raw, str):
        raise ValueError(EMAIL_FORMAT_MESSAGE)
    value = unicodedata.normalize("NFKC", raw.strip(_EDGE_SPACES))
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValueError(EMAIL_TOO_LONG_MESSAGE)
    local, at, domain = value.partition("@")
    if not at or "@" in domain or not _valid_local(local) or not _valid_domain(domain):
        raise ValueError(EMAIL_FORMAT_MESSAGE)
    return f"{local}@{domain.lower()}"


def _valid_local(local: str) -> bool:
    return (
        0 < len(local) <= _MAX_LOCAL_LENGTH
        and _LOCAL.fullmatch(local) is not None
        and not local.startswith(_FORMULA_START)
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
    )


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()  # a top-level domain is never numeric
    )


def email_key(address: str) -> str:
    """What the keyed fingerprint is taken of: the whole address in lower case.

    Mail systems treat the local part case-insensitively in practice, so ``Zhang@Example.com``
    and ``zhang@example.com`` share one 退订. The ``@`` keeps it apart from every phone number,
    so an address's fingerprint can share the opt-out table with the numbers' fingerprints.
    """
    return address.lower()


def mask_email(address: str) -> str:
    """Show an address the way staff see it: ``z***@example.com``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if local and domain else "***"
