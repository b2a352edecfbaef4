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
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

import pytest
from factories import csrf_token, login, make_user
from flask import Flask
from sqlalchemy import func, inspect, select
from support import file_submission
from werkzeug.serving import make_server

from citizenvoice.cli import seed_demo_data
from citizenvoice.extensions import db
from citizenvoice.models import (
    Analysis,
    AuditEntry,
    RectificationTask,
    SurveyAnswer,
    SurveyCampaign,
    SurveyPriority,
    SurveyPriorityPick,
    TopicSnapshot,
    utcnow,
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
    for odd in (["²"], ["-1"], ["1" * 30], ["=1+1"], ["a\r\nb"]):
        assert client.post(f"/survey/{code}", data={**form, "priority": odd}).status_code == 400
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
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
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


def _office(app: Flask):
    make_user(app, "office", None, "office_prio")
    return login(app, "office_prio")


def _analysed_case(app: Flask, group: str) -> None:
    """A filed case with an Analysis row in a duplicate group (a 整改 source must match a case)."""
    case_id = file_submission(app, "人民路夜市占道经营到凌晨，噪音油烟扰民。", department="cgzf")
    with app.app_context():
        db.session.add(Analysis(submission_id=case_id, model_version="test", duplicate_group=group))
        db.session.commit()


def _answer(app: Flask, campaign: int, group: str, picks: list[int], tmp_path: Path) -> None:
    client = app.test_client()
    for code in invite(app, campaign, group, 1, tmp_path / f"{group}.csv"):
        body = {"answers": answers_of(client, code), "priority": picks}
        assert client.post(f"/api/v1/surveys/{code}", json=body).status_code == 201


def test_office_edits_candidates_sees_the_tally_and_grade_bands(survey_app: Flask, tmp_path: Path):
    """CSRF form adds (audited), hot-issue suggestions add in one click, remove; frozen later."""
    campaign = current_campaign(survey_app, "hangzhou")
    office = _office(survey_app)
    page = office.get(f"/office/surveys/{campaign}")
    assert page.status_code == 200 and "尚无候选事项" in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    url = f"/office/surveys/{campaign}/priorities"
    assert office.post(url, data={"title": "无令牌"}).status_code == 400
    for title in ("老旧小区加装电梯", "夜市油烟扰民", "=1+1"):
        added = office.post(url, data={"csrf_token": token, "title": title, "description": "说明"})
        assert added.status_code == 303
    refused = office.post(
        url, data={"csrf_token": token, "title": "长" * 61}, follow_redirects=True
    )
    assert "不能超过 60 个字" in refused.get_data(as_text=True)
    with survey_app.app_context():
        ids = [p.id for p in db.session.scalars(select(SurveyPriority).order_by(SurveyPriority.id))]
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert len(ids) == 3 and actions.count("survey_priority_add") == 3
    gone = office.post(f"{url}/{ids[2]}/remove", data={"csrf_token": token})
    assert gone.status_code == 303
    assert office.post(f"{url}/999999/remove", data={"csrf_token": token}).status_code == 303
    _answer(survey_app, campaign, "residents", [ids[0]], tmp_path)
    _answer(survey_app, campaign, "enterprises", [ids[0], ids[1]], tmp_path)
    html = office.get(f"/office/surveys/{campaign}").get_data(as_text=True)
    assert "已冻结" in html and "添加候选事项" not in html and "删除候选" not in html
    assert "100%" in html  # every rater picked the first candidate: weighted share 100 %
    assert "等级" in html and "优胜 ≥ 90" in html
    frozen = office.post(url, data={"csrf_token": token, "title": "迟到的事项"})
    assert frozen.status_code == 303
    with survey_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SurveyPriority)) == 2


