"""The office's survey pages on PostgreSQL and SQLite: create a draft from a preset, edit its
groups, dates and score values, open it (then frozen, in the services too), close it; the
printable QR invitation sheet; hostile form values (400, never 500); racing requests over real
HTTP connections (one winner, a consistent campaign)."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from importlib.metadata import version
from urllib.parse import urlencode

import pytest
import qrcode
from factories import csrf_token, login, make_user
from flask import Flask
from flask.testing import FlaskClient
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select
from werkzeug.serving import make_server

from citizenvoice.cli import seed_demo_data
from citizenvoice.domain.survey import normalise_code
from citizenvoice.domain.survey_sheet import QUIET_ZONE, qr_svg
from citizenvoice.extensions import db
from citizenvoice.models import AuditEntry, Period, SurveyCampaign, SurveyGroup
from citizenvoice.services.appraisal import current_month_code
from citizenvoice.services.survey import SurveyError
from citizenvoice.services.survey_admin import FROZEN_MESSAGE, edit_campaign, edit_group

SETTINGS = {
    "starts_on": "2020-01-05",
    "ends_on": "2020-02-01",
    "score_satisfied": "100",
    "score_fairly": "85",
    "score_basic": "60",
    "score_dissatisfied": "0",
}
GROUP = {"name": "企业家代表", "weight": "30", "min_n": "10", "scope": "all"}


@pytest.fixture
def office(db_app: Flask) -> Iterator[tuple[Flask, FlaskClient]]:
    """The app with the demo departments and periods, and a signed-in office client."""
    with db_app.app_context():
        seed_demo_data(0)
        db.session.commit()
    yield db_app, login(db_app, make_user(db_app, "office"))


def _token(client: FlaskClient, path: str = "/office/surveys") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return csrf_token(page.get_data(as_text=True))


def _draft(app: Flask, client: FlaskClient, preset: str = "hangzhou") -> tuple[int, int]:
    """POST the create form; the new campaign's id and its first group's id."""
    with app.app_context():
        period = current_month_code()
    created = client.post(
        "/office/surveys",
        data={"csrf_token": _token(client), "period": period, "preset": preset},
    )
    assert created.status_code == 303, created.get_data(as_text=True)
    campaign_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None and campaign.status == "draft"
        return campaign_id, campaign.groups[0].id


def _post(client: FlaskClient, path: str, data: dict[str, object]) -> tuple[int, str]:
    response = client.post(path, data={"csrf_token": _token(client), **data})
    return response.status_code, response.get_data(as_text=True)


def _actions(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.details).order_by(AuditEntry.seq)
        ).all()
    return [(a, str(d)) for a, d in rows if a.startswith("survey_")]


def test_draft_is_edited_opened_frozen_and_closed(office) -> None:
    """The whole office flow; every change audited; edits refused once open, in the service too."""
    app, client = office
    campaign_id, group_id = _draft(app, client)
    base = f"/office/surveys/{campaign_id}"
    page = client.get(base).get_data(as_text=True)
    assert "开始问卷" in page and "修改评价群体" in page
    assert _post(client, f"{base}/settings", SETTINGS)[0] == 303
    status, _ = _post(client, f"{base}/groups/{group_id}", {**GROUP, "scope": "list"})
    assert status == 400  # a list scope with no department chosen
    status, _ = _post(
        client, f"{base}/groups/{group_id}", {**GROUP, "scope": "list", "departments": "cgzf"}
    )
    assert status == 303
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None
        assert campaign.starts_on.isoformat() == "2020-01-05"
        assert campaign.scores["fairly"] == 85.0
        group = db.session.get(SurveyGroup, group_id)
        assert group is not None
        assert (group.name, group.weight, group.min_n) == ("企业家代表", 0.3, 10)
        assert group.departments == ["cgzf"]
        # back to the period's own dates, so the campaign can be opened (its end not past)
        period = db.session.get(Period, campaign.period_id)
        assert period is not None
        dates = {"starts_on": period.starts_on.isoformat(), "ends_on": period.ends_on.isoformat()}
    assert _post(client, f"{base}/status", {"action": "open"})[0] == 409  # ended in 2020
    assert _post(client, f"{base}/settings", {**SETTINGS, **dates})[0] == 303
    assert _post(client, f"{base}/status", {"action": "open"})[0] == 303
    status, html = _post(client, f"{base}/groups/{group_id}", {**GROUP, "weight": "50"})
    assert status == 409 and FROZEN_MESSAGE in html
    status, html = _post(client, f"{base}/settings", SETTINGS)
    assert status == 409 and FROZEN_MESSAGE in html
    assert _post(client, f"{base}/status", {"action": "open"})[0] == 409
    with app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None and campaign.status == "open"
        for call in (
            lambda: edit_campaign(campaign, SETTINGS, "test"),
            lambda: edit_group(campaign, group_id, {**GROUP, "weight": "50"}, [], "test"),
        ):
            with pytest.raises(SurveyError) as refused:
                call()
            assert refused.value.status == 409
        db.session.rollback()
        assert db.session.get(SurveyGroup, group_id).weight == 0.3  # type: ignore[union-attr]
    assert "开始问卷" not in client.get(base).get_data(as_text=True)
    assert _post(client, f"{base}/status", {"action": "close"})[0] == 303
    status, html = _post(client, f"{base}/sheet", {"group": "residents", "count": "2"})
    assert status == 409 and "已结束" in html
    actions = [a for a, _ in _actions(app)]
    for action in ("survey_create", "survey_edit", "survey_group_edit", "survey_open"):
        assert action in actions
    assert actions[-1] == "survey_close"


def test_sheet_prints_one_qr_code_per_new_invitation(office) -> None:
    """Codes in groups of four, one inline SVG each, usable once open; audit without codes."""
    app, client = office
    campaign_id, _ = _draft(app, client, "beijing")
    base = f"/office/surveys/{campaign_id}"
    status, html = _post(client, f"{base}/sheet", {"group": "residents", "count": "3"})
    assert status == 200
    codes = re.findall(r'class="card-code">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<', html)
    assert len(codes) == 3 and html.count("<svg") == 3
    assert "http" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", html.split("<main")[1])
    assert "<script" not in html and "cdn" not in html.lower()
    audit = [d for a, d in _actions(app) if a == "survey_invitations"]
    assert len(audit) == 1 and "'count': 3" in audit[0] and "sheet" in audit[0]
    assert not any(c.replace("-", "") in audit[0] or c in audit[0] for c in codes)
    assert _post(client, f"{base}/status", {"action": "open"})[0] == 303
    reader = app.test_client()
    code = normalise_code(codes[0])
    assert reader.get(f"/api/v1/surveys/{code}").status_code == 200
    for bad in ("0", "501", "x", "1e3", "=1+1", "\x00", "-1"):
        status, _ = _post(client, f"{base}/sheet", {"group": "residents", "count": bad})
        assert status == 400, bad
    assert _post(client, f"{base}/sheet", {"group": "nobody", "count": "1"})[0] == 404


def _matrix_of(svg: str) -> list[list[bool]]:
    """The module matrix drawn by ``qr_svg``'s path of runs."""
    side = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))  # type: ignore[union-attr]
    matrix = [[False] * side for _ in range(side)]
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for dx in range(int(n)):
            matrix[int(y)][int(x) + dx] = True
    return matrix


