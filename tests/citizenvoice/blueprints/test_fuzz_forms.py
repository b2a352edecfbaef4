"""Property-based fuzzing of every public form on real PostgreSQL (issue #19).

The feedback form of each kind, the tracking lookup, the follow-up form and the sign-in form get
hostile field values (NUL, lone surrogates as invalid UTF-8, huge and wrong-typed values,
repeated fields), raw bodies and wrong content types: never a 5xx; a refused form stores
nothing (every table's row count unchanged) and an accepted one exactly one complete record.
The number of inputs tried is printed at the end of the module (see ``fuzzing.report``).
"""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes, urlsplit

import pytest
from factories import PASSWORD, csrf_token, file_case, make_user
from fuzzing import (
    CONTENT_TYPES,
    COUNTS,
    FUZZ,
    FUZZ_EXAMPLES,
    Ledger,
    form_fields,
    hostile_text,
    path_part,
    raw_bodies,
    report,
    tally,
)
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from citizenvoice.domain.cases import Satisfaction
from citizenvoice.domain.feedback import FeedbackKind
from citizenvoice.extensions import db
from citizenvoice.models import FollowUp, Submission

pytestmark = pytest.mark.slow

FORM = "application/x-www-form-urlencoded"
NOISE = "人民路夜市每天晚上占道经营到凌晨，噪音扰民，请尽快处理。"
VALID_FORMS = {
    "complaint": {"department": "cgzf", "title": "夜市噪音", "text": NOISE, "location": "人民路"},
    "rating": {"department": "cgzf", "text": "窗口办事很快，态度很好。", "rating": "4",
               "rating_efficiency": "5", "rating_attitude": "4", "rating_result": "3"},
    "suggestion": {"text": "建议在人民路口增设公交站台。", "contact_phone": "13800138000",
                   "anonymous": "y"},
}  # fmt: skip
FEEDBACK_FIELDS = sorted({name for form in VALID_FORMS.values() for name in form} | {"csrf_token"})
FOLLOW_UP_VALID = {
    "contacted": "yes",
    "resolved": "yes",
    "satisfaction": "satisfied",
    "rating": "5",
    "comment": "处理得很及时，谢谢。",
}
FOLLOW_UP_FIELDS = [*FOLLOW_UP_VALID, "wants_redo", "csrf_token"]
LABELS = [
    "POST /submit/<kind> (fields)",
    "POST /submit/<kind> (raw)",
    "GET /track, /track/<code>, /submitted/<code>",
    "POST /track/<code>/follow-up",
    "POST /login",
]
# Tables an accepted follow-up may add rows to besides its own: the timeline, the audit, and
# the weak sentiment label of a follow-up with a comment.
FOLLOW_UP_SIDE_TABLES = {"status_event", "audit_entry", "outbox_message", "training_label"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@pytest.fixture(scope="module", autouse=True)
def _fuzz_summary(request):
    yield
    report(request.config, LABELS)


def _encode(fields: dict) -> bytes:
    """A urlencoded body written by hand: lone surrogates go out as invalid UTF-8 bytes."""
    pairs = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            key = quote_from_bytes(name.encode("utf-8", "surrogatepass"))
            pairs.append(f"{key}={quote_from_bytes(item.encode('utf-8', 'surrogatepass'))}")
    return "&".join(pairs).encode("ascii")


@pytest.fixture
def world(seeded):
    """The seeded app with limits out of the way, a client with its CSRF token, and a ledger."""
    seeded.config["SUBMISSION_RATE_LIMIT"] = "1000000/minute"
    seeded.config["LOOKUP_RATE_LIMIT"] = "1000000/minute"
    client = seeded.test_client()
    token = csrf_token(client.get("/submit/complaint").get_data(as_text=True))
    return seeded, client, token, Ledger(seeded)


def _no_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.get_data()[:300])


