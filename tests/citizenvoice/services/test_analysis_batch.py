"""Batch analysis writes set-based (Core upsert, one UPDATE per submission row, one INSERT of
timeline events) on PostgreSQL and on the embedded SQLite database, with the same results as
analysing the cases one by one."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from factories import embedded_app
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, update
from support import file_submission

from citizenvoice import create_app
from citizenvoice.domain.analysis import AnalysisStatus, Routing
from citizenvoice.extensions import db
from citizenvoice.models import Analysis, OutboxMessage, StatusEvent, Submission
from citizenvoice.services.accounts import create_user
from citizenvoice.services.analysis import analyse_batch, analyse_submission
from citizenvoice.services.casework import correct_category
from config import DevelopmentConfig

SCHOOL_FEES = "A4区某中学初三年级要求学生周末到校补课，每人收取补课费八百元，家长负担很重，这种做法是否符合教育局规定？"
ELEVATOR = "A3区幸福家园小区5栋电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难，请住建部门督促解决。"
ELEVATOR_AGAIN = "A3区幸福家园小区5栋电梯一个月内坏了四次，物业说没有维修资金，老人小孩上下楼非常困难，请住建部门督促解决！！"
FIRE = "A2区锦绣小区地下车库今晚发生火灾，浓烟很大，有人员被困，消防通道被杂物堵死，请马上处理！"
WAGES = "公司拖欠我们二十多名农民工三个月工资，请人社部门帮忙讨薪。"
EMOJI = "😡😡😡😡😡😡"


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[Flask]:
    """The seeded app on PostgreSQL (the test database) or on an embedded SQLite file."""
    if request.param == "postgresql":
        yield request.getfixturevalue("seeded")
        return
    yield from embedded_app(tmp_path / "batch.sqlite3")


def _reset_to_pending(ids: list[int]) -> None:
    db.session.execute(
        update(Submission)
        .where(Submission.id.in_(ids))
        .values(analysis_status=AnalysisStatus.PENDING.value)
    )
    db.session.commit()


def test_a_batch_analysed_twice_keeps_one_row_per_case_and_counts_its_runs(store, analyzer):
    ids = [file_submission(store, text) for text in (SCHOOL_FEES, ELEVATOR, WAGES)]
    with store.app_context():
        first = analyse_batch(analyzer, first=ids[0], batch_size=10)
        db.session.commit()
        assert [(o.submission_id, o.status, o.runs) for o in first] == [
            (i, "analysed", 1) for i in ids
        ]
        row_ids = dict(db.session.execute(select(Analysis.submission_id, Analysis.id)).all())
        db.session.execute(
            update(Analysis).where(Analysis.submission_id == ids[1]).values(topic_label="电梯")
        )
        db.session.commit()
        _reset_to_pending(ids)
        second = analyse_batch(analyzer, first=ids[2], batch_size=10)
        db.session.commit()
        assert sorted((o.submission_id, o.runs) for o in second) == [(i, 2) for i in ids]
        rows = {a.submission_id: a for a in db.session.scalars(select(Analysis))}
        assert set(rows) == set(ids)  # one row per case, the same rows as before
        assert {i: a.id for i, a in rows.items()} == row_ids
        assert rows[ids[1]].topic_label == "电梯"  # the nightly topic label is not re-analysis's
        assert all(a.runs == 2 and a.category and a.minhash for a in rows.values())
        statuses = set(db.session.scalars(select(OutboxMessage.status)))
        assert statuses == {"done"}


def test_a_staff_correction_survives_batch_reanalysis(store, analyzer):
    case_id = file_submission(store, SCHOOL_FEES, department="jyty")
    with store.app_context():
        analyse_batch(analyzer, first=case_id)
        db.session.commit()
        clerk = create_user("clerk", "a-long-enough-password", "office")
        case = db.session.get(Submission, case_id)
        correct_category(clerk, case, "环境保护")
        db.session.commit()
        _reset_to_pending([case_id])
        (outcome,) = analyse_batch(analyzer, first=case_id)
        db.session.commit()
        row = db.session.scalar(select(Analysis).where(Analysis.submission_id == case_id))
        assert outcome.category == row.category == "环境保护"
        assert row.category_uncertain is False and row.runs == 2


def _timeline(submission_id: int) -> list[tuple[str | None, str, bool, str]]:
    """A case's timeline with the clock times masked (the two runs happen moments apart)."""
    events = db.session.execute(
        select(StatusEvent.action, StatusEvent.note, StatusEvent.public, StatusEvent.actor)
        .where(StatusEvent.submission_id == submission_id)
        .order_by(StatusEvent.id)
    ).all()
    return [
        (action, re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "<time>", note), public, actor)
        for action, note, public, actor in events
    ]


