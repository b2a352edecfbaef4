"""Property-based fuzzing of every JSON endpoint on real PostgreSQL (issue #19).

Arbitrary JSON, wrong types, huge numbers, deep nesting, invalid UTF-8, NUL bytes, lone
surrogates, bodies over 64 KiB and wrong content types: never a 5xx; a refused request stores
nothing (every table's row count unchanged) and an accepted one stores exactly one complete
case. The number of inputs tried is printed at the end of the module (see ``fuzzing.report``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import photo_files
import pytest
from fuzzing import (
    CONTENT_TYPES,
    COUNTS,
    FUZZ,
    FUZZ_EXAMPLES,
    Ledger,
    api_payloads,
    hostile_text,
    json_bodies,
    path_part,
    raw_bodies,
    report,
    tally,
)
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.domain.survey import Rating
from citizenvoice.extensions import db
from citizenvoice.models import OutboxMessage, Period, StatusEvent, Submission, SurveyCampaign
from citizenvoice.services.departments import active_departments
from citizenvoice.services.survey import create_campaign, issue_invitations
from citizenvoice.services.survey_priority import add_candidate

pytestmark = pytest.mark.slow

JSON = "application/json"
VALID = {"kind": "complaint", "department": "cgzf", "text": "人民路夜市噪音扰民，请尽快处理。"}
# Every /api rule and the methods it answers; a new API route must be added to the fuzzing.
FUZZED_API_RULES = {
    ("/api/v1/feedback", "POST"),
    ("/api/v1/feedback/<code>", "GET"),
    ("/api/v1/departments", "GET"),
    ("/api/v1/periods", "GET"),
    ("/api/v1/periods/<code>/scores", "GET"),
    ("/api/v1/surveys/<code>", "GET"),
    ("/api/v1/surveys/<code>", "POST"),
    ("/api/v1/openapi.json", "GET"),
    ("/api/docs", "GET"),
    ("/api/v1/media", "POST"),
    ("/api/v1/media/<media_id>", "GET"),
}
LABELS = [
    "POST /api/v1/feedback (JSON)",
    "POST /api/v1/feedback (raw)",
    "GET /api/v1/*",
    "POST /api/v1/surveys/<code>",
    "POST /api/v1/media",
]
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@pytest.fixture(scope="module", autouse=True)
def _fuzz_summary(request):
    yield
    report(request.config, LABELS)


@pytest.fixture
def world(seeded, tmp_path):
    """The seeded app with no rate limits in the way, a client, and the accepted-case delta."""
    from citizenvoice.services.appraisal import ensure_periods

    seeded.config["MEDIA_DIR"] = str(tmp_path / "media")
    seeded.config["SUBMISSION_RATE_LIMIT"] = "1000000/minute"
    seeded.config["LOOKUP_RATE_LIMIT"] = "1000000/minute"
    seeded.config["SURVEY_RATE_LIMIT"] = "1000000/minute"
    with seeded.app_context():
        ensure_periods()
        db.session.commit()
    ledger = Ledger(seeded)
    client = seeded.test_client()
    before = ledger.counts()
    # Two references: the first case of a year also creates that year's public-number counter.
    assert client.post("/api/v1/feedback", json=VALID).status_code == 201
    before = ledger.counts()
    reference = client.post("/api/v1/feedback", json=VALID)
    assert reference.status_code == 201
    accepted = ledger.delta(before)
    assert accepted.get("submission") == 1
    return seeded, client, ledger, accepted


def _assert_error_shape(response) -> None:
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and set(body) == {"error"}, response.get_data()[:200]
    assert set(body["error"]) == {"code", "message", "fields"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])


def _assert_one_complete_case(app, client, response) -> None:
    """The 201's tracking code names one stored case with its event and outbox row, clean."""
    code = response.get_json()["tracking_code"]
    with app.app_context():
        case = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert case is not None
        assert FeedbackKind(case.kind)
        assert case.text and not _CONTROL.search(case.text)
        assert not _CONTROL.search(case.title or "") and not _CONTROL.search(case.location or "")
        if case.kind == FeedbackKind.RATING:
            assert case.rating in range(1, 6) and case.department_id is not None
        for score in (case.rating_efficiency, case.rating_attitude, case.rating_result):
            assert score is None or score in range(1, 6)
        assert not (case.anonymous and case.contact_phone_encrypted)
        events = db.session.scalar(
            select(func.count())
            .select_from(StatusEvent)
            .where(StatusEvent.submission_id == case.id)
        )
        outbox = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.aggregate_id == case.id)
        )
        assert events == 1 and outbox == 1
    assert client.get(f"/api/v1/feedback/{code}").status_code == 200