def test_a_candidate_becomes_one_rectification_task(survey_app: Flask, tmp_path: Path):
    """转为整改任务 through the rectification service; invalid input refused; at most one task."""
    campaign = current_campaign(survey_app, "beijing")
    (candidate,) = candidates(survey_app, campaign, 1)
    _analysed_case(survey_app, "dup-prio")
    office = _office(survey_app)
    token = csrf_token(office.get(f"/office/surveys/{campaign}").get_data(as_text=True))
    url = f"/office/surveys/{campaign}/priorities/{candidate}/task"
    form = {
        "csrf_token": token,
        "department": "cgzf",
        "target": "一个月内整治到位",
        "source_kind": "duplicate_group",
        "source_value": "dup-prio",
        "deadline": (date.today() + timedelta(days=30)).isoformat(),
    }
    bad = office.post(url, data={**form, "department": "nowhere"}, follow_redirects=True)
    assert "承办部门" in bad.get_data(as_text=True)
    first = office.post(url, data=form)
    assert first.status_code == 303 and "/office/rectification/" in first.headers["Location"]
    again = office.post(url, data=form, follow_redirects=True)
    assert "已转为整改任务" in again.get_data(as_text=True)
    missing = office.post(
        f"/office/surveys/{campaign}/priorities/999999/task", data=form, follow_redirects=True
    )
    assert "候选事项不存在" in missing.get_data(as_text=True)
    with survey_app.app_context():
        tasks = db.session.scalars(select(RectificationTask)).all()
        assert len(tasks) == 1 and tasks[0].title == "候选事项0"
        linked = db.session.get(SurveyPriority, candidate)
        assert linked is not None and linked.task_id == tasks[0].id
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "rectification_open" in actions and "survey_priority_task" in actions


@pytest.mark.timeout(120)
def test_simultaneous_task_clicks_open_one_task(survey_app: Flask):
    """Two office requests for one candidate at once: one task, the other refused."""
    campaign = current_campaign(survey_app, "beijing")
    (candidate,) = candidates(survey_app, campaign, 1)
    _analysed_case(survey_app, "dup-race")
    office = _office(survey_app)
    token = csrf_token(office.get(f"/office/surveys/{campaign}").get_data(as_text=True))
    cookie = office.get_cookie("session")
    assert cookie is not None
    form = (
        f"csrf_token={token}&department=cgzf&target=%E6%95%B4%E6%B2%BB&source_kind=duplicate_group"
        f"&source_value=dup-race&deadline={(date.today() + timedelta(days=9)).isoformat()}"
    )
    server = make_server("127.0.0.1", 0, survey_app, threaded=True)
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    serving.start()
    statuses: list[str] = ["", ""]
    start = threading.Barrier(2)

    def send(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
        start.wait()
        connection.request(
            "POST",
            f"/office/surveys/{campaign}/priorities/{candidate}/task",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"session={cookie.value}",
                # Session protection ("strong") binds the session to address and user agent.
                "User-Agent": f"Werkzeug/{version('werkzeug')}",
            },
        )
        response = connection.getresponse()
        response.read()
        statuses[index] = f"{response.status} {response.getheader('Location')}"
        connection.close()

    try:
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.shutdown()
        serving.join(timeout=10)
    assert sum("/office/rectification/" in s for s in statuses) == 1, statuses
    with survey_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RectificationTask)) == 1


def test_open_priorities_shows_numbers_only_after_close(survey_app: Flask, tmp_path: Path):
    """Before close a plain note and no numbers; after close the tally; linked from the nav."""
    campaign = current_campaign(survey_app, "beijing")
    ids = candidates(survey_app, campaign, 2)
    _answer(survey_app, campaign, "residents", [ids[1]], tmp_path)
    client = survey_app.test_client()
    before = client.get("/open/priorities")
    html = before.get_data(as_text=True)
    assert before.status_code == 200 and "调查进行中，结果在结束后公布" in html
    assert "候选事项1" not in html and "priority-tally" not in html.split("</nav>", 1)[1]
    assert 'href="/open/priorities"' in client.get("/open/").get_data(as_text=True)
    with survey_app.app_context():
        db.session.get(SurveyCampaign, campaign).status = "closed"  # type: ignore[union-attr]
        db.session.commit()
    after = client.get("/open/priorities").get_data(as_text=True)
    assert "调查进行中" not in after and "候选事项1" in after and "100%" in after
    assert after.index("候选事项1") < after.index("候选事项0")  # best first