def _case_state(submission_id: int) -> tuple[object, ...]:
    submission = db.session.get(Submission, submission_id)
    analysis = db.session.scalar(select(Analysis).where(Analysis.submission_id == submission_id))
    assert submission is not None and analysis is not None
    return (
        submission.status,
        submission.department.code if submission.department else None,
        submission.routing,
        submission.urgent,
        submission.sign_due_at is not None,
        submission.analysis_status,
        analysis.category,
        analysis.category_uncertain,
        analysis.urgent,
        analysis.keywords,
        _timeline(submission_id),
    )


def test_a_batch_routes_and_marks_urgent_exactly_as_one_by_one_analysis(store, analyzer):
    cases = [(SCHOOL_FEES, None), (FIRE, None), (WAGES, "zjj"), (ELEVATOR, None), (EMOJI, None)]
    alone = [file_submission(store, text, department=code) for text, code in cases]
    together = [file_submission(store, text, department=code) for text, code in cases]
    with store.app_context():
        for case_id in alone:
            analyse_submission(case_id, analyzer, min_confidence=0.0)
            db.session.commit()
        outcomes = analyse_batch(analyzer, first=together[0], batch_size=10, min_confidence=0.0)
        db.session.commit()
        assert [o.submission_id for o in outcomes] == together
        for one, batched in zip(alone, together, strict=True):
            assert _case_state(batched) == _case_state(one)
        school, fire, wages, _, emoji = (_case_state(i) for i in together)
        assert school[1] == "jyty" and school[2] == Routing.CLASSIFIER.value
        assert [event[0] for event in school[-1]] == [None, "assign"]
        assert school[-1][1][1].startswith("已分派至市教育体育局")
        assert fire[3] is True and "mark_urgent" in [event[0] for event in fire[-1]]
        assert wages[1] == "zjj" and wages[2] == Routing.RESIDENT.value  # the resident's choice
        assert emoji[2] == Routing.OFFICE_NEEDED.value and emoji[1] is None
        assert {o.routed_to for o in outcomes} >= {"市教育体育局"}


def test_near_duplicates_in_one_batch_join_the_earlier_ones_group(store, analyzer):
    first, again, other = (
        file_submission(store, text) for text in (ELEVATOR, ELEVATOR_AGAIN, SCHOOL_FEES)
    )
    with store.app_context():
        outcomes = analyse_batch(analyzer, first=again, batch_size=10)
        db.session.commit()
        groups = {o.submission_id: o.duplicate_group for o in outcomes}
        assert groups == {again: f"g{first}", first: f"g{first}", other: f"g{other}"}
        stored = dict(
            db.session.execute(select(Analysis.submission_id, Analysis.duplicate_group)).all()
        )
        assert stored == groups


def test_objects_already_in_the_session_see_what_the_batch_wrote(store, analyzer):
    case_id = file_submission(store, SCHOOL_FEES)
    with store.app_context():
        submission = db.session.get(Submission, case_id)
        assert submission is not None and submission.analysis_status == "pending"
        analyse_submission(case_id, analyzer, min_confidence=0.0)
        # No commit: the Core writes expired the loaded object, so it reloads in this transaction.
        assert submission.analysis_status == AnalysisStatus.DONE.value
        assert submission.department is not None and submission.department.code == "jyty"
        assert submission.analysis is not None and submission.analysis.runs == 1
        count = db.session.scalar(
            select(func.count())
            .select_from(StatusEvent)
            .where(StatusEvent.submission_id == case_id)
        )
        assert count == 2 and len(submission.events) == 2
        db.session.commit()


def test_a_loaded_analysis_sees_its_re_analysis(store, analyzer):
    case_id = file_submission(store, ELEVATOR)
    with store.app_context():
        analyse_submission(case_id, analyzer)
        db.session.commit()
        analysis = db.session.scalar(select(Analysis).where(Analysis.submission_id == case_id))
        assert analysis is not None and analysis.runs == 1
        analyse_submission(case_id, analyzer)
        # No commit: the upsert expired the loaded row, so it reloads in this transaction.
        assert analysis.runs == 2
        db.session.commit()


BACKLOG = [SCHOOL_FEES, ELEVATOR, FIRE, WAGES, ELEVATOR_AGAIN, f"{SCHOOL_FEES}补课时间太长", EMOJI]