def _accepted_case_delta(world) -> dict[str, int]:
    """What one accepted case adds, measured on the second of two (the first case of a year
    also creates that year's public-number counter)."""
    _, client, token, ledger = world
    for _ in range(2):
        before = ledger.counts()
        response = client.post(
            "/submit/complaint", data=_encode({**VALID_FORMS["complaint"], "csrf_token": token}),
            content_type=FORM,
        )  # fmt: skip
        assert response.status_code == 303
    return ledger.delta(before)


def _assert_whole_case(app, response) -> None:
    """The 303 names one stored case, clean, whose confirmation page opens."""
    path = urlsplit(response.headers["Location"]).path
    assert path.startswith("/submitted/")
    code = path.rsplit("/", 1)[1]
    with app.app_context():
        case = db.session.scalar(select(Submission).where(Submission.tracking_code == code))
        assert case is not None and FeedbackKind(case.kind)
        for value in (case.text, case.title or "", case.location or ""):
            assert not _CONTROL.search(value)
        assert case.text
        if case.kind == FeedbackKind.RATING:
            assert case.rating in range(1, 6) and case.department_id is not None
        assert not (case.anonymous and case.contact_phone_encrypted)
        assert len(case.events) == 1


def _check_submission(world, accepted, response, delta) -> None:
    app = world[0]
    _no_server_error(response)
    if response.status_code == 303:
        # A case with a phone (not anonymous) also queues its 受理 message to the resident.
        assert delta.pop("notification", 1) == 1, delta
        # A rating with stars and text is also a weak sentiment label (docs/learning.md).
        assert delta.pop("training_label", 1) == 1, delta
        assert delta == accepted, delta
        _assert_whole_case(app, response)
    else:
        assert delta == {}, (response.status_code, delta)


# Mostly a real kind (the form is read), sometimes a hostile path part (404 before any query).
_KINDS = st.integers(0, 9).flatmap(
    lambda n: path_part() if n == 0 else st.sampled_from([k.value for k in FeedbackKind])
)


def test_fuzzed_feedback_forms_are_refused_cleanly_or_stored_whole(world):
    _, client, token, ledger = world
    accepted = _accepted_case_delta(world)

    @FUZZ
    @given(
        kind=_KINDS,
        base=st.sampled_from(sorted(VALID_FORMS)),
        data=st.data(),
        keep_token=st.integers(0, 9),
    )
    def run(kind, base, data, keep_token):
        fields = data.draw(form_fields(FEEDBACK_FIELDS, VALID_FORMS[base]))
        if keep_token:  # mostly a valid token, so the fields are what gets judged
            fields.setdefault("csrf_token", token)
        before = ledger.counts()
        response = client.post(f"/submit/{kind}", data=_encode(fields), content_type=FORM)
        tally(LABELS[0], response.status_code)
        _check_submission(world, accepted, response, ledger.delta(before))

    run()
    assert COUNTS[LABELS[0]] >= FUZZ_EXAMPLES


def test_fuzzed_raw_bodies_to_the_feedback_form_never_give_a_5xx(world):
    _, client, token, ledger = world
    accepted = _accepted_case_delta(world)

    @FUZZ
    @given(
        kind=st.sampled_from([k.value for k in FeedbackKind]),
        body=raw_bodies(),
        content_type=st.sampled_from(CONTENT_TYPES),
        with_token=st.booleans(),
    )
    def run(kind, body, content_type, with_token):
        if with_token:  # a valid token first, so the body itself is parsed and judged
            body = f"csrf_token={token}&".encode() + body
        before = ledger.counts()
        response = client.post(f"/submit/{kind}", data=body, content_type=content_type)
        tally(LABELS[1], response.status_code)
        _check_submission(world, accepted, response, ledger.delta(before))

    run()
    assert COUNTS[LABELS[1]] >= FUZZ_EXAMPLES


