"""The priority question end to end on PostgreSQL and SQLite: candidates by CLI and office form
(frozen after the first answer), picks through the API and the page in the answers' transaction,
hostile picks refused whole, simultaneous posts of one code, unlinkable picks, the tally on the
office page and on /open/priorities after close, 整改 tasks from candidates (at most one each),
and the grade bands on the office and workspace pages."""

from __future__ import annotations

import csv
import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import csrf_token
from flask import Flask
from sqlalchemy import func, inspect, select
from werkzeug.serving import make_server

from citizenvoice.cli import seed_demo_data
from citizenvoice.extensions import db
from citizenvoice.models import (
    SurveyAnswer,
    SurveyPriorityPick,
)
from citizenvoice.services.appraisal import current_month_code


@pytest.fixture
def survey_app(db_app: Flask) -> Iterator[Flask]:
    """The app with the demo departments and the current periods, on either database."""
    with db_app.app_context():
        seed_demo_data(0)
        db.session.commit()
    yield db_app


def cli(app: Flask, *args: str) -> str:
    """Run ``flask survey ...`` (it must succeed); its output."""
    result = app.test_cli_runner().invoke(args=["survey", *args])
    assert result.exit_code == 0, result.output
    return str(result.output)


def current_campaign(app: Flask, preset: str = "beijing") -> int:
    """A campaign of the current month, open now; its id."""
    with app.app_context():
        code = current_month_code()
    assert code is not None
    return int(cli(app, "create", "--period", code, "--preset", preset).split()[-1])


def invite(app: Flask, campaign: int, group: str, count: int, out: Path) -> list[str]:
    """``flask survey invite``; the codes."""
    cli(
        app,
        "invite",
        "--campaign",
        str(campaign),
        "--group",
        group,
        "--count",
        str(count),
        "--out",
        str(out),
    )
    with out.open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def add(app: Flask, campaign: int, title: str, description: str = "") -> int:
    """``flask survey priorities --add``; the new candidate's id is the last word."""
    args = ["survey", "priorities", "--campaign", str(campaign), "--add", title]
    result = app.test_cli_runner().invoke(args=[*args, "--description", description])
    assert result.exit_code == 0, result.output
    return int(result.output.split()[-1])


def candidates(app: Flask, campaign: int, n: int = 4) -> list[int]:
    """``n`` candidates of a campaign."""
    return [add(app, campaign, f"候选事项{i}", f"第{i}项的说明") for i in range(n)]


def counts(app: Flask) -> tuple[int, int]:
    """(answer rows, pick rows)."""
    with app.app_context():
        answers = db.session.scalar(select(func.count()).select_from(SurveyAnswer))
        picks = db.session.scalar(select(func.count()).select_from(SurveyPriorityPick))
    return int(answers or 0), int(picks or 0)


def answers_of(client, code: str) -> list[dict[str, str]]:
    """One 'basic' answer per department of the code's questionnaire."""
    body = client.get(f"/api/v1/surveys/{code}").get_json()
    return [{"department": d["code"], "rating": "basic"} for d in body["departments"]]


def test_cli_lists_and_the_questionnaire_shows_candidates(survey_app: Flask, tmp_path: Path):
    """--add prints the id, --list the tally; GET carries "priorities"; bad titles refused."""
    campaign = current_campaign(survey_app, "beijing")
    ids = candidates(survey_app, campaign, 2)
    runner = survey_app.test_cli_runner()
    listing = runner.invoke(args=["survey", "priorities", "--campaign", str(campaign), "--list"])
    assert (
        listing.exit_code == 0 and "候选事项0" in listing.output and "raters: 0" in listing.output
    )
    for bad in ("", "x" * 61, "a\x00b", "候选事项0"):
        result = runner.invoke(
            args=["survey", "priorities", "--campaign", str(campaign), "--add", bad]
        )
        assert result.exit_code != 0, bad
    assert runner.invoke(args=["survey", "priorities", "--campaign", "999999", "--list"]).exit_code
    (code,) = invite(survey_app, campaign, "residents", 1, tmp_path / "c.csv")
    body = survey_app.test_client().get(f"/api/v1/surveys/{code}").get_json()
    assert body["priorities"] == [
        {"id": ids[0], "title": "候选事项0", "description": "第0项的说明"},
        {"id": ids[1], "title": "候选事项1", "description": "第1项的说明"},
    ]
    for i in range(2, 10):
        add(survey_app, campaign, f"更多{i}")
    full = runner.invoke(
        args=["survey", "priorities", "--campaign", str(campaign), "--add", "第十一"]
    )
    assert full.exit_code != 0 and "最多 10 项" in full.output