def _check(world, response, delta) -> None:
    app, client, _, accepted = world
    raise_if_server_error(response)
    if response.status_code == 201:
        # A case with a phone (not anonymous) also queues its 受理 message to the resident.
        assert delta.pop("notification", 1) == 1, delta
        # A rating with stars and text is also a weak sentiment label (docs/learning.md).
        assert delta.pop("training_label", 1) == 1, delta
        assert delta == accepted, delta
        _assert_one_complete_case(app, client, response)
    else:
        assert delta == {}, (response.status_code, delta)
        assert 400 <= response.status_code < 500
        _assert_error_shape(response)


def raise_if_server_error(response) -> None:
    """Fail with the status and the start of the body on any 5xx."""
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])


def _post(world, body: bytes, content_type: str):
    _, client, ledger, _ = world
    before = ledger.counts()
    response = client.post("/api/v1/feedback", data=body, content_type=content_type)
    return response, ledger.delta(before)


def test_every_api_route_is_fuzzed(app):
    registered = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert registered == FUZZED_API_RULES


def test_fuzzed_json_feedback_is_refused_cleanly_or_stored_whole(world):
    @FUZZ
    @given(payload=api_payloads(), ascii_only=st.booleans())
    def run(payload, ascii_only):
        import json

        body = json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        response, delta = _post(world, body, JSON)
        tally(LABELS[0], response.status_code)
        _check(world, response, delta)

    run()
    assert COUNTS[LABELS[0]] >= FUZZ_EXAMPLES


def test_fuzzed_raw_bodies_and_content_types_never_give_a_5xx(world):
    @FUZZ
    @given(body=st.one_of(raw_bodies(), json_bodies()), content_type=st.sampled_from(CONTENT_TYPES))
    def run(body, content_type):
        response, delta = _post(world, body, content_type)
        tally(LABELS[1], response.status_code)
        _check(world, response, delta)

    run()
    assert COUNTS[LABELS[1]] >= FUZZ_EXAMPLES


_LOOKUPS = [
    "/api/v1/feedback/{part}",
    "/api/v1/periods/{part}/scores",
    "/api/v1/departments",
    "/api/v1/periods",
    "/api/v1/{part}",
    "/api/v1/surveys/{part}",
    "/api/v1/openapi.json",
    "/api/docs",
    "/api/v1/media/{part}",
]


def test_fuzzed_lookups_change_nothing_and_never_give_a_5xx(world):
    _, client, ledger, _ = world

    @FUZZ
    @given(
        template=st.sampled_from(_LOOKUPS),
        part=path_part(),
        query=st.dictionaries(hostile_text(8), hostile_text(30), max_size=3),
        method=st.sampled_from(["GET", "GET", "GET", "POST", "PUT", "DELETE", "PATCH"]),
    )
    def run(template, part, query, method):
        before = ledger.counts()
        response = client.open(
            template.format(part=part),
            method=method,
            query_string={k.encode("utf-8", "surrogatepass"): v.encode("utf-8", "surrogatepass")
                          for k, v in query.items()},
        )  # fmt: skip
        tally(LABELS[2], response.status_code)
        raise_if_server_error(response)
        assert ledger.delta(before) == {}
        if response.status_code >= 400:
            _assert_error_shape(response)

    run()
    assert COUNTS[LABELS[2]] >= FUZZ_EXAMPLES


@st.composite
def survey_payloads(draw: st.DrawFn, departments: list[str], candidates: list[int]) -> Any:
    """Answer sets shaped like the API's, with hostile values in any place, or any JSON."""
    answer = st.fixed_dictionaries(
        {
            "department": st.one_of(st.sampled_from(departments), hostile_text(12), st.integers()),
            "rating": st.one_of(st.sampled_from([r.value for r in Rating]), hostile_text(12)),
        },
        optional={"comment": st.one_of(st.none(), hostile_text(300), st.integers())},
    )
    shaped = st.fixed_dictionaries(
        {"answers": st.lists(answer, max_size=8)},
        optional={
            "priority": st.one_of(
                st.none(),
                st.lists(hostile_text(20), max_size=4),
                st.lists(st.one_of(st.integers(), st.booleans(), st.floats()), max_size=5),
                st.lists(st.sampled_from(candidates), max_size=4),
                hostile_text(),
            )
        },
    )
    return draw(st.one_of(shaped, shaped, api_payloads()))


