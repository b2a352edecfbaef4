"""Property-based fuzzing of the rules behind the endpoints, without any service (make check).

The same hostile values the endpoint fuzzing sends (tests/fuzzing.py), straight into the pure
rules: feedback validation, request cleaning, upload reading and the formula rule. Each must
answer or refuse with its own error type, never raise anything else.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from fuzzing import JSON_VALUES, api_payloads, hostile_text, report, tally
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from citizenvoice.domain.export import looks_like_formula, neutralise_cell
from citizenvoice.domain.feedback import FeedbackInput, FeedbackValidationError, validate_feedback
from citizenvoice.domain.inputs import clean_value, contains_surrogate
from citizenvoice.services.uploads import UploadError, read_table

# Service-free and quick: a smaller fixed budget than the endpoint fuzzing, same determinism.
PURE = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LABELS = [
    "validate_feedback",
    "clean_value",
    "read_table (CSV bytes)",
    "read_table (damaged XLSX)",
    "looks_like_formula",
]


@pytest.fixture(scope="module", autouse=True)
def _fuzz_summary(request):
    yield
    report(request.config, LABELS)


@PURE
@given(payload=api_payloads())
def test_validation_answers_or_refuses_with_field_messages(payload):
    tally(LABELS[0])
    if not isinstance(payload, dict):
        return  # the view refuses a non-object before validation
    payload = clean_value(payload)
    if contains_surrogate(payload):
        return  # refused by the request class before validation
    try:
        result = validate_feedback(payload)
    except FeedbackValidationError as exc:
        assert exc.fields and all(isinstance(v, str) and v for v in exc.fields.values())
    else:
        assert isinstance(result, FeedbackInput) and result.text


@PURE
@given(value=JSON_VALUES)
def test_cleaning_keeps_the_shape_and_drops_control_characters(value):
    tally(LABELS[1])
    cleaned = clean_value(value)
    assert type(cleaned) is type(value)
    if isinstance(value, str):
        assert "\x00" not in cleaned


@PURE
@given(
    data=st.one_of(
        st.binary(max_size=400),
        hostile_text(200).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.sampled_from(["gbk", "utf-16", "utf-16-le", "utf-16-be", "gb18030"]).flatmap(
            lambda enc: st.text(max_size=80).map(
                lambda s: ("部门代码,维度,得分\n" + s).encode(enc, "replace")
            )
        ),
    )
)
def test_reading_any_csv_bytes_answers_rows_or_an_upload_error(data):
    tally(LABELS[2])
    try:
        rows = read_table("scores.csv", data, max_rows=50)
    except UploadError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
    else:
        assert isinstance(rows, list) and len(rows) <= 50


def _workbook() -> bytes:
    workbook = Workbook()
    for row in [["部门代码", "维度", "得分"], ["jtys", "目标考核", 80]]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook()
STORED = io.BytesIO()
with zipfile.ZipFile(io.BytesIO(WORKBOOK)) as _source, zipfile.ZipFile(STORED, "w") as _target:
    for _info in _source.infolist():  # uncompressed, so damage lands in readable XML too
        _target.writestr(_info.filename, _source.read(_info), compress_type=zipfile.ZIP_STORED)
STORED_WORKBOOK = STORED.getvalue()


@PURE
@given(
    base=st.sampled_from([WORKBOOK, STORED_WORKBOOK]),
    edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), max_size=4),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_reading_a_damaged_workbook_answers_rows_or_an_upload_error(base, edits, cut):
    tally(LABELS[3])
    data = bytearray(base)
    for where, patch in edits:
        at = int(where * (len(data) - 1))
        data[at : at + len(patch)] = patch
    if cut is not None:
        data = data[: int(cut * len(data))]
    try:
        rows = read_table("scores.xlsx", bytes(data), max_rows=50)
    except UploadError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc))
    else:
        assert isinstance(rows, list) and len(rows) <= 50


@PURE
@given(text=hostile_text(30))
def test_the_formula_rule_agrees_with_the_export_rule(text):
    tally(LABELS[4])
    if looks_like_formula(text):
        assert neutralise_cell(text.strip(" ")) != text.strip(" ")  # export would neutralise it


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ("=1+1", True),
        ("+1+1", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("=cmd|' /C calc'!A0", True),
        ("+80", False),
        ("-5", False),
        ("88.5", False),
        ("住建局", False),
        ("", False),
    ],
)
def test_signed_numbers_are_not_formulas(text, formula):
    assert looks_like_formula(text) is formula
