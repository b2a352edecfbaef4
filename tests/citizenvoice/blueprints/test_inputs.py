"""Hostile inputs: redirect targets after sign-in, control characters in every input of every
route (PostgreSQL and the embedded SQLite app), out-of-range date filters, a tampered import."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from factories import PASSWORD, csrf_token, embedded_app, login, make_user, sign_in
from sqlalchemy import select
from support import PROJECT_ROOT, file_submission

from citizenvoice.domain.inputs import clean_text, safe_redirect_path
from citizenvoice.extensions import db
from citizenvoice.models import Media, Submission, User
from citizenvoice.services.analysis import analyse_submission

NOISE = "A1区人民路夜市每天晚上占道经营到凌晨，噪音和油烟严重影响居民休息，请城管尽快处理。"
# NUL, another C0 control, DEL and a C1 control (NEL) around real text.
HOSTILE = "甲\x00乙\x01丙\x7f丁\x85戊"


def _create_users(app) -> None:
    for username, role, department in [
        ("cg_admin", "department_admin", "cgzf"),
        ("office1", "office", None),
    ]:
        make_user(app, role, department, username)


# --------------------------------------------------------------------------- open redirect

HOSTILE_TARGETS = [
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,hi",
    "/office/queue\r\nSet-Cookie: x=1",
    "/office/queue\x00//evil.example",
    "/" + "a" * 5000,
    "evil.example",
    "/no-such-page-of-this-app",
]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_sign_in_never_redirects_off_site_or_to_an_unknown_page(seeded, target):
    _create_users(seeded)
    _, response = sign_in(seeded, "office1", next_=target, expect=None)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == "/office/queue"  # the default, never the hostile target


@pytest.mark.parametrize(
    "target", ["/workspace/", "/workspace/?status=signed&q=夜市", "/office/periods", "/staff"]
)
def test_sign_in_follows_a_local_next_to_a_page_of_this_app(seeded, target):
    _create_users(seeded)
    _, response = sign_in(seeded, "office1", next_=target, expect=None)
    assert response.status_code == 303
    assert unquote(response.headers["Location"]) == target


def test_the_login_required_redirect_round_trips_to_the_page_asked_for(seeded):
    _create_users(seeded)
    client = seeded.test_client()
    bounced = client.get("/office/periods?x=1")
    assert bounced.status_code == 302
    login_url = bounced.headers["Location"]
    token = csrf_token(client.get(login_url).get_data(as_text=True))
    response = client.post(
        login_url, data={"username": "office1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/office/periods?x=1"


def test_the_redirect_rule_reads_targets_as_a_browser_does():
    assert safe_redirect_path("/\t/evil.example") is None
    assert safe_redirect_path("/ok/\tpath") == "/ok/path"
    assert safe_redirect_path("/a\\b") is None
    assert safe_redirect_path("/a?next=//x") == "/a?next=//x"


# --------------------------------------------------------------------------- control characters


def test_the_cleaning_rule_keeps_lines_and_tabs_and_drops_other_controls():
    assert clean_text("第一行\r\n第二行\t完") == "第一行\r\n第二行\t完"
    assert clean_text(HOSTILE) == "甲乙丙丁戊"
    assert clean_text("a\ud800b") == "ab"


def _field_names() -> list[str]:
    """Every form field name in the templates, plus the WTForms fields rendered by name."""
    names = set()
    for path in Path(PROJECT_ROOT / "templates").rglob("*.html"):
        names.update(re.findall(r'name="([a-z_]+)"', path.read_text(encoding="utf-8")))
    names.update(["username", "password", "text", "title", "location", "contact_phone"])
    names.update(["comment", "code", "rating", "contacted", "resolved", "satisfaction"])
    names.update(["reply", "note", "template", "name"])
    names -= {"csrf_token", "file", "viewport"}
    return sorted(names)


QUERY_NAMES = ["q", "status", "kind", "category", "sentiment", "group", "from", "to", "sort"]
QUERY_NAMES += ["page", "per_page", "template", "value", "department", "next", "code", "urgent"]


def _world(app, analyzer) -> dict[str, str]:
    """A case with a tracking code, a period, a rectification task, the message links' tokens,
    an Open311 API key and an open-data build: real values for path parts."""
    from citizenvoice.domain.notifications import sign_token
    from citizenvoice.domain.workdays import SHANGHAI
    from citizenvoice.jobs.notifications import FOLLOW_UP_PURPOSE, UNSUBSCRIBE_PURPOSE
    from citizenvoice.models.base import utcnow
    from citizenvoice.services.appraisal import ensure_periods, period_by_code
    from citizenvoice.services.open311.keys import create_key
    from citizenvoice.services.opendata import build
    from citizenvoice.services.rectification import open_task
    from citizenvoice.services.survey import create_campaign
    from citizenvoice.services.survey_priority import add_candidate
    from citizenvoice.services.survey_review import hold_batch

    _create_users(app)
    for username, role in (("admin1", "system_admin"), ("victim1", "office")):
        make_user(app, role, username=username)
    case_id = file_submission(app, NOISE, department="cgzf", title="夜市噪音")
    with app.app_context():
        analyse_submission(case_id, analyzer)
        code = db.session.get(Submission, case_id).tracking_code
        public_number = db.session.get(Submission, case_id).public_number
        period = next(p for p in ensure_periods() if p.kind == "month").code
        office = db.session.scalar(select(User).where(User.username == "office1"))
        task = open_task(
            office, "cgzf", "整改", "目标", "keyword", "夜市", date.today() + timedelta(30)
        )
        task_id = str(task.id)
        api_key = create_key("inputs-sweep").key
        # A photo row of the case (its files are not needed to reach the photo views).
        photo = Media(
            public_id="inputsSweepPhoto000001",
            submission_id=case_id,
            stored_name="0" * 32 + ".jpg",
            thumb_name="1" * 32 + ".jpg",
            content_type="image/jpeg",
            width=1,
            height=1,
            byte_size=1,
        )
        db.session.add(photo)
        campaign = create_campaign(period_by_code(period), "beijing")
        campaign_id = str(campaign.id)
        candidate_id = str(add_candidate(campaign, "候选事项").id)
        group = campaign.groups[0]
        group_id = str(group.id)
        hold_id = str(hold_batch(campaign, group.code, "cgzf", None, "office1").id)
        db.session.commit()
        version = build(app.config["OPEN_DATA_DIR"], utcnow().astimezone(SHANGHAI).date())
        secret = app.config["SECRET_KEY"]
        follow_up = sign_token(secret, FOLLOW_UP_PURPOSE, case_id, utcnow() + timedelta(days=7))
        unsubscribe = sign_token(secret, UNSUBSCRIBE_PURPOSE, case_id)
    return {
        "case_id": str(case_id),
        "submission_id": str(case_id),
        "task_id": task_id,
        "tracking": code,
        "period": period,
        "kind": "complaint",
        "action": "compute",
        "fmt": "csv",
        "filename": "css/app.css",
        "username": "victim1",  # account management may change it; no client signs in as it
        "public_number": public_number,
        "version": version.folder.name,  # the build's date (/open/data/<version>/<filename>)
        "data_file": "public-cases.csv",
        "campaign_id": campaign_id,
        "candidate_id": candidate_id,
        "group_id": group_id,
        "hold_id": hold_id,
        "department": "cgzf",
        "api_key": api_key,  # POST /open311/v2/requests: reach the intake, not the key check
        "media_id": "inputsSweepPhoto000001",
        "/f/": follow_up,
        "/u/": unsubscribe,
    }


def _real_value(rule, argument: str, world: dict[str, str]) -> str:
    if rule.rule.startswith("/open311") and argument in ("fmt", "name"):
        if argument == "fmt":
            return "json"
        return "cgzf.json" if "/services/" in rule.rule else f"{world['public_number']}.json"
    if argument == "code":
        if rule.rule.startswith("/open/"):
            return "cgzf"
        return world["period"] if "period" in rule.rule else world["tracking"]
    if argument == "token":  # a message link's signed token
        return world[rule.rule[:3]]
    if argument == "filename" and rule.rule.startswith("/open/"):
        return world["data_file"]
    return world[argument]


def _path_variants(rule, world: dict[str, str]) -> list[str]:
    """The rule's URL with real values, and with a control character in each path part."""
    real = {a: _real_value(rule, a, world) for a in rule.arguments}
    variants = [real]
    for argument in rule.arguments:
        variants.append({**real, argument: HOSTILE})
        variants.append({**real, argument: real[argument] + "\x00"})
    urls = []
    for values in variants:
        url = rule.rule
        for name, value in values.items():
            url = re.sub(r"<(?:[a-z]+:)?" + name + ">", quote(value, safe=""), url)
        urls.append(url)
    return urls


