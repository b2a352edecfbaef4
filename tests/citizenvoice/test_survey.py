"""Survey campaigns end to end on PostgreSQL and SQLite: CLI create and invite, the JSON API's
statuses, one transaction per answer, unlinkability, the refused-code rate limit, the page, and
simultaneous posts of one code over real HTTP connections (exactly one 201)."""

from __future__ import annotations

import csv
import http.client
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from factories import csrf_token
from flask import Flask
from sqlalchemy import func, inspect, select
from werkzeug.serving import make_server

from citizenvoice.cli import seed_demo_data
from citizenvoice.domain.survey import format_code
from citizenvoice.extensions import db
from citizenvoice.models import Period, SurveyAnswer, SurveyCampaign, SurveyInvitation
from citizenvoice.services.appraisal import current_month_code


@pytest.fixture
def survey_app(db_app: Flask) -> Iterator[Flask]:
    """The app with the demo departments and the current periods, on either database."""
    with db_app.app_context():
        seed_demo_data(0)
        db.session.commit()
    yield db_app


def create(app: Flask, period: str, preset: str = "hangzhou") -> int:
    """``flask survey create``; the campaign id is the last word of the output."""
    result = app.test_cli_runner().invoke(
        args=["survey", "create", "--period", period, "--preset", preset]
    )
    assert result.exit_code == 0, result.output
    return int(result.output.split()[-1])