def test_fuzzed_survey_answers_are_refused_whole_or_stored_whole(world):
    """Each input gets a fresh invitation: a refusal stores nothing and leaves the code usable."""
    app, client, ledger, _ = world
    with app.app_context():
        period = db.session.scalars(select(Period).order_by(Period.id)).first()
        campaign = create_campaign(period, "beijing")
        candidates = [add_candidate(campaign, f"事项{i}").id for i in range(4)]
        db.session.commit()
        campaign_id = campaign.id
        departments = [d.code for d in active_departments()]

    @FUZZ
    @given(payload=survey_payloads(departments, candidates), ascii_only=st.booleans())
    def run(payload, ascii_only):
        with app.app_context():  # a fresh code per input, shrinking runs included
            code = issue_invitations(db.session.get(SurveyCampaign, campaign_id), "residents", 1)[0]
            db.session.commit()
        before = ledger.counts()
        body = json.dumps(payload, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
        response = client.post(f"/api/v1/surveys/{code}", data=body, content_type=JSON)
        tally(LABELS[3], response.status_code)
        raise_if_server_error(response)
        delta = ledger.delta(before)
        if response.status_code == 201:
            assert delta.get("survey_answer", 0) > 0, delta
            assert set(delta) <= {"survey_answer", "survey_priority_pick"}, delta
            again = client.post(f"/api/v1/surveys/{code}", data=body, content_type=JSON)
            assert again.status_code == 409
        else:
            assert delta == {}, (response.status_code, delta)
            assert response.status_code in (400, 413, 415), response.get_data()[:200]
            _assert_error_shape(response)
            assert client.get(f"/api/v1/surveys/{code}").status_code == 200

    run()
    assert COUNTS[LABELS[3]] >= FUZZ_EXAMPLES


_IMAGES = [photo_files.jpeg(), photo_files.png(), photo_files.webp(), photo_files.gps_jpeg()]


@st.composite
def upload_contents(draw: st.DrawFn) -> bytes:
    """A photo, a photo spoilt (bytes flipped, cut, something appended), or any bytes."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return draw(st.binary(max_size=2048))
    if choice == 4:
        return draw(st.sampled_from(list(photo_files.hostile_files().values())))
    data = bytearray(draw(st.sampled_from(_IMAGES)))
    if choice == 1:
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    elif choice == 2:
        del data[draw(st.integers(0, len(data))) :]
    else:
        data += draw(st.binary(max_size=256))
    return bytes(data)


@st.composite
def upload_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """A multipart body with a (sometimes misnamed) file part and hostile names, or any body."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(raw_bodies(), json_bodies())), draw(st.sampled_from(CONTENT_TYPES))
    field = draw(st.sampled_from(["file", "file", "file", "photo", ""]))
    filename = draw(hostile_text(40)).encode("utf-8", "surrogatepass")
    content_type = draw(st.sampled_from([b"image/jpeg", b"application/zip", b"text/html", b""]))
    boundary = b"fuzzboundary7f3a"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="' + field.encode() + b'"; filename="'
        + filename + b'"\r\nContent-Type: ' + content_type + b"\r\n\r\n"
        + draw(upload_contents()) + b"\r\n--" + boundary + b"--\r\n"
    )  # fmt: skip
    return body, "multipart/form-data; boundary=fuzzboundary7f3a"


def test_fuzzed_uploads_are_refused_cleanly_or_stored_as_one_clean_jpeg(world):
    """Never a 5xx; a refusal stores nothing; a 201 stores one row whose preview is a JPEG."""
    from io import BytesIO

    from PIL import Image

    _, client, ledger, _ = world

    @FUZZ
    @given(upload=upload_bodies())
    def run(upload):
        body, content_type = upload
        before = ledger.counts()
        response = client.post("/api/v1/media", data=body, content_type=content_type)
        tally(LABELS[4], response.status_code)
        raise_if_server_error(response)
        delta = ledger.delta(before)
        if response.status_code == 201:
            assert delta == {"media": 1}, delta
            preview = client.get(response.get_json()["url"])
            image = Image.open(BytesIO(preview.data))
            assert image.format == "JPEG" and not image.getexif()
        else:
            assert delta == {}, (response.status_code, delta)
            assert response.status_code in (400, 413), response.get_data()[:200]
            _assert_error_shape(response)

    run()
    assert COUNTS[LABELS[4]] >= FUZZ_EXAMPLES
