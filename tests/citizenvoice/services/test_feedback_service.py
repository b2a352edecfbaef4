"""Submitting feedback (citizenvoice.services.feedback) on the real PostgreSQL database.

submit_feedback stores the submission, its first timeline event and one outbox row, flushes
and leaves the commit to the caller; it refuses unknown departments before adding anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from citizenvoice.domain.feedback import (
    UNKNOWN_DEPARTMENT_MESSAGE,
    Channel,
    FeedbackValidationError,
    validate_feedback,
)
from citizenvoice.extensions import db
from citizenvoice.models import Department, OutboxMessage, StatusEvent, Submission
from citizenvoice.services import feedback as feedback_service
from citizenvoice.services.feedback import (
    ANALYSE_TOPIC,
    submission_by_tracking_code,
    submit_feedback,
)

TEXT = "人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请尽快处理。"


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context on empty tables with two departments, one of them inactive."""
    with app.app_context():
        db.session.add_all(
            [
                Department(code="cgzf", name="市城市管理综合执法局", group="执法监管"),
                Department(code="jgj", name="市机关事务管理局", group="综合管理", active=False),
            ]
        )
        db.session.commit()
        yield app
        db.session.rollback()


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Submission, StatusEvent, OutboxMessage)
    }


def submit(channel: Channel = Channel.WEB, **fields) -> Submission:
    data = {"kind": "complaint", "text": TEXT, **fields}
    return submit_feedback(
        validate_feedback(data), channel=channel, pii=current_app.extensions["citizenvoice.pii"]
    )


def test_a_submission_is_stored_with_its_received_event_and_one_outbox_row(ctx):
    submission = submit(department="cgzf", title="夜市噪音扰民", location="人民路")
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Submission, submission.id)
    assert stored.kind == "complaint"
    assert stored.text == TEXT
    assert stored.title == "夜市噪音扰民"
    assert stored.location == "人民路"
    assert stored.department.code == "cgzf"
    assert stored.status == "received"
    assert stored.channel == "web"
    assert [(e.status, e.note) for e in stored.events] == [("received", "诉求已受理")]
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.topic, m.aggregate_id, m.payload, m.status) for m in outbox] == [
        (ANALYSE_TOPIC, submission.id, {"submission_id": submission.id}, "pending")
    ]
    assert counts() == {"submission": 1, "status_event": 1, "outbox_message": 1}


def test_submit_flushes_but_leaves_the_commit_to_the_caller(ctx):
    submission = submit()
    assert submission.id is not None  # flushed: the id exists
    db.session.rollback()
    assert counts() == {"submission": 0, "status_event": 0, "outbox_message": 0}


def test_created_at_is_timezone_aware_utc(ctx):
    submission = submit()
    db.session.commit()
    db.session.expire_all()
    created_at = db.session.get(Submission, submission.id).created_at
    assert created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API])
def test_the_channel_is_recorded(ctx, channel):
    assert submit(channel=channel).channel == channel.value


def test_unsure_department_is_stored_as_null(ctx):
    submission = submit(department=None)
    db.session.flush()
    assert submission.department_id is None


def test_a_rating_stores_its_score_and_sub_scores(ctx):
    submission = submit(
        kind="rating", department="cgzf", rating=4, rating_efficiency=5, rating_result=3
    )
    assert (submission.rating, submission.rating_efficiency) == (4, 5)
    assert (submission.rating_attitude, submission.rating_result) == (None, 3)


@pytest.mark.parametrize("code", ["wjw-not-here", "jgj"], ids=["unknown", "inactive"])
def test_an_unknown_or_inactive_department_is_refused_and_nothing_is_added(ctx, code):
    with pytest.raises(FeedbackValidationError) as caught:
        submit(department=code)
    assert caught.value.fields == {"department": UNKNOWN_DEPARTMENT_MESSAGE}
    assert not db.session.new
    db.session.flush()
    assert counts() == {"submission": 0, "status_event": 0, "outbox_message": 0}


def test_the_phone_is_stored_encrypted_fingerprinted_and_masked(ctx):
    pii = ctx.extensions["citizenvoice.pii"]
    submission = submit(contact_phone="138-0000-1234")
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Submission, submission.id)
    assert stored.contact_phone_encrypted != "13800001234"
    assert "13800001234" not in stored.contact_phone_encrypted
    assert pii.decrypt(stored.contact_phone_encrypted) == "13800001234"
    assert stored.contact_phone_hmac == pii.fingerprint("13800001234")
    assert stored.contact_phone_masked == "138****1234"


def test_equal_numbers_written_differently_share_one_fingerprint(ctx):
    first = submit(contact_phone="138 0000 1234")
    second = submit(contact_phone="13800001234")
    third = submit(contact_phone="13900001234")
    assert first.contact_phone_hmac == second.contact_phone_hmac
    assert first.contact_phone_encrypted != second.contact_phone_encrypted
    assert third.contact_phone_hmac != first.contact_phone_hmac


def test_the_plain_phone_number_is_nowhere_in_the_database(ctx):
    submit(contact_phone="13800001234", location="幸福家园小区")
    db.session.commit()
    dump = db.session.execute(
        select(func.concat_ws("|", *Submission.__table__.columns))
    ).scalar_one()
    events = " ".join(db.session.scalars(select(StatusEvent.note)))
    assert "13800001234" not in dump + events
    assert "幸福家园小区" in dump  # the check reads the real row


