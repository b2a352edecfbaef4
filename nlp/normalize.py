"""Text normalisation applied before every other step.

``normalize(text)`` makes citizen messages uniform without changing what they say:

* full-width ASCII letters, digits and symbols (``ＡＢＣ１２３＠＃％``) become half-width, so
  phone numbers, plates and e-mails typed on a Chinese keyboard are found by ``nlp.redact``;
  the punctuation that is correct Chinese typography stays full-width
  (``，。！？：；（）`` and the quotes ``“”‘’`` are untouched; ``、《》【】`` are not in the
  full-width ASCII block anyway);
* the ideographic space and every run of whitespace (tabs, newlines, NBSP) collapse to one
  ASCII space; leading and trailing whitespace is removed;
* zero-width and invisible formatting characters (ZWSP, ZWJ, ZWNJ, word joiner, BOM, soft
  hyphen) are removed;
* traditional characters become simplified, but only when the text contains at least one
  traditional-only character: the check is one ``frozenset.isdisjoint`` over the text, so the
  ~99% of messages already in simplified Chinese never pay for zhconv's conversion. zhconv's
  ``zh-hans`` table is used (script conversion only, no regional vocabulary rewrites).
"""

from __future__ import annotations

import re
from pathlib import Path

from zhconv import zhconv as _zhconv

__all__ = ["KEEP_FULLWIDTH", "compose_text", "normalize"]

#: Full-width punctuation that is correct in Chinese text and is therefore kept.
KEEP_FULLWIDTH = frozenset("，！？：；（）")

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0xFF01, 0xFF5F):
        ch = chr(code)
        if ch not in KEEP_FULLWIDTH:
            table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for ch in _ZERO_WIDTH:
        table[ord(ch)] = None
    return table


_TABLE = _build_table()
# str.translate looks every character up in the table; most messages have nothing to map (their
# only full-width characters are the kept Chinese punctuation), so a regex check comes first.
_NEEDS_TRANSLATE = re.compile("[" + re.escape("".join(chr(c) for c in _TABLE)) + "]")
_WHITESPACE = re.compile(r"\s+")


def _traditional_only() -> frozenset[str]:
    # Pass the path explicitly: zhconv's default loader leaves its file handle open.
    _zhconv.loaddict(str(Path(_zhconv.__file__).resolve().parent / "zhcdict.json"))
    assert _zhconv.zhcdicts is not None
    trad: frozenset[str] = _zhconv.zhcdicts["TRADONLY"]
    return trad


_TRAD_ONLY = _traditional_only()


def normalize(text: str) -> str:
    """Return ``text`` with width, whitespace, invisible characters and script normalised.

    The function is idempotent: ``normalize(normalize(t)) == normalize(t)``.
    """
    out = text.translate(_TABLE) if _NEEDS_TRANSLATE.search(text) else text
    out = _WHITESPACE.sub(" ", out).strip()
    if not _TRAD_ONLY.isdisjoint(out):
        out = _zhconv.convert(out, "zh-hans")
    return out


def compose_text(title: str, text: str) -> str:
    """The model's text for a message: title and body joined by a newline (title may be empty)."""
    title = title.strip()
    return f"{title}\n{text}" if title else text