def test_fuzzed_tracking_lookups_change_nothing(world):
    app, client, _, ledger = world
    code = file_case(app, NOISE)["code"]

    @FUZZ
    @given(
        where=st.sampled_from(["/track?code={q}", "/track/{p}", "/submitted/{p}", "/track/{p}/x"]),
        part=st.one_of(path_part(), st.sampled_from([code, code.lower(), code.replace("-", "")])),
        method=st.sampled_from(["GET", "GET", "GET", "POST", "PUT"]),
    )
    def run(where, part, method):
        before = ledger.counts()
        response = client.open(where.format(q=part, p=part), method=method)
        tally(LABELS[2], response.status_code)
        _no_server_error(response)
        assert ledger.delta(before) == {}

    run()
    assert COUNTS[LABELS[2]] >= FUZZ_EXAMPLES


def _assert_whole_follow_up(app, case_id: int) -> None:
    with app.app_context():
        answer = db.session.scalar(select(FollowUp).where(FollowUp.submission_id == case_id))
        assert answer is not None
        assert Satisfaction(answer.satisfaction)
        assert answer.contacted in (True, False) and answer.resolved in (True, False)
        assert answer.rating is None or answer.rating in range(1, 6)
        assert not _CONTROL.search(answer.comment or "")


def test_fuzzed_follow_ups_are_refused_cleanly_or_stored_whole(world):
    app, client, token, ledger = world
    case = {"current": file_case(app, NOISE, until="replied")}

    @FUZZ
    @given(
        fields=form_fields(FOLLOW_UP_FIELDS, FOLLOW_UP_VALID),
        code=st.one_of(st.just(None), st.just(None), st.just(None), path_part()),
        keep_token=st.integers(0, 9),
    )
    def run(fields, code, keep_token):
        if keep_token:
            fields.setdefault("csrf_token", token)
        target = case["current"]
        before = ledger.counts()
        response = client.post(
            f"/track/{code or target['code']}/follow-up", data=_encode(fields), content_type=FORM
        )
        tally(LABELS[3], response.status_code)
        _no_server_error(response)
        delta = ledger.delta(before)
        if delta:
            assert response.status_code == 303 and delta.pop("follow_up") == 1, delta
            assert set(delta) <= FOLLOW_UP_SIDE_TABLES and all(0 < n <= 3 for n in delta.values())
            _assert_whole_follow_up(app, target["id"])
            case["current"] = file_case(app, NOISE, until="replied")  # the next one is answerable

    run()
    assert COUNTS[LABELS[3]] >= FUZZ_EXAMPLES


def test_fuzzed_sign_ins_store_nothing_and_never_give_a_5xx(world, redis_client):
    app, _, _, ledger = world
    make_user(app, "office", None, "office1")
    addresses = iter(range(1, 10**6))

    @FUZZ
    @given(
        username=st.one_of(hostile_text(40), st.just("office1")),
        password=st.one_of(hostile_text(40), st.just(PASSWORD)),
        extra=st.dictionaries(hostile_text(8), hostile_text(20), max_size=2),
        next_=st.one_of(st.just(""), hostile_text(30)),
    )
    def run(username, password, extra, next_):
        # A client and an address of its own each time: the per-address limit of five failures
        # a minute would otherwise answer 429 before the form is read.
        address = next(addresses)
        redis_client.flushdb()  # the username lock too: the real password must get through
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = (
            f"10.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}"
        )
        token = csrf_token(client.get("/login").get_data(as_text=True))
        fields = {**extra, "username": username, "password": password, "csrf_token": token}
        query = quote_from_bytes(next_.encode("utf-8", "surrogatepass"))
        before = ledger.counts()
        response = client.post(f"/login?next={query}", data=_encode(fields), content_type=FORM)
        tally(LABELS[4], response.status_code)
        _no_server_error(response)
        assert ledger.delta(before) == {}
        if response.status_code == 303:
            location = response.headers["Location"]
            assert location.startswith("/") and not location.startswith("//")

    run()
    assert COUNTS[LABELS[4]] >= FUZZ_EXAMPLES
