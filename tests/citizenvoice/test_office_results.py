"""The office's results page: charts, weights, weakest indicators, what counts as unhappy.

Charts only over ranked rows, weights in one unit, weakest indicators relative to the
department, and suggestions or praise never counted as unhappy.
"""

from __future__ import annotations

import re

import pytest
from factories import csrf_token, follow_ups, make_user, sign_in
from support import file_submission

from citizenvoice.extensions import db
from citizenvoice.models import Analysis
from citizenvoice.services.appraisal import (
    PRESETS,
    compute,
    ensure_periods,
    explain_department,
    period_by_code,
    settings_json,
    update_settings,
)


def _negative(app, submission_id: int) -> None:
    """The sentiment model's verdict on a text (it leans negative on unfamiliar texts)."""
    with app.app_context():
        db.session.add(
            Analysis(
                submission_id=submission_id,
                model_version="test",
                sentiment=0.1,
                sentiment_label="negative",
                redacted_text="",
            )
        )
        db.session.commit()


@pytest.fixture
def month(seeded) -> str:
    """Beijing preset; only 市交通运输局 has enough follow-ups, so 执法监管 ranks nobody."""
    with seeded.app_context():
        period = next(p for p in ensure_periods() if p.kind == "month")
        update_settings(period, settings_json(PRESETS["beijing12345"][1], "beijing12345"), "t")
        db.session.commit()
        code = period.code
    follow_ups(seeded, "jtys", satisfied=30, dissatisfied=5)
    return code


def _compute(app, code: str) -> None:
    with app.app_context():
        compute(period_by_code(code), "t")
        db.session.commit()


def _office(seeded, client) -> None:
    make_user(seeded, "office", username="o1")
    sign_in(seeded, "o1", client=client)


def test_no_empty_chart_message_above_a_full_table(seeded, client, month):
    _compute(seeded, month)
    _office(seeded, client)
    page = client.get(f"/office/periods/{month}").get_data(as_text=True)
    assert "执法监管" in page and "市城市管理综合执法局" in page  # rows with 样本不足
    assert "暂无数据" not in page
    assert "本组没有部门参与排名" in page


def test_weights_are_all_shown_in_percent(seeded, client, month):
    _office(seeded, client)
    page = client.get(f"/office/periods/{month}").get_data(as_text=True)
    indicators = page[page.index('id="indicator-weights"') :].split("</table>")[0]
    dimensions = page[page.index('id="dimension-weights"') :].split("</table>")[0]
    assert re.findall(r"<td>([\d.]+%)</td>", indicators) == ["10%", "50%", "40%"]
    assert re.findall(r"<td>([\d.]+%)</td>", dimensions) == ["100%"]
    assert 'name="w_response" value="10"' in page


def test_weights_saved_in_percent_round_trip(seeded, client, month):
    _office(seeded, client)
    page = client.get(f"/office/periods/{month}").get_data(as_text=True)
    token = csrf_token(page)
    client.post(
        f"/office/periods/{month}/settings",
        data={
            "csrf_token": token,
            "w_response": "20",
            "w_resolution": "40",
            "w_satisfaction": "40",
            "d_citizen": "100",
            "min_n": "30",
        },
    )
    with seeded.app_context():
        weights = period_by_code(month).settings["citizen_weights"]
    assert weights == {"response": 0.2, "resolution": 0.4, "satisfaction": 0.4}
    page = client.get(f"/office/periods/{month}").get_data(as_text=True)
    assert 'name="w_response" value="20"' in page


def test_weakest_lists_only_indicators_below_the_departments_mean(seeded, month):
    _compute(seeded, month)
    with seeded.app_context():
        explanation = explain_department(period_by_code(month), "jtys")
    # 响应率 is 100 (every case contacted), above the mean: not a weakness.
    mean = explanation["indicator_mean"]
    assert explanation["weakest"]
    assert all(i["score"] < mean for i in explanation["weakest"])
    assert "response" not in {i["indicator"] for i in explanation["weakest"]}


def test_suggestions_and_praise_are_not_counted_as_unhappy(seeded, client, month):
    complaint = file_submission(seeded, "公交站台被占用，出行很不方便。", department="jtys")
    suggestion = file_submission(
        seeded, "建议在地铁站附近增设公交接驳线路，方便换乘。", kind="suggestion", department="jtys"
    )
    praise = file_submission(
        seeded, "公交司机态度很好，帮老人上车。", kind="rating", department="jtys"
    )
    for case_id in (complaint, suggestion, praise):
        _negative(seeded, case_id)
    _compute(seeded, month)
    with seeded.app_context():
        explanation = explain_department(period_by_code(month), "jtys")
    assert explanation["concern_cases"] == 5 + 1  # the 5 dissatisfied follow-ups + the complaint