def test_qr_svg_draws_exactly_the_qrcode_matrix() -> None:
    """The compact path redraws every dark module of the package's matrix, nothing else."""
    for text in ("https://example.gov.cn/survey/ABCDEFGHJKMN", "/survey/0123456789AB"):
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
        code.add_data(text)
        code.make(fit=True)
        assert _matrix_of(qr_svg(text)) == code.get_matrix()


NAME_HOSTILE = {"", "\x00", "=1+1", "@SUM(A1)", "x" * 5_000, "-5", "+1"}
HOSTILE = ["", "\x00", "=1+1", "@SUM(A1)", "x" * 5_000, "nan", "inf", "1e309", "-5", "+1"]


@pytest.mark.parametrize("field", ["name", "weight", "min_n", "scope", "departments"])
def test_hostile_group_values_are_form_errors(office, field: str) -> None:
    """Each hostile value in each field: 400 with the Chinese page, nothing stored."""
    app, client = office
    campaign_id, group_id = _draft(app, client)
    path = f"/office/surveys/{campaign_id}/groups/{group_id}"
    with app.app_context():
        before = db.session.get(SurveyGroup, group_id)
        assert before is not None
        stored = (before.name, before.weight, before.min_n, before.departments)
    values = [v for v in HOSTILE if field != "name" or v in NAME_HOSTILE]
    if field != "name":
        values += ["0", "100.5"] + (["1.5", "１０"] if field != "weight" else [])
    for value in values:
        data = {**GROUP, "scope": "list" if field == "departments" else GROUP["scope"]}
        data[field] = value
        status, html = _post(client, path, data)
        assert status == 400, (field, value[:20], status)
        assert "输入有误" in html
    data = {**GROUP, field: "x" * 2_000_000}  # over the request size limit: refused early
    assert client.post(path, data={"csrf_token": _token(client), **data}).status_code in (400, 413)
    with app.app_context():
        after = db.session.get(SurveyGroup, group_id)
        assert after is not None
        assert (after.name, after.weight, after.min_n, after.departments) == stored