def _client_for(rule, clients):
    if rule.rule.startswith("/staff/users"):
        return clients["admin"]
    if rule.rule.startswith("/office"):
        return clients["office"]
    if rule.rule.startswith(("/workspace", "/staff")):
        return clients["staff"]
    return clients["anonymous"]


JSON = "application/json"
# Sent as plain json.dumps writes it (NUL escaped as \\u0000), as a hostile client would.
API_BODY = json.dumps(
    {
        "kind": "complaint",
        "department": "cgzf\x00",
        "title": HOSTILE,
        "text": NOISE + HOSTILE,
        "location": "\x00",
    }
)


def _hit_every_route(app, world: dict[str, str]) -> list[str]:
    """Hit each route with control characters in its path, query and form; list the 500s."""
    app.config["SUBMISSION_RATE_LIMIT"] = "100000/minute"  # reach the views, not the limiter
    clients = {
        "office": login(app, "office1"),
        "staff": login(app, "cg_admin"),
        "admin": login(app, "admin1"),
        "anonymous": app.test_client(),
    }
    tokens = {
        name: csrf_token(client.get("/login").get_data(as_text=True))
        if name == "anonymous"
        else csrf_token(client.get("/staff/password").get_data(as_text=True))
        for name, client in clients.items()
    }
    hostile_query = "&".join(f"{n}={quote(HOSTILE)}" for n in QUERY_NAMES)
    # Dates a form or query can carry that overflow date arithmetic.
    far_dates = "from=0001-01-01&to=9999-12-31&deadline=9999-12-31"
    hostile_form = dict.fromkeys(_field_names(), HOSTILE)
    date_form = {**hostile_form, "deadline": "9999-12-31", "from": "0001-01-01", "to": "9999-12-31"}
    failures = []
    hits = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "auth.logout":
            continue  # would end the session the other routes need
        client = _client_for(rule, clients)
        token = tokens[next(k for k, c in clients.items() if c is client)]
        for url in _path_variants(rule, world):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for query, form in ((None, hostile_form), (hostile_query, hostile_form)) + (
                    ((far_dates, date_form),) if url == _path_variants(rule, world)[0] else ()
                ):
                    target = f"{url}?{query}" if query else url
                    if method == "GET":
                        response = client.get(target)
                    elif rule.endpoint.startswith("api."):
                        response = client.post(target, data=API_BODY, content_type=JSON)
                    else:
                        fields = {**form, "csrf_token": token, "api_key": world["api_key"]}
                        response = client.post(target, data=fields)
                    hits += 1
                    if response.status_code >= 500:
                        failures.append(f"{method} {target[:80]!r} -> {response.status_code}")
                    response.close()
    assert hits > 150
    return failures