def _analysis_counts() -> tuple[int, int, int]:
    """(analysis rows, submissions still pending, analysis rows run more than once)."""
    rows = db.session.scalar(select(func.count()).select_from(Analysis))
    pending = db.session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.analysis_status == AnalysisStatus.PENDING.value)
    )
    twice = db.session.scalar(select(func.count()).select_from(Analysis).where(Analysis.runs > 1))
    return int(rows or 0), int(pending or 0), int(twice or 0)


def test_a_job_on_postgresql_drains_the_backlog_after_its_own_batch(seeded):
    from citizenvoice.jobs import analyse_submission_job

    seeded.config["ANALYSIS_BATCH_SIZE"] = 2
    ids = [file_submission(seeded, text) for text in BACKLOG]
    with seeded.app_context():
        result = analyse_submission_job(ids[0])
        assert result["status"] == "analysed"
        assert result["batch"] == 2  # its own batch: the case and one taken along
        assert result["drained"] == len(ids) - 2  # the rest, in batches of 2
        assert _analysis_counts() == (len(ids), 0, 0)
        # every case drained is analysed as its own job would have: routed, categorised
        fire = db.session.scalar(select(Analysis).where(Analysis.submission_id == ids[2]))
        assert fire is not None and fire.urgent
        # the jobs still queued for drained cases find them done
        again = analyse_submission_job(ids[-1])
        assert again["status"] == "already_analysed" and again["drained"] == 0
        assert _analysis_counts() == (len(ids), 0, 0)


def test_draining_is_off_when_its_budget_is_zero(seeded):
    from citizenvoice.jobs import analyse_submission_job

    seeded.config.update(ANALYSIS_BATCH_SIZE=2, ANALYSIS_DRAIN_SECONDS=0)
    ids = [file_submission(seeded, text) for text in BACKLOG]
    with seeded.app_context():
        result = analyse_submission_job(ids[0])
        assert (result["batch"], result["drained"]) == (2, 0)
        assert _analysis_counts() == (2, len(ids) - 2, 0)


@pytest.mark.slow
def test_the_embedded_sqlite_database_is_never_drained(tmp_path, analyzer):
    """SQLite takes one writer at a time: a job there keeps to its own batch."""
    from citizenvoice.cli import seed_demo_data
    from citizenvoice.jobs import analyse_submission_job

    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'drain.sqlite3'}"})
    config.DATA_DIR = None
    config.ANALYSIS_IN_PROCESS = False  # as a worker would run it, were one pointed at SQLite
    config.ANALYSIS_BATCH_SIZE = 2
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_demo_data(0)
        db.session.commit()
    try:
        ids = [file_submission(app, text) for text in BACKLOG]
        with app.app_context():
            result = analyse_submission_job(ids[0])
            assert (result["batch"], result["drained"]) == (2, 0)
            assert _analysis_counts() == (2, len(ids) - 2, 0)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_band_buckets_keep_the_stored_hash_definition():
    """Buckets stored by earlier versions must still match: blake2b-64 of each band's bytes.

    The reference below is the definition written out one band at a time (the batch form
    builds the bytes once for all rows); an empty signature (nothing to compare) has no bands.
    """
    import hashlib

    import numpy as np

    from citizenvoice.services import duplicates

    bands, rows = duplicates._bands()
    texts = [SCHOOL_FEES, ELEVATOR, ELEVATOR_AGAIN, FIRE, WAGES, EMOJI, "短"]
    signatures = duplicates._index().signatures(texts)

    def reference(signature: np.ndarray) -> list[tuple[int, int]]:
        if np.all(signature == np.uint32(0xFFFFFFFF)):
            return []
        out = []
        for band in range(bands):
            chunk = signature[band * rows : (band + 1) * rows].astype("<u4").tobytes()
            digest = hashlib.blake2b(chunk, digest_size=8).digest()
            out.append((band, int.from_bytes(digest, "little", signed=True) >> 1))
        return out

    expected = [reference(signature) for signature in signatures]
    assert duplicates._batch_band_buckets(signatures) == expected
    assert expected[texts.index(EMOJI)] == []
    assert all(len(found) == bands for i, found in enumerate(expected) if texts[i] != EMOJI)
    assert duplicates.band_buckets(signatures[0]) == expected[0]
    # The hash of a fixed signature, written down: a change of definition fails here.
    fixed = np.arange(duplicates.NUM_PERM, dtype=np.uint32)
    first = hashlib.blake2b(np.arange(rows, dtype="<u4").tobytes(), digest_size=8).digest()
    assert duplicates.band_buckets(fixed)[0] == (
        0,
        int.from_bytes(first, "little", signed=True) >> 1,
    )