def invite(app: Flask, campaign: int, group: str, count: int, out: Path) -> list[str]:
    """``flask survey invite``; the codes from the CSV it wrote."""
    result = app.test_cli_runner().invoke(
        args=[
            "survey",
            "invite",
            "--campaign",
            str(campaign),
            "--group",
            group,
            "--count",
            str(count),
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["code", "url"]
    assert all(row["url"].endswith(f"/survey/{row['code']}") for row in rows)
    return [row["code"] for row in rows]


def current_campaign(app: Flask, preset: str = "hangzhou") -> int:
    with app.app_context():
        code = current_month_code()
    assert code is not None
    return create(app, code, preset)


def test_create_and_invite_store_only_hashes(survey_app: Flask, tmp_path: Path) -> None:
    """Nine groups, open for the period's dates; the database holds no code in clear."""
    campaign_id = current_campaign(survey_app)
    codes = invite(survey_app, campaign_id, "enterprises", 25, tmp_path / "codes.csv")
    assert len(set(codes)) == 25
    with survey_app.app_context():
        campaign = db.session.get(SurveyCampaign, campaign_id)
        assert campaign is not None and campaign.status == "open"
        assert len(campaign.groups) == 9
        assert all(g.departments is None and g.min_n == 30 for g in campaign.groups)
        hashes = set(db.session.scalars(select(SurveyInvitation.code_hmac)))
        assert len(hashes) == 25 and not hashes & set(codes)
    bad = survey_app.test_cli_runner().invoke(
        args=[
            "survey",
            "invite",
            "--campaign",
            str(campaign_id),
            "--group",
            "nobody",
            "--count",
            "1",
            "--out",
            str(tmp_path / "x.csv"),
        ]
    )
    assert bad.exit_code != 0


def test_answer_flow_and_statuses(survey_app: Flask, tmp_path: Path) -> None:
    """GET the questionnaire, POST answers (201), again (409); unknown 404; bad 400, nothing stored."""
    campaign_id = current_campaign(survey_app, "beijing")
    code, other = invite(survey_app, campaign_id, "residents", 2, tmp_path / "c.csv")
    client = survey_app.test_client()
    shown = client.get(f"/api/v1/surveys/{format_code(code).lower()}")
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["group"]["code"] == "residents"
    departments = [d["code"] for d in body["departments"]]
    assert departments and {"code", "name", "description"} <= set(body["departments"][0])

    bad = client.post(
        f"/api/v1/surveys/{code}",
        json={
            "answers": [
                {"department": departments[0], "rating": "great"},
                {"department": "nowhere", "rating": "satisfied"},
            ]
        },
    )
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["fields"]) == {"answers[0].rating", "answers[1].department"}
    for hostile in (
        {"answers": "x"},
        {"answers": [None]},
        {"extra": 1},
        [1],
        {"answers": []},
        {"answers": [{"department": departments[0], "rating": "basic", "comment": "x" * 5000}]},
    ):
        assert client.post(f"/api/v1/surveys/{code}", json=hostile).status_code == 400
    assert (
        client.post(
            f"/api/v1/surveys/{code}", data="\x00", content_type="application/json"
        ).status_code
        == 400
    )

    answers = [{"department": d, "rating": "fairly"} for d in departments]
    answers[0] = {
        "department": departments[0],
        "rating": "dissatisfied",
        "comment": "窗口排队太久，电话13912345678",
    }
    answers[1]["rating"] = "unknown"
    assert client.post(f"/api/v1/surveys/{code}", json={"answers": answers}).status_code == 201
    assert client.post(f"/api/v1/surveys/{code}", json={"answers": answers}).status_code == 409
    assert client.get(f"/api/v1/surveys/{code}").status_code == 409
    assert client.get(f"/api/v1/surveys/{other}").status_code == 200
    assert client.get("/api/v1/surveys/ZZZZZZZZZZZZ").status_code == 404
    assert client.get("/api/v1/surveys/%00").status_code == 404
    with survey_app.app_context():
        rows = db.session.scalars(select(SurveyAnswer)).all()
        assert len(rows) == len(departments)
        comment = next(r.comment for r in rows if r.comment)
        assert "13912345678" not in comment
        # Unlinkable: no column of an answer names an invitation, a code or an address.
        columns = {c["name"] for c in inspect(db.engine).get_columns("survey_answer")}
        assert columns == {
            "id",
            "campaign_id",
            "group_id",
            "department_id",
            "rating",
            "comment",
            "created_at",
        }
        used = db.session.scalar(select(func.count()).where(SurveyInvitation.used.is_(True)))
        assert used == 1


def test_outside_the_dates_is_410(survey_app: Flask, tmp_path: Path) -> None:
    """A campaign of a past period refuses its codes with 410."""
    with survey_app.app_context():
        db.session.add(
            Period(
                code="2025-01",
                name="2025年1月",
                kind="month",
                starts_on=date(2025, 1, 1),
                ends_on=date(2025, 2, 1),
                settings={},
            )
        )
        db.session.commit()
    campaign_id = create(survey_app, "2025-01")
    (code,) = invite(survey_app, campaign_id, "media", 1, tmp_path / "old.csv")
    client = survey_app.test_client()
    assert client.get(f"/api/v1/surveys/{code}").status_code == 410
    response = client.post(f"/api/v1/surveys/{code}", json={"answers": []})
    assert response.status_code == 410


def test_only_refused_codes_count_toward_the_limit(survey_app: Flask, tmp_path: Path) -> None:
    """With a limit of 3: many valid answers from one address pass; the 4th unknown code is 429."""
    survey_app.config["SURVEY_RATE_LIMIT"] = "3/minute"
    campaign_id = current_campaign(survey_app, "beijing")
    codes = invite(survey_app, campaign_id, "residents", 5, tmp_path / "c.csv")
    client = survey_app.test_client()
    department = client.get(f"/api/v1/surveys/{codes[0]}").get_json()["departments"][0]["code"]
    for code in codes:
        answer = {"answers": [{"department": department, "rating": "satisfied"}]}
        assert client.post(f"/api/v1/surveys/{code}", json=answer).status_code == 201
    statuses = [client.get(f"/api/v1/surveys/{n:012d}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_page_works_as_a_plain_form(survey_app: Flask, tmp_path: Path) -> None:
    """Without JavaScript: the form posts every department's choice; the code is then used."""
    campaign_id = current_campaign(survey_app, "beijing")
    (code,) = invite(survey_app, campaign_id, "residents", 1, tmp_path / "c.csv")
    client = survey_app.test_client()
    page = client.get(f"/survey/{format_code(code)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "不了解" in html and "提交评价" in html and "<script>" not in html
    departments = client.get(f"/api/v1/surveys/{code}").get_json()["departments"]
    form = {"csrf_token": csrf_token(html)}
    form |= {f"rating-{d['code']}": "basic" for d in departments}
    form[f"comment-{departments[0]['code']}"] = "办事效率有提高"
    empty = client.post(f"/survey/{code}", data={"csrf_token": csrf_token(html)})
    assert empty.status_code == 400
    done = client.post(f"/survey/{code}", data=form)
    assert done.status_code == 200 and "提交成功" in done.get_data(as_text=True)
    again = client.get(f"/survey/{code}")
    assert again.status_code == 409 and "已经使用" in again.get_data(as_text=True)
    assert client.get("/survey/not-a-code").status_code == 404
    with survey_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyAnswer)) == len(departments)


RATERS = 6


def post(port: int, path: str, body: dict[str, object]) -> int:
    """One POST on its own connection; the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.timeout(120)
def test_simultaneous_posts_of_one_code_store_once(survey_app: Flask, tmp_path: Path) -> None:
    """Two rounds: two posts at once, then six at once; always exactly one 201."""
    campaign_id = current_campaign(survey_app, "beijing")
    codes = invite(survey_app, campaign_id, "residents", 2, tmp_path / "c.csv")
    departments = survey_app.test_client().get(f"/api/v1/surveys/{codes[0]}").get_json()
    answers = {
        "answers": [
            {"department": d["code"], "rating": "basic"} for d in departments["departments"]
        ]
    }
    server = make_server("127.0.0.1", 0, survey_app, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    results: list[list[int]] = []
    try:
        for code, raters in zip(codes, (2, RATERS), strict=True):
            start = threading.Barrier(raters)
            statuses = [0] * raters

            def answer(
                index: int,
                code: str = code,
                start: threading.Barrier = start,
                statuses: list[int] = statuses,
            ) -> None:
                start.wait()
                statuses[index] = post(server.server_port, f"/api/v1/surveys/{code}", answers)

            threads = [threading.Thread(target=answer, args=(i,)) for i in range(raters)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=90)
            results.append(statuses)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    for statuses in results:
        assert sorted(statuses) == [201] + [409] * (len(statuses) - 1), statuses
    with survey_app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(SurveyAnswer))
        assert stored == 2 * len(answers["answers"])
        used = db.session.scalar(select(func.count()).where(SurveyInvitation.used.is_(True)))
        assert used == 2


def test_access_log_lines_never_carry_an_invitation_code() -> None:
    """The request line of a survey page or API call is redacted like a tracking code's."""
    from citizenvoice.log_redaction import redact_log_text

    for path in ("/survey/ABCD-EFGH-JKMN", "/api/v1/surveys/ABCDEFGHJKMN"):
        line = redact_log_text(f'127.0.0.1 - - "GET {path} HTTP/1.1" 200 -')
        assert "ABCD" not in line and "EFGH" not in line
