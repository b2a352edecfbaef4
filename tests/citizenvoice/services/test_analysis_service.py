"""The analysis service on PostgreSQL with the real nlp models: upsert, routing, duplicates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from citizenvoice.domain.analysis import AnalysisStatus, Routing
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    DuplicateBand,
    OutboxMessage,
    StatusEvent,
    Submission,
    utcnow,
)
from citizenvoice.services.analysis import (
    NOTHING_TO_ANALYSE,
    analyse_submission,
    mark_analysis_failed,
    reset_failed_analysis,
)
from citizenvoice.services.duplicates import regroup_window

SCHOOL_FEES = "A4区某中学初三年级要求学生周末到校补课，每人收取补课费八百元，家长负担很重，这种做法是否符合教育局规定？"
ELEVATOR = "A3区幸福家园小区5栋电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难，请住建部门督促解决。"
ELEVATOR_AGAIN = "A3区幸福家园小区5栋电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难，请住建部门督促解决！！"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_running_twice_leaves_exactly_one_analysis_row(seeded, analyzer, file_case):
    case_id = file_case(SCHOOL_FEES, department="jyty")
    with seeded.app_context():
        first = analyse_submission(case_id, analyzer)
        db.session.commit()
        second = analyse_submission(case_id, analyzer)
        db.session.commit()
        assert (first.status, second.status) == ("analysed", "analysed")
        assert _count(Analysis, Analysis.submission_id == case_id) == 1
        row = db.session.scalar(select(Analysis).where(Analysis.submission_id == case_id))
        assert row.runs == 2
        assert row.category == "教育文体"
        assert 0.0 <= row.sentiment <= 1.0 and row.sentiment_label in {
            "negative",
            "neutral",
            "positive",
        }
        assert row.keywords and row.model_version
        assert db.session.get(Submission, case_id).analysis_status == AnalysisStatus.DONE.value
        assert (
            db.session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.aggregate_id == case_id)
            )
            == "done"
        )


def test_confident_unsure_case_is_routed_once_with_a_timeline_note(seeded, analyzer, file_case):
    case_id = file_case(SCHOOL_FEES)
    with seeded.app_context():
        outcome = analyse_submission(case_id, analyzer, min_confidence=0.0)
        db.session.commit()
        analyse_submission(case_id, analyzer, min_confidence=0.0)
        db.session.commit()
        submission = db.session.get(Submission, case_id)
        assert outcome.routed_to == "市教育体育局"
        assert submission.department.code == "jyty"
        assert submission.routing == Routing.CLASSIFIER.value
        assigned = list(
            db.session.scalars(
                select(StatusEvent.note).where(
                    StatusEvent.submission_id == case_id, StatusEvent.action == "assign"
                )
            )
        )
        assert len(assigned) == 1 and assigned[0].startswith("已分派至市教育体育局")
        assert submission.sign_due_at is not None


def test_unconfident_case_is_left_for_the_office(seeded, analyzer, file_case):
    case_id = file_case(SCHOOL_FEES)
    with seeded.app_context():
        outcome = analyse_submission(case_id, analyzer, min_confidence=1.01)
        db.session.commit()
        submission = db.session.get(Submission, case_id)
        assert outcome.routed_to is None
        assert submission.department_id is None
        assert submission.routing == Routing.OFFICE_NEEDED.value


def test_the_residents_choice_of_department_is_never_overridden(seeded, analyzer, file_case):
    case_id = file_case(SCHOOL_FEES, department="zjj")
    with seeded.app_context():
        analyse_submission(case_id, analyzer, min_confidence=0.0)
        db.session.commit()
        submission = db.session.get(Submission, case_id)
        assert submission.department.code == "zjj"
        assert submission.routing == Routing.RESIDENT.value


def test_a_deleted_submission_gives_a_clean_missing_outcome(seeded, analyzer, file_case):
    case_id = file_case(ELEVATOR)
    with seeded.app_context():
        db.session.execute(delete(Submission).where(Submission.id == case_id))
        db.session.commit()
        outcome = analyse_submission(case_id, analyzer)
        db.session.commit()
        assert outcome.status == "missing"
        assert _count(Analysis) == 0


def test_near_duplicates_share_a_group_and_different_issues_do_not(seeded, analyzer, file_case):
    first, again, other = file_case(ELEVATOR), file_case(ELEVATOR_AGAIN), file_case(SCHOOL_FEES)
    with seeded.app_context():
        groups = {}
        for case_id in (first, again, other):
            groups[case_id] = analyse_submission(case_id, analyzer).duplicate_group
            db.session.commit()
        assert groups[first] == groups[again] == f"g{first}"
        assert groups[other] == f"g{other}"
        assert _count(DuplicateBand, DuplicateBand.submission_id == first) > 0


def test_regrouping_a_window_reproduces_the_stream_groups(seeded, analyzer, file_case):
    ids = [file_case(ELEVATOR), file_case(ELEVATOR_AGAIN), file_case(SCHOOL_FEES)]
    with seeded.app_context():
        for case_id in ids:
            analyse_submission(case_id, analyzer)
        db.session.commit()
        before = dict(
            db.session.execute(select(Analysis.submission_id, Analysis.duplicate_group)).all()
        )
        now = utcnow()
        changed = regroup_window(now - timedelta(days=1), now + timedelta(seconds=1))
        db.session.commit()
        after = dict(
            db.session.execute(select(Analysis.submission_id, Analysis.duplicate_group)).all()
        )
        assert changed == 0
        assert before == after


def test_a_message_of_emoji_only_is_kept_and_marked_nothing_to_analyse(seeded, analyzer, file_case):
    case_id = file_case("😡😡😡😡😡😡")
    with seeded.app_context():
        outcome = analyse_submission(case_id, analyzer)
        db.session.commit()
        row = db.session.scalar(select(Analysis).where(Analysis.submission_id == case_id))
        assert outcome.status == "analysed"
        assert row.model_version == NOTHING_TO_ANALYSE and row.category is None
        assert db.session.get(Submission, case_id).routing == Routing.OFFICE_NEEDED.value


def test_failed_analyses_are_visible_and_can_be_reset_to_pending(seeded, file_case):
    case_id = file_case(ELEVATOR)
    with seeded.app_context():
        assert mark_analysis_failed(case_id, "JobTimeoutException: took too long")
        db.session.commit()
        assert db.session.get(Submission, case_id).analysis_status == "failed"
        assert (
            db.session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.aggregate_id == case_id)
            )
            == "failed"
        )
        assert reset_failed_analysis() == [case_id]
        db.session.commit()
        assert db.session.get(Submission, case_id).analysis_status == "pending"
        assert (
            db.session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.aggregate_id == case_id)
            )
            == "pending"
        )


def test_the_public_views_show_the_category_once_analysed_and_nothing_else(
    seeded, analyzer, file_case, client
):
    case_id = file_case(SCHOOL_FEES, department="jyty")
    with seeded.app_context():
        code = db.session.get(Submission, case_id).tracking_code
    assert client.get(f"/api/v1/feedback/{code}").get_json()["category"] is None
    with seeded.app_context():
        analyse_submission(case_id, analyzer)
        db.session.commit()
        keywords = db.session.scalar(
            select(Analysis.keywords).where(Analysis.submission_id == case_id)
        )
    body = client.get(f"/api/v1/feedback/{code}").get_json()
    assert body["category"] == "教育文体"
    assert "sentiment" not in body and "keywords" not in body
    page = client.get(f"/track/{code}").get_data(as_text=True)
    assert "教育文体" in page
    assert not any(f">{word}<" in page for word in keywords)