def test_the_drain_leaves_a_case_another_transaction_holds_and_analyses_every_other(seeded):
    """The drain claims with SKIP LOCKED: a case another transaction holds is left to its own job."""
    from sqlalchemy import create_engine, text

    from citizenvoice.jobs import analyse_submission_job
    from config import normalise_database_url

    seeded.config["ANALYSIS_BATCH_SIZE"] = 2
    ids = [file_submission(seeded, text) for text in BACKLOG]
    held = ids[3]
    engine = create_engine(normalise_database_url(seeded.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        with engine.connect() as other, seeded.app_context():
            other.execute(text("SELECT id FROM submission WHERE id = :id FOR UPDATE"), {"id": held})
            result = analyse_submission_job(ids[0])
            other.rollback()
            assert (result["batch"], result["drained"]) == (2, len(ids) - 3)
            assert _analysis_counts() == (len(ids) - 1, 1, 0)
            status = db.session.scalar(
                select(Submission.analysis_status).where(Submission.id == held)
            )
            assert status == AnalysisStatus.PENDING.value
            # and no lock of the drain outlives the job: the held case's own job takes it now
            assert analyse_submission_job(held)["status"] == "analysed"
            assert _analysis_counts() == (len(ids), 0, 0)
    finally:
        engine.dispose()


def test_given_ids_are_analysed_again_and_a_deleted_one_is_reported_missing(store, analyzer):
    """The re-analysis after a model change: the named cases run again, done or not."""
    ids = [file_submission(store, text) for text in (SCHOOL_FEES, ELEVATOR)]
    with store.app_context():
        analyse_batch(analyzer, first=ids[0], batch_size=10)
        db.session.commit()
        gone = max(ids) + 1000
        outcomes = analyse_batch(analyzer, ids=[ids[1], gone, ids[0]])
        db.session.commit()
        assert [(o.submission_id, o.status, o.runs) for o in outcomes] == [
            (ids[0], "analysed", 2),
            (ids[1], "analysed", 2),
            (gone, "missing", 0),
        ]
        assert analyse_batch(analyzer, ids=[]) == []


def test_without_a_first_case_the_oldest_pending_batch_is_taken_until_none_is_left(store, analyzer):
    """What a worker's backlog drain calls: batch after batch, oldest first, then nothing."""
    ids = [file_submission(store, text) for text in (SCHOOL_FEES, ELEVATOR, FIRE)]
    with store.app_context():
        first = analyse_batch(analyzer, batch_size=2)
        db.session.commit()
        second = analyse_batch(analyzer, batch_size=2)
        db.session.commit()
        assert [o.submission_id for o in first] == ids[:2]
        assert [o.submission_id for o in second] == ids[2:]
        assert analyse_batch(analyzer, batch_size=2) == []
        assert _analysis_counts() == (3, 0, 0)
    with pytest.raises(ValueError):
        analyse_batch(analyzer, first=ids[0], ids=ids)


@pytest.mark.slow
def test_reanalysing_everything_runs_each_case_once_more_in_batches(store, analyzer):
    """``flask analysis reanalyse`` (and its batch job) go through the same batch service."""
    from citizenvoice.jobs import reanalyse_all_job

    ids = [file_submission(store, text) for text in (SCHOOL_FEES, ELEVATOR, FIRE, EMOJI)]
    with store.app_context():
        analyse_batch(analyzer, first=ids[0], batch_size=10)
        db.session.commit()
        assert reanalyse_all_job(chunk=3) == {"analysed": len(ids)}
        runs = dict(db.session.execute(select(Analysis.submission_id, Analysis.runs)).all())
        assert runs == dict.fromkeys(ids, 2)
        # Split in two jobs for two workers: each case once more, by exactly one of them.
        halves = [reanalyse_all_job(chunk=3, part=part, parts=2)["analysed"] for part in (0, 1)]
        assert sum(halves) == len(ids) and all(halves)
        runs = dict(db.session.execute(select(Analysis.submission_id, Analysis.runs)).all())
        assert runs == dict.fromkeys(ids, 3)


def test_the_reanalysis_is_queued_as_one_job_per_part(seeded, redis_client):
    from citizenvoice.jobs import BATCH, enqueue_reanalyse_all, reanalyse_all_job

    jobs = enqueue_reanalyse_all(redis_client, parts=3)
    assert [(job.origin, job.func, job.kwargs) for job in jobs] == [
        (BATCH.queue, reanalyse_all_job, {"part": part, "parts": 3}) for part in range(3)
    ]
    assert all(job.meta == {"done": 0, "total": None} for job in jobs)
    (single,) = enqueue_reanalyse_all(redis_client)
    assert single.kwargs == {"part": 0, "parts": 1}