def test_workspace_shows_the_department_band(survey_app: Flask, tmp_path: Path):
    """Staff see their department's band once its score is sufficient (here: everyone 'basic')."""
    campaign = current_campaign(survey_app, "beijing")
    with survey_app.app_context():
        db.session.get(SurveyCampaign, campaign).groups[0].min_n = 1  # type: ignore[union-attr]
        db.session.commit()
    _answer(survey_app, campaign, "residents", [], tmp_path)
    make_user(survey_app, "department_staff", "cgzf", "cg_prio")
    html = login(survey_app, "cg_prio").get("/workspace/survey").get_data(as_text=True)
    # Every department scored 60 (basic): all tied lowest and below 达标, so all are 末位.
    assert "survey-band" in html and "末位" in html


def test_hot_issues_are_offered_as_one_click_candidates(survey_app: Flask):
    """The newest topic snapshot's hot topics and groups appear as buttons; one click adds one."""
    with survey_app.app_context():
        now = utcnow()
        db.session.add(
            TopicSnapshot(
                window_start=now - timedelta(days=30),
                window_end=now,
                documents=60,
                n_topics=5,
                hot_topics=[{"key": "夜市/油烟/噪音", "volume": 12}],
                hot_groups=[{"key": "dup-abc", "volume": 4}],
            )
        )
        db.session.commit()
    campaign = current_campaign(survey_app, "beijing")
    office = _office(survey_app)
    html = office.get(f"/office/surveys/{campaign}").get_data(as_text=True)
    assert "＋ 夜市、油烟、噪音" in html and "＋ 重复诉求组 dup-abc" in html
    data = {
        "csrf_token": csrf_token(html),
        "title": "夜市、油烟、噪音",
        "description": "热点话题，近期 12 件诉求",
        "source_kind": "keyword",
        "source_value": "夜市",
    }
    assert office.post(f"/office/surveys/{campaign}/priorities", data=data).status_code == 303
    with survey_app.app_context():
        candidate = db.session.scalars(select(SurveyPriority)).one()
        assert (candidate.source_kind, candidate.source_value) == ("keyword", "夜市")
    html = office.get(f"/office/surveys/{campaign}").get_data(as_text=True)
    assert "＋ 夜市、油烟、噪音" not in html  # taken already
    assert 'name="source_value" maxlength="100" value="夜市"' in html  # prefilled 整改 source


def test_the_demo_campaign_has_a_published_priority_tally(survey_app: Flask):
    """The seeded past campaign (closed) carries candidates and picks shown on the portal."""
    from citizenvoice.models import Period
    from citizenvoice.services.demo_survey import seed_demo_survey

    with survey_app.app_context():
        period = Period(
            code="2025-03",
            name="2025年3月",
            kind="month",
            starts_on=date(2025, 3, 1),
            ends_on=date(2025, 4, 1),
            settings={},
        )
        db.session.add(period)
        db.session.flush()
        seed_demo_survey(period, "seed")
        db.session.commit()
        picks = db.session.scalar(select(func.count()).select_from(SurveyPriorityPick))
        assert picks and picks <= 3 * 9 * 40
    html = survey_app.test_client().get("/open/priorities").get_data(as_text=True)
    assert "老旧小区加装电梯" in html and "调查进行中" not in html


def test_a_candidate_withdrawn_mid_answer_refuses_the_answer_whole(
    survey_app: Flask, tmp_path: Path
):
    """On PostgreSQL the picks' foreign key catches a candidate withdrawn after the form was read:
    400 on priority, nothing stored, the code still usable."""
    from sqlalchemy import delete

    from citizenvoice.services.survey import SurveyError, questionnaire, submit_answers

    if survey_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite here does not enforce foreign keys")
    campaign = current_campaign(survey_app, "beijing")
    ids = candidates(survey_app, campaign, 2)
    (code,) = invite(survey_app, campaign, "residents", 1, tmp_path / "c.csv")
    answers = answers_of(survey_app.test_client(), code)
    with survey_app.app_context():
        form = questionnaire(code)
        db.session.execute(delete(SurveyPriority).where(SurveyPriority.id == ids[0]))
        with pytest.raises(SurveyError) as refused:
            submit_answers(code, answers, form, priority=[ids[0]])
        assert refused.value.status == 400 and "priority" in refused.value.fields
        db.session.rollback()
    assert counts(survey_app) == (0, 0)
    assert survey_app.test_client().get(f"/api/v1/surveys/{code}").status_code == 200