def test_no_route_answers_500_to_control_characters_on_postgresql(
    seeded, analyzer, caplog, tmp_path
):
    seeded.config["OPEN_DATA_DIR"] = str(tmp_path / "opendata")
    world = _world(seeded, analyzer)
    failures = _hit_every_route(seeded, world)
    assert failures == []
    assert "Traceback" not in caplog.text


def test_a_note_and_a_reply_with_control_characters_are_stored_clean(seeded, analyzer):
    world = _world(seeded, analyzer)
    staff = login(seeded, "cg_admin")
    case = f"/workspace/cases/{world['case_id']}"
    token = csrf_token(staff.get(case).get_data(as_text=True))
    signed = staff.post(f"{case}/action", data={"csrf_token": token, "action": "sign"})
    assert signed.status_code == 303
    note = staff.post(
        f"{case}/action", data={"csrf_token": token, "action": "add_note", "note": HOSTILE}
    )
    assert note.status_code == 303
    reply = "您好，\x00经核查\x1b，已责令夜市摊贩在晚十点前收摊，\t并安排城管每晚巡查。\r\n如有问题请再反映。"
    replied = staff.post(f"{case}/reply", data={"csrf_token": token, "body": reply, "confirm": "1"})
    assert replied.status_code < 500
    with seeded.app_context():
        from citizenvoice.models import StatusEvent

        notes = list(db.session.scalars(select(StatusEvent.note)))
    assert "甲乙丙丁戊" in notes
    assert not any(re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", n) for n in notes)


def test_a_path_part_with_nul_is_a_404_before_any_query(seeded, client):
    api = client.get("/api/v1/periods/%00/scores")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert client.get("/track/%00abc").status_code == 404
    assert client.get("/api/v1/feedback/%1b").status_code == 404


def test_login_with_nul_in_the_username_is_an_ordinary_failure(seeded, client):
    _create_users(seeded)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": "staff\x00a", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 401


def test_api_strings_lose_control_characters_and_lone_surrogates_are_refused(seeded, client):
    app = seeded
    body = {"kind": "complaint", "department": "cgzf\x00", "title": "夜\x00市\x1b", "text": NOISE}
    response = client.post("/api/v1/feedback", data=json.dumps(body), content_type=JSON)
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(select(Submission).order_by(Submission.id.desc()))
        assert stored.title == "夜市"
        assert stored.department.code == "cgzf"
    body = {"kind": "complaint", "department": "cgzf", "text": NOISE + "\ud800"}
    refused = client.post("/api/v1/feedback", data=json.dumps(body), content_type=JSON)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "invalid_json"


# --------------------------------------------------------------------------- embedded SQLite


def _embedded_app(tmp_path):
    """The seeded embedded default (departments, no cases) on a SQLite file."""
    return next(embedded_app(tmp_path / "embedded.sqlite3"))


@pytest.mark.slow
def test_sqlite_stores_no_control_characters_from_a_form_or_the_api(tmp_path):
    app = _embedded_app(tmp_path)
    client = app.test_client()
    page = client.get("/submit/complaint").get_data(as_text=True)
    response = client.post(
        "/submit/complaint",
        data={
            "csrf_token": csrf_token(page),
            "department": "cgzf",
            "title": "夜市\x00噪音",
            "text": NOISE + "\x00\x1b第二行\n完",
            "location": "人民路\x00",
        },
    )
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    body = {"kind": "complaint", "department": "cgzf", "text": NOISE + "\u0000\u009f"}
    api = client.post("/api/v1/feedback", data=json.dumps(body), content_type=JSON)
    assert api.status_code == 201
    app.extensions["citizenvoice.runner"].shutdown()  # let the in-process analysis finish
    with app.app_context():
        rows = list(db.session.scalars(select(Submission)))
        texts = [r.text for r in rows] + [r.title or "" for r in rows]
    assert len(rows) == 2
    assert not any(
        re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]", t) for t in texts
    )
    assert any("第二行\n完" in t for t in texts)
    assert client.get("/api/v1/periods/%00/scores").status_code == 404