def test_without_a_phone_no_contact_columns_are_filled(ctx):
    submission = submit()
    assert submission.contact_phone_encrypted is None
    assert submission.contact_phone_hmac is None
    assert submission.contact_phone_masked is None


def test_100_submissions_get_100_different_tracking_codes(ctx):
    codes = {submit().tracking_code for _ in range(100)}
    db.session.commit()
    assert len(codes) == 100
    assert counts()["submission"] == 100


def test_the_database_refuses_a_duplicate_tracking_code(ctx):
    existing = submit()
    db.session.commit()
    db.session.add(Submission(tracking_code=existing.tracking_code, kind="complaint", text=TEXT))
    with pytest.raises(IntegrityError, match="tracking_code"):
        db.session.flush()


def test_a_clashing_tracking_code_is_replaced_and_nothing_is_left_behind(ctx, monkeypatch):
    existing = submit()
    db.session.commit()
    fresh = "Fresh_tracking-code12345"
    codes = iter([existing.tracking_code, fresh])
    monkeypatch.setattr(feedback_service, "new_tracking_code", lambda: next(codes))

    submission = submit()
    db.session.commit()

    assert submission.tracking_code == fresh
    assert counts() == {"submission": 2, "status_event": 2, "outbox_message": 2}


def test_a_code_that_keeps_clashing_gives_up_after_three_attempts(ctx, monkeypatch):
    existing = submit()
    db.session.commit()
    attempts = []

    def always_the_same() -> str:
        attempts.append(1)
        return existing.tracking_code

    monkeypatch.setattr(feedback_service, "new_tracking_code", always_the_same)
    with pytest.raises(IntegrityError):
        submit()
    assert len(attempts) == 3
    db.session.rollback()
    assert counts() == {"submission": 1, "status_event": 1, "outbox_message": 1}


def test_a_submission_is_found_by_its_tracking_code_with_its_timeline(ctx):
    code = submit(department="cgzf").tracking_code
    db.session.commit()
    db.session.expunge_all()

    found = submission_by_tracking_code(code)
    assert found is not None
    assert found.tracking_code == code
    assert [e.status for e in found.events] == ["received"]
    assert found.department.name == "市城市管理综合执法局"


@pytest.mark.parametrize(
    "code",
    ["A" * 24, "short", "查询码" * 8, "' OR 1=1 --", "A" * 24 + "\x00", ""],
    ids=repr,
)
def test_an_unknown_or_malformed_code_finds_nothing(ctx, code):
    submit()
    db.session.commit()
    assert submission_by_tracking_code(code) is None


def test_a_code_is_found_in_lower_case_without_dashes_and_with_spaces(ctx):
    code = submit().tracking_code
    db.session.commit()
    compact = code.replace("-", "")
    for typed in (code.lower(), compact, compact.lower(), code.replace("-", " "), f" {code} "):
        found = submission_by_tracking_code(typed)
        assert found is not None and found.tracking_code == code, typed


def test_a_code_of_the_old_format_keeps_working_exactly_as_stored(ctx):
    old = "aB3_x-Yz09qWeRtY_uIoP-as"  # secrets.token_urlsafe(18), issued before the change
    submission = submit()
    submission.tracking_code = old
    db.session.commit()
    assert submission_by_tracking_code(old).id == submission.id
    assert submission_by_tracking_code(old.swapcase()) is None  # old codes stay exact


def test_file_feedback_validates_and_stores_in_one_call_for_both_channels(ctx):
    pii = current_app.extensions["citizenvoice.pii"]
    web = feedback_service.file_feedback(
        {"kind": "complaint", "text": f"  {TEXT}  ", "department": "cgzf"},
        channel=Channel.WEB,
        pii=pii,
    )
    api = feedback_service.file_feedback(
        {"kind": "suggestion", "text": TEXT}, channel=Channel.API, pii=pii
    )
    db.session.commit()
    assert (web.text, web.department.code, web.channel) == (TEXT, "cgzf", "web")
    assert (api.kind, api.department, api.channel) == ("suggestion", None, "api")
    assert counts() == {"submission": 2, "status_event": 2, "outbox_message": 2}


def test_file_feedback_refuses_bad_input_before_storing_anything(ctx):
    pii = current_app.extensions["citizenvoice.pii"]
    with pytest.raises(FeedbackValidationError) as shape:
        feedback_service.file_feedback(
            {"kind": "rating", "text": "短", "contact_phone": "123"}, channel=Channel.API, pii=pii
        )
    assert set(shape.value.fields) == {"text", "rating", "department", "contact_phone"}
    with pytest.raises(FeedbackValidationError) as unknown:
        feedback_service.file_feedback(
            {"kind": "complaint", "text": TEXT, "department": "jgj"}, channel=Channel.WEB, pii=pii
        )
    assert unknown.value.fields == {"department": UNKNOWN_DEPARTMENT_MESSAGE}
    assert counts() == {"submission": 0, "status_event": 0, "outbox_message": 0}