def test_hostile_settings_and_create_values_are_form_errors(office) -> None:
    """Dates out of order or nonsense, scores out of range or upside down; bad presets."""
    app, client = office
    campaign_id, _ = _draft(app, client)
    path = f"/office/surveys/{campaign_id}/settings"
    cases = [
        {"ends_on": "2020-01-05"},  # not after the start
        {"ends_on": "2021-06-01"},  # over a year
        {"starts_on": "2020-02-30"},
        {"starts_on": "=1+1"},
        {"starts_on": "\x00"},
        {"score_fairly": "101"},
        {"score_basic": "nan"},
        {"score_dissatisfied": "90"},  # above 比较满意
        {"score_satisfied": "x" * 10_000},
    ]
    for case in cases:
        status, html = _post(client, path, {**SETTINGS, **case})
        assert status == 400, case
    for data in ({"period": "nope", "preset": "hangzhou"}, {"period": "\x00", "preset": "x"}):
        status, html = _post(client, "/office/surveys", data)
        assert status == 400 and "请选择" in html
    with app.app_context():
        published = db.session.scalars(select(Period)).first()
        assert published is not None
        published.status = "published"
        db.session.commit()
        code = published.code
    status, html = _post(client, "/office/surveys", {"period": code, "preset": "beijing"})
    assert status == 400 and "已发布" in html
    assert _post(client, f"/office/surveys/{campaign_id}/status", {"action": "=1"})[0] == 400
    assert client.post(path, data=SETTINGS).status_code == 400  # no CSRF token
    assert [a for a, _ in _actions(app)] == ["survey_create"]


def _serve(app: Flask) -> tuple[object, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return server, thread


def _raw_post(port: int, path: str, cookie: str, body: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            path,
            body=urlencode(body),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                # the session is bound to address and agent (session protection "strong"):
                # the agent of the test client that signed in
                "User-Agent": f"Werkzeug/{version('werkzeug')}",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _race(port: int, requests: list[tuple[str, dict[str, str]]], cookie: str) -> list[int]:
    start = threading.Barrier(len(requests))
    statuses = [0] * len(requests)

    def send(index: int) -> None:
        path, body = requests[index]
        start.wait()
        statuses[index] = _raw_post(port, path, cookie, body)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return statuses


@pytest.mark.timeout(120)
def test_racing_edits_and_opens_leave_a_consistent_campaign(office) -> None:
    """An edit racing an open: either the edit landed before the open or was refused; two
    opens at once: exactly one succeeds. Never a 500."""
    app, client = office
    campaign_id, group_id = _draft(app, client)
    token = _token(client, f"/office/surveys/{campaign_id}")
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    cookie = f"{cookie_name}={client.get_cookie(cookie_name).value}"  # type: ignore[union-attr]
    base = f"/office/surveys/{campaign_id}"
    edit = (f"{base}/groups/{group_id}", {"csrf_token": token, **GROUP, "weight": "42"})
    open_ = (f"{base}/status", {"csrf_token": token, "action": "open"})
    other, _ = _draft(app, client, "beijing")
    open_other = (f"/office/surveys/{other}/status", {"csrf_token": token, "action": "open"})
    server, thread = _serve(app)
    port = server.server_port  # type: ignore[attr-defined]
    try:
        first = _race(port, [edit, open_], cookie)
        again = _race(port, [open_other, open_other, open_other], cookie)
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        thread.join(timeout=10)
    assert all(s < 500 for s in first + again), (first, again)
    assert first[1] == 303 and first[0] in (303, 409), first
    assert sorted(again) == [303, 409, 409]
    with app.app_context():
        group = db.session.get(SurveyGroup, group_id)
        assert group is not None
        assert group.weight == (0.42 if first[0] == 303 else 0.25)
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None and campaign.status == "open"
    opens = [a for a, _ in _actions(app) if a == "survey_open"]
    assert len(opens) == 2  # one per campaign
