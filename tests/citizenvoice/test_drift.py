"""The weekly drift report: empty weeks, a planted shift, the CLI, storage, the office page.

Runs on PostgreSQL and SQLite (``db_app``: analysis is queued, never run, so the analyses a
test plants are the only ones). The analyses are planted as rows: the report reads analysis
rows, and planting them keeps the models out of these tests (the OOV rate still segments the
texts with nlp's segmenter).
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta

import pytest
from factories import csrf_token, login, make_user
from flask import Flask
from sqlalchemy import func, select, update
from support import file_submission

from citizenvoice.cli import seed_demo_data
from citizenvoice.domain.drift import drift_warnings, psi_noise_floor, week_start_of
from citizenvoice.domain.workdays import SHANGHAI
from citizenvoice.extensions import db
from citizenvoice.jobs.drift import weekly_drift_report_job
from citizenvoice.models import Analysis, DriftReport, Submission
from citizenvoice.services.drift import compute_report, last_complete_week, store_report

WEEK = date(2026, 11, 2)  # a Monday
TEXT = "小区门口的公交站台被拆除后一直没有恢复，居民出行很不方便，希望尽快恢复公交站台"


@pytest.fixture
def app(db_app: Flask) -> Flask:
    """PostgreSQL and SQLite, with the demo departments."""
    with db_app.app_context():
        seed_demo_data(0)
        db.session.commit()
    return db_app


def plant(app: Flask, monday: date, n: int, category: str = "交通运输", **fields) -> None:
    """``n`` analysed submissions received on the Wednesday of ``monday``'s week (Beijing)."""
    ids = [file_submission(app, f"{TEXT}（{i}）") for i in range(n)]
    received = datetime(monday.year, monday.month, monday.day, 10, tzinfo=SHANGHAI)
    values = {
        "model_version": "category=test;sentiment=test",
        "category": category,
        "category_confidence": 0.97,
        "category_uncertain": False,
        "sentiment": 0.1,
        "sentiment_label": "negative",
        "redacted_text": TEXT,
        **fields,
    }
    with app.app_context():
        db.session.execute(
            update(Submission)
            .where(Submission.id.in_(ids))
            .values(created_at=received + timedelta(days=2))
        )
        db.session.add_all(Analysis(submission_id=i, **values) for i in ids)
        db.session.commit()


def rows(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(DriftReport)) or 0)


def test_week_start_is_the_beijing_monday():
    assert week_start_of(date(2026, 11, 8)) == date(2026, 11, 2)  # a Sunday
    assert week_start_of(date(2026, 11, 2)) == date(2026, 11, 2)
    assert psi_noise_floor(7, 0) == 0 and psi_noise_floor(7, 60) == pytest.approx(0.1)


def test_the_warning_rules_and_their_thresholds():
    base = {"n": 100, "reference_mean_confidence": 0.9, "reference_share_below_threshold": 0.15}
    quiet = {**base, "psi": 0.05, "mean_confidence": 0.85, "share_below_threshold": 0.2}
    assert drift_warnings({"category": quiet}) == []
    moderate = {**quiet, "psi": 0.2, "psi_noise": 0.0}
    assert [w.level for w in drift_warnings({"category": moderate})] == ["moderate"]
    # The same PSI from 30 messages over 7 bins is mostly noise: no warning.
    assert drift_warnings({"category": {**moderate, "psi_noise": 0.2}}) == []
    worse = {**base, "psi": 0.3, "mean_confidence": 0.75, "share_below_threshold": 0.3}
    worse |= {"oov_rate": 0.2, "reference_oov_rate": 0.1}
    codes = {w.code for w in drift_warnings({"category": worse})}
    assert codes == {"category_psi", "confidence_drop", "below_threshold_rise", "oov_rise"}
    # Below 100 analyses no PSI rule; below 30 no rule at all (a few messages are noise).
    codes = {w.code for w in drift_warnings({"category": {**worse, "n": 99}})}
    assert codes == {"confidence_drop", "below_threshold_rise", "oov_rise"}
    assert drift_warnings({"category": {**worse, "n": 29}}) == []


def test_an_empty_week_says_no_data(app: Flask):
    with app.app_context():
        report = compute_report(WEEK)
    figures = report["figures"]
    assert figures["no_data"] and figures["n_analyses"] == 0 and report["warnings"] == []
    assert figures["category"]["psi"] is None and figures["category"]["mean_confidence"] is None
    result = app.test_cli_runner().invoke(args=["drift", "report", "--week", WEEK.isoformat()])
    assert result.exit_code == 0, result.output
    assert "无数据" in result.output
    assert rows(app) == 1