def test_picks_are_stored_with_the_answers_and_hostile_picks_refused_whole(
    survey_app: Flask, tmp_path: Path
):
    """Valid picks 201; >3, duplicates, foreign ids, wrong types, NUL, huge: 400 on priority."""
    campaign = current_campaign(survey_app, "beijing")
    ids = candidates(survey_app, campaign)
    other = current_campaign(survey_app, "beijing")
    (foreign,) = candidates(survey_app, other, 1)
    code, second = invite(survey_app, campaign, "residents", 2, tmp_path / "c.csv")
    client = survey_app.test_client()
    answers = answers_of(client, code)
    for hostile in (
        ids,  # four
        [ids[0], ids[0]],
        [foreign],
        [True],
        [str(ids[0])],
        [float(ids[0])],
        "\x00",
        [ids[0], "\x00"],
        [10**30],
        "=1+1",
        {"id": ids[0]},
        list(range(5000)),
        ["x" * 20000],
    ):
        response = client.post(
            f"/api/v1/surveys/{code}", json={"answers": answers, "priority": hostile}
        )
        assert response.status_code == 400, hostile
        assert "priority" in response.get_json()["error"]["fields"], hostile
    # Both fields wrong: both reported.
    both = client.post(
        f"/api/v1/surveys/{code}", json={"answers": [{"department": "x"}], "priority": [0]}
    )
    assert {"priority", "answers[0].department"} <= set(both.get_json()["error"]["fields"])
    assert counts(survey_app) == (0, 0)
    ok = client.post(f"/api/v1/surveys/{code}", json={"answers": answers, "priority": ids[:3]})
    assert ok.status_code == 201
    assert counts(survey_app) == (len(answers), 3)
    none = client.post(f"/api/v1/surveys/{second}", json={"answers": answers, "priority": None})
    assert none.status_code == 201 and counts(survey_app)[1] == 3
    with survey_app.app_context():
        # Unlinkable: no column of a pick names an invitation, a code or an address.
        columns = {c["name"] for c in inspect(db.engine).get_columns("survey_priority_pick")}
        assert columns == {"id", "campaign_id", "group_id", "priority_id", "created_at"}
    # Frozen once answered: no more candidates.
    frozen = survey_app.test_cli_runner().invoke(
        args=["survey", "priorities", "--campaign", str(campaign), "--add", "新事项"]
    )
    assert frozen.exit_code != 0 and "不能再修改" in frozen.output


def test_the_page_offers_candidates_and_stores_picks(survey_app: Flask, tmp_path: Path):
    """Checkboxes on /survey/<code>; four ticks refused with the form kept, three stored."""
    campaign = current_campaign(survey_app, "beijing")
    ids = candidates(survey_app, campaign)
    (code,) = invite(survey_app, campaign, "residents", 1, tmp_path / "c.csv")
    client = survey_app.test_client()
    html = client.get(f"/survey/{code}").get_data(as_text=True)
    assert "最多选 3 项" in html and all(f'id="p-{i}"' in html for i in ids)
    departments = [a["department"] for a in answers_of(client, code)]
    form = {"csrf_token": csrf_token(html)} | {f"rating-{d}": "fairly" for d in departments}
    refused = client.post(f"/survey/{code}", data={**form, "priority": [str(i) for i in ids]})
    assert refused.status_code == 400 and "最多选择 3 项" in refused.get_data(as_text=True)
    assert counts(survey_app) == (0, 0)
    done = client.post(f"/survey/{code}", data={**form, "priority": [str(i) for i in ids[1:]]})
    assert done.status_code == 200
    assert counts(survey_app) == (len(departments), 3)


def _post(port: int, path: str, body: dict[str, object]) -> int:
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
def test_simultaneous_posts_of_one_code_store_picks_once(survey_app: Flask, tmp_path: Path):
    """Two posts of one code at once over real connections: one 201, its picks stored once."""
    campaign = current_campaign(survey_app, "beijing")
    ids = candidates(survey_app, campaign)
    (code,) = invite(survey_app, campaign, "residents", 1, tmp_path / "c.csv")
    body = {"answers": answers_of(survey_app.test_client(), code), "priority": ids[:2]}
    server = make_server("127.0.0.1", 0, survey_app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    statuses = [0, 0]
    start = threading.Barrier(2)

    def send(index: int) -> None:
        start.wait()
        statuses[index] = _post(server.server_port, f"/api/v1/surveys/{code}", body)

    try:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    assert sorted(statuses) == [201, 409], statuses
    assert counts(survey_app) == (len(body["answers"]), 2)
