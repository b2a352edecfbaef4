"""The seeded demo history: a newcomer's `make run` shows cases worked, periods ranked, 整改.

The full seed runs once on the embedded default (SQLite, analysis in-process), as `make run`
does; determinism is checked across SQLite and PostgreSQL on a smaller sample.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from citizenvoice import create_app
from citizenvoice.cli import seed_demo_data
from citizenvoice.extensions import db
from citizenvoice.models import (
    CaseReply,
    FollowUp,
    Period,
    RectificationTask,
    StatusEvent,
    Submission,
    SurveyAnswer,
    SurveyCommentAnalysis,
    User,
)
from citizenvoice.models.base import as_utc
from citizenvoice.services.appraisal import result_rows
from citizenvoice.services.demo_history import build_demo_casework
from config import DevelopmentConfig

FIXED_NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _embedded_app(tmp_path, name="embedded"):
    config = DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / f'{name}.sqlite3'}"})
    if not config.DATA_DIR:
        pytest.skip("the shared data (CITIZENVOICE_DATA_DIR) is needed for the real demo messages")
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_seed_builds_six_months_of_ranked_history_on_the_embedded_default(tmp_path):
    app = _embedded_app(tmp_path)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    # The demo staff accounts are shown once, one per role plus a department admin.
    logins = re.findall(r"^\s+(demo-[\w-]+)\s+(\S+)\s", result.output, re.MULTILINE)
    assert {name for name, _ in logins} == {
        "demo-office",
        "demo-sysadmin",
        "demo-cgzf-admin",
        "demo-cgzf-staff",
    }

    with app.app_context():
        months = db.session.scalars(
            select(Period).where(Period.kind == "month").order_by(Period.starts_on)
        ).all()
        published = [p for p in months if p.status == "published"]
        assert len(published) == 6
        for period in published:
            ranked = [row for row in result_rows(period) if row.get("rank")]
            assert len(ranked) >= 10, period.code
        # The last published month has a past 社会评价 campaign weighted into its results.
        surveyed = [
            i
            for row in result_rows(published[-1])
            for i in row["citizen"]["indicators"]
            if i["indicator"] == "survey"
        ]
        assert surveyed and all(i["sufficient"] and i["n"] >= 30 for i in surveyed)
        assert all(
            i["indicator"] != "survey"
            for row in result_rows(published[0])
            for i in row["citizen"]["indicators"]
        )
        # Its comments are analysed in the embedded default, so the office sees their groups.
        assert "comments of the demo survey" in result.output
        comments = db.session.scalar(
            select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.comment.is_not(None))
        )
        analysed = db.session.scalar(select(func.count()).select_from(SurveyCommentAnalysis))
        assert comments and analysed == comments

        events = db.session.execute(
            select(StatusEvent.action, func.count()).group_by(StatusEvent.action)
        )
        by_action = dict(events.tuples().all())
        for action in (
            "sign",
            "reply",
            "follow_up",
            "return",
            "approve_extension",
            "reopen",
            "supervise",
            "auto_close",
            "close",
        ):
            assert by_action.get(action, 0) > 0, action
        assert db.session.scalar(select(func.count()).select_from(FollowUp)) > 300
        overdue_replies = db.session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.replied_at > Submission.reply_due_at)
        )
        assert overdue_replies > 0

        # Every timeline runs forward in time, from the moment the case came in.
        for case in db.session.scalars(select(Submission).where(Submission.channel == "seed")):
            moments = [as_utc(e.created_at) for e in case.events]
            assert moments == sorted(moments), case.id
            assert moments[0] == as_utc(case.created_at)
        for reply in db.session.scalars(select(CaseReply)):
            assert reply.quality_score is not None

        tasks = db.session.scalars(select(RectificationTask)).all()
        assert len(tasks) >= 3
        assert any(t.status == "closed" for t in tasks)
        assert all(t.progress for t in tasks if t.status != "open")

    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    assert (
        runner.invoke(args=["appraisal", "verify", "--period", published[-1].code]).exit_code == 0
    )

    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0, again.output
    assert "demo-office" not in again.output  # passwords are shown only once
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 4


def _history_fingerprint(app) -> tuple:
    with app.app_context():
        seed_demo_data(150)
        summary = build_demo_casework(now=FIXED_NOW)
        db.session.commit()
        statuses = (
            db.session.execute(
                select(Submission.status, func.count())
                .group_by(Submission.status)
                .order_by(Submission.status)
            )
            .tuples()
            .all()
        )
        actions = (
            db.session.execute(
                select(StatusEvent.action, func.count())
                .group_by(StatusEvent.action)
                .order_by(StatusEvent.action)
            )
            .tuples()
            .all()
        )
        replies = db.session.scalar(select(func.count()).select_from(CaseReply))
    # NULLs sort first on SQLite and last on PostgreSQL: compare as sorted text.
    return summary, sorted(map(str, statuses)), sorted(map(str, actions)), replies


def test_demo_casework_is_the_same_on_sqlite_and_postgresql(app, tmp_path):
    """One seed, one history: the embedded default and PostgreSQL get identical casework."""
    if not app.config.get("DATA_DIR"):
        pytest.skip("the shared data is needed for the real demo messages")
    on_postgresql = _history_fingerprint(app)
    on_sqlite = _history_fingerprint(_embedded_app(tmp_path, "determinism"))
    assert on_postgresql == on_sqlite
    summary = on_postgresql[0]
    assert summary.cases == 150 and summary.replied > 50 and summary.followed_up > 30
