"""Property-based fuzzing of the public surface (importable as ``fuzzing``).

Strategies for hostile JSON values, raw bodies, content types, form fields and path parts;
``Ledger`` checks the one invariant every fuzzed request must keep: never a 5xx, and either
nothing stored at all or exactly one complete record (counted over every table with one query);
``COUNTS`` tallies the inputs actually tried, per endpoint, for the session's summary line.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import text

from citizenvoice.extensions import db

__all__ = [
    "CONTENT_TYPES",
    "COUNTS",
    "FUZZ",
    "FUZZ_EXAMPLES",
    "HOSTILE_STRINGS",
    "JSON_VALUES",
    "Ledger",
    "api_payloads",
    "form_fields",
    "hostile_text",
    "json_bodies",
    "path_part",
    "raw_bodies",
    "report",
    "tally",
]

# Examples per fuzzed endpoint (FUZZ_EXAMPLES in the environment raises it for a longer hunt).
# Derandomized and without an example database: every run tries the same inputs (a failure
# reproduces), and nothing is written into the working tree.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

#: Inputs tried per endpoint during this session (printed at the end of the fuzz modules).
COUNTS: Counter[str] = Counter()
#: The statuses those inputs got, per endpoint: shows the fuzzing reached past the first check.
STATUSES: dict[str, Counter[int]] = {}


def tally(label: str, status: int = 0) -> None:
    """Count one fuzzed input of ``label`` and the HTTP status it got (0: not a request)."""
    COUNTS[label] += 1
    STATUSES.setdefault(label, Counter())[status] += 1


# Characters that broke or could break something: NUL and other C0/C1 controls, lone
# surrogates, BOM and zero-width/format characters, bidi overrides, line and paragraph
# separators, full-width and Arabic-Indic digits (which str.isdigit() accepts), emoji.
_NASTY_CHARS = list(
    "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\x9f\ud800\udbff\udc00\udfff\ufeff\u200b\u200d\u202e"
    "\u2028\u2029\ufffd\uffff５٥\U0001f600\U0010ffff"
)
_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_ANY_CHAR = st.one_of(st.characters(), st.sampled_from(_NASTY_CHARS), _CJK)

HOSTILE_STRINGS = [
    "",
    " ",
    "\x00",
    "null",
    "None",
    "1e309",
    "-0",
    "NaN",
    "Infinity",
    str(2**64),
    "０",
    "٥",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "@SUM(1)",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
    "a" * 2001,
    "夜" * 5000,
    "\ud800",
    "13800138000",
    "1380013800０",
]


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text drawn from every plane plus the characters above; sometimes a known bad string."""
    return st.one_of(
        st.text(_ANY_CHAR, max_size=max_size),
        st.sampled_from(HOSTILE_STRINGS),
    )


_HUGE_NUMBERS = [2**63, 2**64, -(2**64), 10**400, 1e308, -1e308, 5e-324, 0.1]
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_HUGE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text(),
)
#: Arbitrary JSON values: nested lists and objects with hostile leaves and keys.
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(hostile_text(12), children, max_size=4),
    ),
    max_leaves=12,
)

_VALID = {
    "complaint": {"kind": "complaint", "department": "cgzf", "title": "夜市噪音",
                  "text": "人民路夜市每天晚上占道经营到凌晨，噪音扰民。", "location": "人民路"},
    "rating": {"kind": "rating", "department": "cgzf", "rating": 4, "rating_efficiency": 5,
               "text": "窗口办事很快，工作人员态度很好。"},
    "suggestion": {"kind": "suggestion", "text": "建议在人民路口增设一个公交站台，方便居民出行。",
                   "contact_phone": "13800138000", "anonymous": False},
}  # fmt: skip
FIELDS = sorted(
    {k for v in _VALID.values() for k in v}
    | {"rating_attitude", "rating_result", "rating_efficiency", "contact_phone", "anonymous"}
)
_FIELD_VALUES = st.one_of(
    JSON_VALUES,
    st.sampled_from([0, 1, 5, 6, -1, "5", " 5 ", "５", True, "true", "cgzf", "CGZF", "x" * 33]),
)


@st.composite
def api_payloads(draw: st.DrawFn) -> Any:
    """A JSON value for POST /api/v1/feedback: mostly a valid case with some fields spoilt.

    Starting from a valid payload keeps most examples deep in validation (and some accepted),
    where a purely random object would stop at the first missing field.
    """
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)  # anything at all, array and scalar bodies included
    payload = dict(_VALID[draw(st.sampled_from(sorted(_VALID)))])
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        payload[name] = draw(_FIELD_VALUES)
    for name in draw(st.lists(st.sampled_from(sorted(payload)), max_size=1)):
        payload.pop(name, None)
    if draw(st.integers(0, 19)) == 0:
        payload[draw(hostile_text(10))] = draw(JSON_VALUES)  # an unknown key
    return payload


