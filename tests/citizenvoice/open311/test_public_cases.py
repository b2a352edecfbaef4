"""Intake of coordinates and public consent, public case numbers, and the public text rule.

Public numbers are assigned at intake, one sequence per year: concurrent submissions over real
HTTP on PostgreSQL and on SQLite get distinct, gap-free numbers. Migration 0015 numbers the
cases stored before it in filing order.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import page_token
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from citizenvoice import create_app
from citizenvoice.domain.feedback import FeedbackValidationError, validate_feedback
from citizenvoice.domain.localtime import local_time
from citizenvoice.extensions import db
from citizenvoice.models import Submission
from citizenvoice.services.public_text import public_case_text, public_redact
from config import DevelopmentConfig

TEXT = "小区门口道路破损严重，积水很深，行人车辆通行困难，请尽快修复。"
CONCURRENT = 12


def post_json(base: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/feedback",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_concurrent_submissions_get_distinct_consecutive_numbers(
    live: str, o311_app: Flask
) -> None:
    start = threading.Barrier(CONCURRENT)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def submit(index: int) -> None:
        start.wait()
        outcome = post_json(live, {"kind": "complaint", "text": f"{TEXT}（第{index}条）"})
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in results] == [201] * CONCURRENT, results
    numbers = sorted(body["public_number"] for _, body in results)
    year = numbers[0][:4]
    assert numbers == [f"{year}-{i:06d}" for i in range(1, CONCURRENT + 1)]
    with o311_app.app_context():
        stored = sorted(db.session.scalars(select(Submission.public_number)))
    assert stored == numbers


def test_the_api_takes_coordinates_and_consent(o311_app: Flask) -> None:
    client = o311_app.test_client()
    answer = client.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "text": TEXT,
            "location": "人民路",
            "lat": 28.2280001,
            "long": 112.9388,
            "public_consent": True,
        },
    )
    assert answer.status_code == 201, answer.get_json()
    number = answer.get_json()["public_number"]
    with o311_app.app_context():
        case = db.session.scalar(select(Submission).where(Submission.public_number == number))
        assert case is not None
        assert (case.latitude, case.longitude, case.public_consent) == (28.228, 112.9388, True)
    status = client.get(f"/api/v1/feedback/{answer.get_json()['tracking_code']}").get_json()
    assert status["public_number"] == number
    for bad, field in (
        ({"lat": "28.2", "long": 112.9}, "lat"),  # JSON numbers only on the API
        ({"lat": 28.2}, "long"),
        ({"lat": 91, "long": 0}, "lat"),
        ({"lat": 0, "long": -180.5}, "long"),
        ({"lat": True, "long": 1}, "lat"),
        ({"lat": 1e400, "long": 1}, "lat"),
        ({"public_consent": "yes"}, "public_consent"),
    ):
        refused = client.post("/api/v1/feedback", json={"kind": "complaint", "text": TEXT, **bad})
        assert refused.status_code == 400, bad
        assert field in refused.get_json()["error"]["fields"], (bad, refused.get_json())


@pytest.mark.slow
def test_the_form_takes_coordinates_and_consent_default_off(o311_app: Flask) -> None:
    client = o311_app.test_client()
    page = client.get("/submit/complaint").get_data(as_text=True)
    assert 'id="geo-button"' in page and "同意公开" in page
    assert (
        'name="public_consent"' in page
        and "checked" not in page.split('name="public_consent"')[1][:40]
    )
    for consent, lat in ((True, "28.1"), (False, "")):
        form = {
            "csrf_token": page_token(client),
            "department": "",
            "text": TEXT,
            "lat": lat,
            "long": "112.9" if lat else "",
        }
        if consent:
            form["public_consent"] = "y"
        answer = client.post("/submit/complaint", data=form)
        assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    with o311_app.app_context():
        rows = db.session.execute(
            select(Submission.public_consent, Submission.latitude).order_by(Submission.id)
        ).all()
    assert [tuple(r) for r in rows] == [(True, 28.1), (False, None)]
    refused = client.post(
        "/submit/complaint",
        data={"csrf_token": page_token(client), "text": TEXT, "lat": "abc", "long": "1"},
    )
    assert refused.status_code == 400 and "纬度须为" in refused.get_data(as_text=True)


def test_tracking_page_shows_the_public_number(o311_app: Flask) -> None:
    client = o311_app.test_client()
    created = client.post("/api/v1/feedback", json={"kind": "complaint", "text": TEXT}).get_json()
    page = client.get(f"/track/{created['tracking_code']}").get_data(as_text=True)
    assert created["public_number"] in page and "公开编号" in page


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"lat": "", "long": ""}, (None, None)),
        ({"lat": " 28.5 ", "long": "-0.25"}, (28.5, -0.25)),
        ({"lat": 0, "long": 0}, (0.0, 0.0)),
        ({"lat": 90, "long": 180}, (90.0, 180.0)),
    ],
)
def test_coordinates_accepted(raw: dict, expected: tuple) -> None:
    feedback = validate_feedback({"kind": "complaint", "text": TEXT, **raw})
    assert (feedback.latitude, feedback.longitude) == expected


@pytest.mark.parametrize(
    "raw",
    [
        {"lat": "1e3", "long": "1"},
        {"lat": "NaN", "long": "1"},
        {"lat": "inf", "long": "1"},
        {"lat": "２８", "long": "1"},  # full-width digits
        {"lat": "1", "long": "1" * 50},
        {"lat": [1], "long": 1},
        {"lat": float("nan"), "long": 1},
        {"lat": "1\x00", "long": "1"},
        {"long": "1"},
    ],
)
def test_coordinates_refused(raw: dict) -> None:
    with pytest.raises(FeedbackValidationError) as error:
        validate_feedback({"kind": "complaint", "text": TEXT, **raw})
    assert set(error.value.fields) & {"lat", "long"}


@pytest.mark.parametrize(
    ("typed", "gone"),
    [
        ("电话13812345678请回电", "5678"),
        ("手机 138 1234 5678", "5678"),
        ("身份证110101199003071234", "1234"),
        ("身份证11010119900307123X号", "123X"),
        ("我叫张三，家住幸福小区", "张三"),
        ("楼下李阿姨家每天噪音", "李"),
        ("人民路12号3栋502室", "502"),
        ("幸福家园五栋二单元", "五栋"),
        ("邮箱 someone@example.org", "someone"),
    ],
)
def test_public_text_keeps_no_personal_data(typed: str, gone: str) -> None:
    public = public_redact(typed)
    assert gone not in public
    assert len(public) == len(typed)  # masked in place: the reader sees something was there


def test_public_text_keeps_the_deadline_a_status_note_names() -> None:
    # Open311 status_notes and the portal show the workflow's note: its deadline is no phone.
    deadline = local_time(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    note = f"已分派至市交通运输局，签收时限：{deadline}；备注：请回电13912345678"
    public = public_redact(note)
    assert deadline == "2026-12-07 17:00" and deadline in public
    assert "5678" not in public and len(public) == len(note)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("电话 2026-12-07 17:00:00", ""),  # seconds: not the workflow's stamp
        ("2026-12-07 17:0012345678", ""),
        ("2026-13-07 17:00", ""),
        ("手机 139-1234 5678 时间 2026-12-07 17:00", "2026-12-07 17:00"),
    ],
)
def test_only_a_valid_date_and_time_escapes_the_digit_mask(typed: str, kept: str) -> None:
    public = public_redact(typed)
    assert len(public) == len(typed)
    assert kept in public
    assert not re.search(r"[0-9]{3}", public.replace(kept, "") if kept else public)


def test_public_case_text_masks_the_case_text() -> None:
    case = Submission(text="联系人王先生13912345678，幸福小区3栋楼下垃圾堆积")
    public = public_case_text(case)
    assert "王" not in public and not re.search(r"[0-9]{4}", public)
    assert "垃圾堆积" in public


@pytest.mark.slow
def test_migration_numbers_existing_cases_in_filing_order(tmp_path: Path) -> None:
    app = create_app(DevelopmentConfig({"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"}))
    with app.app_context():
        upgrade(revision="0014")
        moments = [
            datetime(2025, 12, 31, 17, 0, tzinfo=UTC),  # 2026-01-01 01:00 in Beijing
            datetime(2025, 12, 31, 15, 0, tzinfo=UTC),  # 2025-12-31 23:00 in Beijing
            datetime(2025, 6, 1, tzinfo=UTC),
            datetime(2026, 3, 1, tzinfo=UTC),
        ]
        for index, moment in enumerate(moments):
            db.session.execute(
                text(
                    "INSERT INTO submission (tracking_code, kind, title, text, location, "
                    "anonymous, status, channel, created_at, analysis_status, routing, urgent, "
                    "is_complex, extensions_used, supervise_count, reopen_count, redo_requested)"
                    " VALUES (:code, 'complaint', '', :text, '', 0, 'received', 'web', :at, "
                    "'pending', 'resident', 0, 0, 0, 0, 0, 0)"
                ),
                {"code": f"CODE{index}", "text": TEXT, "at": moment.replace(tzinfo=None)},
            )
        db.session.commit()
        upgrade()
        numbers = dict(
            db.session.execute(text("SELECT tracking_code, public_number FROM submission")).all()
        )
        assert numbers == {
            "CODE2": "2025-000001",
            "CODE1": "2025-000002",
            "CODE0": "2026-000001",
            "CODE3": "2026-000002",
        }
        counters = dict(
            db.session.execute(text("SELECT year, last_value FROM public_number_counter")).all()
        )
        assert counters == {2025: 2, 2026: 2}
        downgrade(revision="0014")
        upgrade()
        db.engine.dispose()


def test_the_staff_case_page_shows_coordinates_consent_and_number(seeded, auth, make_user):
    client = seeded.test_client()
    created = client.post(
        "/api/v1/feedback",
        json={
            "kind": "complaint",
            "text": TEXT,
            "department": "cgzf",
            "lat": 28.2282,
            "long": 112.9388,
            "public_consent": True,
        },
    ).get_json()
    with seeded.app_context():
        case_id = db.session.scalar(
            select(Submission.id).where(Submission.public_number == created["public_number"])
        )
    make_user("office", username="office1")
    page = auth.login("office1").get(f"/workspace/cases/{case_id}").get_data(as_text=True)
    assert "28.228200, 112.938800" in page
    assert created["public_number"] in page
    assert 'id="case-public-consent">是<' in page