def test_a_week_all_in_one_category_warns(app: Flask):
    plant(app, WEEK, 100)
    plant(app, WEEK - timedelta(days=7), 3, category="城乡建设")  # another week: not counted
    with app.app_context():
        report = compute_report(WEEK + timedelta(days=3))  # any day of the week
    figures = report["figures"]
    assert figures["week_start"] == WEEK.isoformat() and figures["n_analyses"] == 100
    assert figures["category"]["mix"] == {"交通运输": 1.0}
    assert figures["category"]["psi"] > 1
    assert 0 <= figures["category"]["oov_rate"] < 1 and figures["oov_sample"] == 100
    warning = next(w for w in report["warnings"] if w["code"] == "category_psi")
    assert warning["level"] == "significant" and "显著偏移" in warning["message"]
    assert report["model_versions"]["analyses"] == {"category=test;sentiment=test": 100}


def test_low_confidence_week_warns_about_confidence_and_routing(app: Flask):
    plant(app, WEEK, 30, category_confidence=0.5, category_uncertain=True)
    with app.app_context():
        codes = {w["code"] for w in compute_report(WEEK)["warnings"]}
    assert {"confidence_drop", "below_threshold_rise"} <= codes


def test_the_cli_stores_one_row_per_week_and_prints_json(app: Flask):
    plant(app, WEEK, 12)  # a small sample: figures, no warning
    runner = app.test_cli_runner()
    args = ["drift", "report", "--week", "2026-11-05", "--json"]
    first = runner.invoke(args=args)
    second = runner.invoke(args=args)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    a, b = json.loads(first.output), json.loads(second.output)
    assert a["id"] == b["id"] and a["week_start"] == "2026-11-02"
    assert a["figures"]["n_analyses"] == 12 and a["figures"]["small_sample"]
    assert a["warnings"] == []
    assert rows(app) == 1
    backfill = runner.invoke(args=["drift", "report", "--week", "2026-11-05", "--weeks", "3"])
    assert backfill.exit_code == 0 and backfill.output.count("模型漂移周报") == 3
    assert rows(app) == 3


@pytest.mark.parametrize("week", ["2026-13-01", "=1+1", "2026-11-02\r\nx", "\x00", "9" * 5000])
def test_a_bad_week_is_refused_in_chinese(app: Flask, week: str):
    result = app.test_cli_runner().invoke(args=["drift", "report", "--week", week])
    assert result.exit_code == 2 and "日期格式应为" in result.output
    assert rows(app) == 0


@pytest.mark.parametrize("weeks", ["0", "53", "-1", "abc", "=1+1", "\x00", "9" * 5000, "１"])
def test_a_bad_number_of_weeks_is_refused_in_chinese(app: Flask, weeks: str):
    result = app.test_cli_runner().invoke(args=["drift", "report", "--weeks", weeks])
    assert result.exit_code == 2 and "周数应为" in result.output
    assert rows(app) == 0


def test_concurrent_runs_store_one_row(app: Flask):
    plant(app, WEEK, 5)
    barrier, errors = threading.Barrier(4), []

    def run() -> None:
        try:
            with app.app_context():
                report = compute_report(WEEK)
                barrier.wait(timeout=30)
                store_report(report)
                db.session.remove()
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and rows(app) == 1


def test_the_weekly_job_reports_the_last_complete_week(app: Flask):
    with app.app_context():
        monday = last_complete_week()
    plant(app, monday, 8)
    with app.app_context():
        counts = weekly_drift_report_job()
        stored = db.session.scalars(select(DriftReport)).one()
    assert counts["analyses"] == 8 and stored.week_start == monday
    assert stored.figures["n_analyses"] == 8


def test_the_office_page_shows_the_weeks_with_warnings_in_words(app: Flask):
    make_user(app, "office", username="office1")
    make_user(app, "department_staff", "cgzf", username="staff1")
    office = login(app, "office1")
    empty = office.get("/office/drift")
    assert empty.status_code == 200 and "暂无漂移报告" in empty.get_data(as_text=True)
    plant(app, WEEK, 100)
    runner = app.test_cli_runner()
    runner.invoke(args=["drift", "report", "--week", WEEK.isoformat(), "--weeks", "2"])
    page = office.get("/office/drift").get_data(as_text=True)
    assert "模型漂移监测" in page and "重新训练" in page and "待分派" in page
    assert "警告：</strong>类别分布显著偏移" in page  # in words, not colour alone
    assert "无数据" in page  # the week before has no analyses
    assert 'data-week="2026-11-02"' in page
    staff = login(app, "staff1").get("/office/drift")
    assert staff.status_code in (302, 303, 403, 404)
    queue = office.get("/office/queue").get_data(as_text=True)
    assert "/office/drift" in queue
    assert csrf_token(queue)