def _dumps(value: Any, ascii_only: bool) -> bytes:
    """JSON text for ``value``; NaN/Infinity as Python writes them, surrogates passed through."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def _nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"text":' * depth + b'"x"' + b"}" * depth


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    """The bytes of a JSON body: an encoded payload, sometimes with its text spoilt."""
    payload = draw(api_payloads())
    body = _dumps(payload, draw(st.booleans()))
    spoil = draw(st.integers(0, 9))
    if spoil == 0:  # a number too large for a float, written literally
        body = body.replace(b"4", b"1e309", 1).replace(b'"kind"', b'"rating": 1e309, "kind"', 1)
    elif spoil == 1:  # invalid UTF-8 spliced into the text
        cut = draw(st.integers(0, len(body)))
        body = (
            body[:cut] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80"])) + body[cut:]
        )
    elif spoil == 2:  # a byte-order mark before the body
        body = b"\xef\xbb\xbf" + body
    return body


_FIXED_RAW = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"1e309",
    b"-1e309",
    b"18446744073709551616",
    b"9" * 5000,  # an integer longer than Python's int-from-string limit
    b"NaN",
    b'{"kind": "complaint", "text": "\\ud800\\udc00\\ud800 a lone high surrogate"}',
    b'{"kind": "complaint", "department": "cgzf", "text": "\\u0000\\u0000\\u0000\\u0000"}',
    b'{"kind": "complaint", "text": "\x00raw NUL byte"}',
    b'{"kind": "complaint", "text": "unterminated',
    b'{"kind": "rating", "rating": 1e309, "department": "cgzf", "text": "hello world"}',
    b'{"kind": "rating", "rating": 18446744073709551616, "department": "cgzf", "text": "abcdef"}',
    b'{"kind": "rating", "rating": 4.0000000001, "department": "cgzf", "text": "abcdef"}',
    b'{"kind": "complaint", "kind": "rating", "text": "duplicate keys"}',
    '{"kind": "complaint", "text": "GBK 编码的正文内容"}'.encode("gbk"),
    '{"kind": "complaint", "text": "UTF-16 编码的正文内容"}'.encode("utf-16"),
    b"\xff\xfe\xfd",
    b"kind=complaint&text=hello+world",
]


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """Bodies no well-behaved client sends: deep nesting, over 64 KiB, bytes, fixed traps."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return draw(st.sampled_from(_FIXED_RAW))
    if choice == 1:
        depth = draw(st.sampled_from([100, 999, 1000, 1001, 5000, 20000]))
        return _nested(depth, draw(st.sampled_from(["array", "object"])))
    if choice == 2:  # just over, or well over, the 64 KiB body limit
        size = 64 * 1024 + draw(st.sampled_from([1, 100, 64 * 1024]))
        head = b'{"kind": "complaint", "department": "cgzf", "text": "'
        return head + b"a" * (size - len(head) - 2) + b'"}'
    if choice == 3:
        return draw(st.binary(max_size=200))
    return draw(json_bodies())


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=gbk",
    "application/json; charset=utf-16",
    "application/json; charset=no-such-charset",
    "application/problem+json",
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/octet-stream",
    "",
]


def form_fields(names: list[str], valid: dict[str, str]) -> st.SearchStrategy[Any]:
    """Form data: valid values with some fields replaced by hostile text or repeated."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        data: dict[str, Any] = dict(valid)
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            if draw(st.integers(0, 5)) == 0:
                data[name] = draw(st.lists(hostile_text(20), min_size=2, max_size=3))
            else:
                data[name] = draw(hostile_text())
        for name in draw(st.lists(st.sampled_from(sorted(data)), max_size=1)):
            data.pop(name, None)
        return data

    return build()


def path_part() -> st.SearchStrategy[str]:
    """A percent-encoded path segment: hostile text, very long text, or encoded traps."""
    return st.one_of(
        hostile_text(40).map(lambda s: quote(s.encode("utf-8", "surrogatepass"), safe="")),
        st.sampled_from(["%ff", "%c3%28", "%ed%a0%80", "%00", "..", "%2e%2e", "A" * 5000, "%"]),
    )


class Ledger:
    """Row counts of every table, compared before and after each fuzzed request."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self.tables = [t.name for t in db.metadata.sorted_tables]
        self.app = app
        columns = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in self.tables)
        self._query = text(f"SELECT {columns}")  # table names from the models

    def counts(self) -> dict[str, int]:
        """How many rows each table holds now (one round trip)."""
        with self.app.app_context():
            row = db.session.execute(self._query).one()
            db.session.rollback()
        return dict(zip(self.tables, row, strict=True))

    def delta(self, before: dict[str, int]) -> dict[str, int]:
        """Tables whose row count changed since ``before``, with the change."""
        now = self.counts()
        return {name: now[name] - before[name] for name in self.tables if now[name] != before[name]}


def report(config: Any, labels: list[str]) -> None:
    """Print how many inputs each endpoint was fuzzed with, and keep it in pytest's cache.

    Written through the terminal reporter, so the figures show without ``-s``; the cache key
    ``citizenvoice/fuzz_counts`` holds the latest figures of every endpoint fuzzed so far.
    """
    figures = {label: COUNTS[label] for label in labels if COUNTS[label]}
    if not figures:
        return
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        stored = cache.get("citizenvoice/fuzz_counts", {})
        stored.update(figures)
        cache.set("citizenvoice/fuzz_counts", stored)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    lines = []
    for label, count in figures.items():
        statuses = {s: n for s, n in sorted(STATUSES.get(label, {}).items()) if s}
        answers = ", ".join(f"{status}: {n}" for status, n in statuses.items())
        lines.append(f"  {label}: {count} inputs" + (f" ({answers})" if answers else ""))
    total = f"fuzzed inputs tried: {sum(figures.values())}"
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in ["", total, *lines]:
            if reporter is not None:
                reporter.write_line(line)
            else:  # pragma: no cover - without the terminal plugin
                print(line)