# --------------------------------------------------------------------------- dates and imports


@pytest.mark.parametrize("path", ["/workspace/", "/workspace/export.csv", "/workspace/export.xlsx"])
@pytest.mark.parametrize(
    "query", ["to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=9999-12-31"]
)
def test_out_of_range_filter_dates_are_a_400_with_a_chinese_message(seeded, path, query):
    _create_users(seeded)
    client = login(seeded, "cg_admin")
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert "日期须在" in response.get_data(as_text=True)


def test_ordinary_and_malformed_filter_dates_still_work(seeded):
    _create_users(seeded)
    client = login(seeded, "cg_admin")
    assert client.get("/workspace/?from=2024-01-01&to=2030-12-31").status_code == 200
    assert client.get("/workspace/?from=yesterday").status_code == 200


@pytest.mark.parametrize(
    "payload", ["not base64!!", "QUJD", base64.b64encode(b"\xff\xfe\x00garbage").decode()]
)
def test_a_tampered_import_payload_is_a_400_not_a_500(seeded, payload):
    from citizenvoice.services.appraisal import ensure_periods

    _create_users(seeded)
    with seeded.app_context():
        code = next(p for p in ensure_periods() if p.kind == "month").code
        db.session.commit()
    client = login(seeded, "office1")
    page = client.get(f"/office/periods/{code}/import").get_data(as_text=True)
    response = client.post(
        f"/office/periods/{code}/import",
        data={
            "csrf_token": csrf_token(page),
            "confirm": "1",
            "payload": payload,
            "sha256": hashlib.sha256(b"something else").hexdigest(),
            "filename": "x.csv",
        },
    )
    assert response.status_code == 400
    assert "导入数据已损坏" in response.get_data(as_text=True)
